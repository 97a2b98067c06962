//! First-run setup, sign-in and invitation pages: plain HTML forms that post to their server functions.

use super::{AcceptInvitation, Login, SecondFactor, Setup};
use crate::{
    forms::posted_error,
    ui::{ErrorAlert, Field, field_error, form_error},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Does setup ask for the operator's one-time code (the server listens beyond this machine)?
fn setup_requires_code() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::state::AppState>().is_some_and(|s| s.setup.requires_code())
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let error = posted_error::<Setup>();
    let needs_code = setup_requires_code();
    view! {
        <Title text="Set up Tessera" />
        <section class="card card-narrow">
            <h1>"Welcome to Tessera"</h1>
            <p class="muted">
                "Create the first account and your organization. You will be its owner, and can invite others afterwards."
            </p>
            <ErrorAlert error=form_error(&error, &["email", "password", "organization", "setup_code"]) />
            <form method="post" action=Setup::PATH data-testid="setup-form">
                {needs_code.then(|| view! {
                    <Field
                        label="Setup code"
                        name="setup_code"
                        autocomplete="off"
                        hint=Some("Tessera listens beyond this machine, so setup needs the code only its operator can read: run `tessera setup-code` on the server.".to_owned())
                        required=true
                        error=field_error(&error, "setup_code")
                    />
                })}
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true error=field_error(&error, "email") />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=Some(password_hint())
                    required=true
                    error=field_error(&error, "password")
                />
                <Field
                    label="Organization name"
                    name="organization"
                    autocomplete="organization"
                    placeholder="Acme Inc."
                    required=true
                    error=field_error(&error, "organization")
                />
                <button type="submit" class="primary">"Create account"</button>
            </form>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let error = posted_error::<Login>();
    let next = use_query_map().get_untracked().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <section class="card card-narrow">
            <h1>"Sign in to Tessera"</h1>
            <ErrorAlert error=form_error(&error, &["email"]) />
            <form method="post" action=Login::PATH data-testid="login-form">
                <input type="hidden" name="next" value=next />
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true error=field_error(&error, "email") />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" required=true />
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </section>
    }
}

/// Sign-in's second step: the authentication code, or a recovery code.
#[component]
pub fn SecondStepPage() -> impl IntoView {
    let error = posted_error::<SecondFactor>();
    view! {
        <Title text="Two-factor authentication" />
        <section class="card card-narrow">
            <h1>"Two-factor authentication"</h1>
            <p class="muted">"Type the code your authenticator app shows for Tessera."</p>
            <ErrorAlert error=form_error(&error, &["code", "recovery_code"]) />
            <form method="post" action=SecondFactor::PATH data-testid="second-factor-form">
                <Field label="Authentication code" name="code" autocomplete="one-time-code" required=true autofocus=true error=field_error(&error, "code") />
                <button type="submit" class="primary">"Verify"</button>
            </form>
            <details data-testid="use-recovery-code">
                <summary>"Use a recovery code"</summary>
                <form method="post" action=SecondFactor::PATH data-testid="recovery-code-form">
                    <Field label="Recovery code" name="recovery_code" autocomplete="off" required=true error=field_error(&error, "recovery_code") />
                    <button type="submit">"Verify recovery code"</button>
                </form>
            </details>
            <p><a href=crate::routes::LOGIN_URL>"Start again"</a></p>
        </section>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let code = use_params_map().get_untracked().get("code").unwrap_or_default();
    let invitation = Resource::new(move || code.clone(), super::get_invitation);
    let error = posted_error::<AcceptInvitation>();
    view! {
        <Title text="Accept invitation" />
        <section class="card card-narrow">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let error = error.clone();
                    invitation.get().map(move |found| match found {
                        Ok(found) => view! { <Invitation found error /> }.into_any(),
                        Err(e) => view! {
                            <h1>"Invitation not valid"</h1>
                            <p class="muted">{e.to_string()}</p>
                            <a href=crate::routes::LOGIN_URL class="button">"Go to sign in"</a>
                        }
                        .into_any(),
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Invitation(found: super::InvitationInfo, error: Option<crate::error::AppError>) -> impl IntoView {
    let path = use_leptos_path();
    let heading = format!("Join {}", found.org_name);
    let role = found.role.label();
    let body = match (&found.signed_in_as, found.account_exists) {
        (Some(me), true) if *me == found.email => view! {
            <p class="muted">
                "You are invited to " <strong>{found.org_name.clone()}</strong> " as " {role} ", signed in as " <strong>{me.clone()}</strong> "."
            </p>
            <form method="post" action=AcceptInvitation::PATH data-testid="accept-invitation-form">
                <input type="hidden" name="code" value=found_code(&path) />
                <button type="submit" class="primary">"Accept invitation"</button>
            </form>
        }
        .into_any(),
        (Some(me), _) => view! {
            <div class="alert alert-warning" role="status">
                "This invitation is for " <strong>{found.email.clone()}</strong> ", but you are signed in as " <strong>{me.clone()}</strong>
                ". Sign out, then open this link again."
            </div>
            <form method="post" action=crate::session::Logout::PATH>
                <button type="submit">"Sign out"</button>
            </form>
        }
        .into_any(),
        (None, true) => {
            let login = tessera_core::domain::redirect::login_then(&path);
            view! {
                <p class="muted">
                    <strong>{found.email.clone()}</strong> " already has a Tessera account. Sign in as " {found.email.clone()}
                    " to join " {found.org_name.clone()} " as " {role} "."
                </p>
                <a href=login class="button primary">"Sign in to accept"</a>
            }
            .into_any()
        }
        (None, false) => view! {
            <p class="muted">
                "Choose a password for " <strong>{found.email.clone()}</strong> " to create your account and join as " {role} "."
            </p>
            <form method="post" action=AcceptInvitation::PATH data-testid="accept-invitation-form">
                <input type="hidden" name="code" value=found_code(&path) />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=Some(password_hint())
                    required=true
                    error=field_error(&error, "password")
                />
                <button type="submit" class="primary">"Create account and join"</button>
            </form>
        }
        .into_any(),
    };
    view! {
        <h1>{heading}</h1>
        <ErrorAlert error=form_error(&error, &["password"]) />
        {body}
    }
}

/// The page's own path (`/invite/<code>`): its code goes with the form, and "Sign in to accept" returns here.
fn use_leptos_path() -> String {
    leptos_router::hooks::use_location().pathname.get_untracked()
}

fn found_code(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

/// The new-password hint, from the rule itself.
fn password_hint() -> String {
    format!("At least {} characters.", tessera_core::domain::account::Password::MIN_BYTES)
}
