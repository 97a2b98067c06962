//! The account security page and sudo mode's confirmation page: plain forms that post to their server
//! functions (so they work without JavaScript), outcomes shown once after the post.

use super::{BeginTotp, ConfirmIdentity, ConfirmTotp, DisableTotp, RegenerateRecoveryCodes, SecurityData};
use crate::{
    forms::{posted, posted_error},
    ui::{ErrorAlert, Field, SettingsLayout, field_error, form_error},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::get_security());
    view! {
        <SettingsLayout title="Account security">
            <div class="page-header">
                <div>
                    <h1>"Account security"</h1>
                    <p>"Two-factor authentication asks for a code from an authenticator app after your password, so a stolen password alone can't open your account or make tokens."</p>
                </div>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Ok(data) => view! { <Security data /> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })}
            </Suspense>
        </SettingsLayout>
    }
}

#[component]
fn RecoveryCodeList(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="card" data-testid="recovery-codes" aria-labelledby="recovery-codes-title">
            <h2 id="recovery-codes-title">"Your recovery codes"</h2>
            <p>"Each code signs you in once if you lose your authenticator app. Keep them somewhere safe: they are shown only now."</p>
            <ul class="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code data-testid="recovery-code">{c}</code></li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Security(data: SecurityData) -> impl IntoView {
    let new_codes = posted::<ConfirmTotp>()
        .and_then(Result::ok)
        .or_else(|| posted::<RegenerateRecoveryCodes>().and_then(Result::ok));
    let error = [
        posted_error::<BeginTotp>(),
        posted_error::<ConfirmTotp>(),
        posted_error::<DisableTotp>(),
        posted_error::<RegenerateRecoveryCodes>(),
    ]
    .into_iter()
    .flatten()
    .next();
    let turned_off = posted::<DisableTotp>().is_some_and(|r| r.is_ok());
    let status = if data.enabled {
        view! { <p data-testid="two-factor-status"><strong>"Two-factor authentication is on."</strong> " Recovery codes left: " {data.recovery_codes_left} "."</p> }.into_any()
    } else {
        view! { <p data-testid="two-factor-status"><strong>"Two-factor authentication is off."</strong></p> }.into_any()
    };
    let body = if data.enabled {
        view! {
            <section class="card">
                <h2>"New recovery codes"</h2>
                <p class="muted">"Makes 10 new codes; the old ones stop working."</p>
                <form method="post" action=RegenerateRecoveryCodes::PATH data-testid="regenerate-recovery-codes-form">
                    <Field label="Authentication code for new recovery codes" name="code" id="field-regenerate-code" autocomplete="one-time-code" required=true error=field_error(&error, "code") />
                    <button type="submit">"Make new recovery codes"</button>
                </form>
            </section>
            <section class="card">
                <h2>"Turn off two-factor authentication"</h2>
                <form method="post" action=DisableTotp::PATH data-testid="disable-two-factor-form">
                    <Field label="Authentication code to turn off" name="code" id="field-disable-code" autocomplete="one-time-code" required=true />
                    <button type="submit" class="danger">"Turn off two-factor authentication"</button>
                </form>
            </section>
        }
        .into_any()
    } else if let Some(pending) = data.pending {
        view! {
            <section class="card" data-testid="totp-setup">
                <h2>"Set up your authenticator app"</h2>
                <p>"Scan this QR code with your authenticator app, or type the setup key into it. Then type the code it shows."</p>
                <img src=pending.qr_data_url alt="QR code holding the setup key" width="200" height="200" data-testid="totp-qr" />
                <p>"Setup key: " <code data-testid="totp-secret">{pending.setup_key}</code></p>
                <form method="post" action=ConfirmTotp::PATH data-testid="confirm-totp-form">
                    <Field label="Authentication code" name="code" autocomplete="one-time-code" required=true error=field_error(&error, "code") />
                    <button type="submit" class="primary">"Turn on two-factor authentication"</button>
                </form>
            </section>
        }
        .into_any()
    } else {
        view! {
            <form method="post" action=BeginTotp::PATH data-testid="begin-totp-form">
                <button type="submit" class="primary">"Set up authenticator app"</button>
            </form>
        }
        .into_any()
    };
    view! {
        <ErrorAlert error=form_error(&error, &["code"]) />
        {turned_off.then(|| view! { <div class="alert alert-info" role="status">"Two-factor authentication is off."</div> })}
        {status}
        {new_codes.map(|codes| view! { <RecoveryCodeList codes /> })}
        {body}
    }
}

/// Sudo mode without JavaScript: asks for the password (and the code), then returns to `?back=`.
#[component]
pub fn ConfirmIdentityPage() -> impl IntoView {
    let error = posted_error::<ConfirmIdentity>();
    let back = use_query_map().get_untracked().get("back").unwrap_or_default();
    let data = Resource::new(|| (), |_| super::get_security());
    view! {
        <Title text="Confirm it is you" />
        <section class="card card-narrow">
            <h1>"Confirm it is you"</h1>
            <p class="muted">"This action creates access, and you last signed in a while ago. Confirm it is you to continue."</p>
            <ErrorAlert error=form_error(&error, &["password", "code"]) />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (back, error) = (back.clone(), error.clone());
                    data.get().map(move |found| {
                        let two_factor = found.is_ok_and(|d| d.enabled);
                        view! {
                            <form method="post" action=ConfirmIdentity::PATH data-testid="confirm-identity-form">
                                <input type="hidden" name="back" value=back />
                                <Field label="Password" name="password" kind="password" autocomplete="current-password" required=true error=field_error(&error, "password") />
                                {two_factor.then(|| view! {
                                    <Field label="Authentication code" name="code" autocomplete="one-time-code" required=true error=field_error(&error, "code") />
                                })}
                                <button type="submit" class="primary">"Confirm"</button>
                            </form>
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
