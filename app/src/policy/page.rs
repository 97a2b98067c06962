//! The token policy page. The maximum lifetime field says, as it is typed (with JavaScript), how many
//! tokens the new value would refuse; the server says it again when the policy is saved.

use super::{PolicyData, SetPolicy};
use crate::{
    forms::{kept_value, posted},
    ui::{ErrorAlert, SettingsLayout, Time, field_error, form_error, with_organization},
};
use leptos::{prelude::*, server_fn::ServerFn};
use tessera_core::domain::token::ExpiryDays;

#[component]
pub fn PolicyPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Token policy">
            {with_organization(|_, _| view! { <Policy /> })}
        </SettingsLayout>
    }
}

#[component]
fn Policy() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::get_policy());
    let saved = posted::<SetPolicy>();
    view! {
        <div class="page-header">
            <div>
                <h1>"Token policy"</h1>
                <p>"Limits every API token of the organization must keep. Owners set them."</p>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let saved = saved.clone();
                data.get().map(move |result| match result {
                    Ok(data) => view! { <PolicyForm data saved /> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn PolicyForm(data: PolicyData, saved: Option<Result<i64, crate::error::AppError>>) -> impl IntoView {
    let error = saved.clone().and_then(Result::err);
    let affected = saved.and_then(Result::ok);
    let p = data.policy;
    let disabled = !data.can_edit;
    // After a refused save (without JavaScript), the form shows what was typed, beside the error.
    let refused = error.is_some();
    let typed = |name: &str, saved: String| if refused { kept_value(name).unwrap_or_default() } else { saved };
    let max_days = kept_value("max_lifetime_days").and_then(|v| v.trim().parse().ok()).unwrap_or(p.max_lifetime.days());
    let api_rotation = if refused { kept_value("api_rotation").is_some() } else { p.api_rotation };
    view! {
        {affected.map(|n| view! {
            <div class="alert alert-success" role="status" data-testid="policy-saved">
                {if n == 0 { "The policy was saved.".to_owned() } else {
                    format!("The policy was saved. {n} token{} the new maximum and {} refused from now on; rotate or replace {}.",
                        if n == 1 { " outlives" } else { "s outlive" }, if n == 1 { "is" } else { "are" }, if n == 1 { "it" } else { "them" })
                }}
            </div>
        })}
        {disabled.then(|| view! { <div class="alert alert-info" role="status">"Only owners can change the token policy."</div> })}
        <ErrorAlert error=form_error(&error, &["max_lifetime_days", "default_lifetime_days", "revoke_unused_after_days", "expiry_warning_days"]) />
        <form method="post" action=SetPolicy::PATH class="card" data-testid="policy-form">
            <fieldset disabled=disabled class="plain">
                <legend class="visually-hidden">"Token policy"</legend>
                <MaxLifetimeField value=max_days error=field_error(&error, "max_lifetime_days") preview=data.can_edit />
                <div class="field">
                    <label for="default-lifetime">"Default lifetime (days)"</label>
                    <input id="default-lifetime" name="default_lifetime_days" type="number" min=ExpiryDays::MIN max=ExpiryDays::MAX value=typed("default_lifetime_days", p.default_lifetime.days().to_string()) aria-describedby="default-lifetime-hint" />
                    <span class="hint" id="default-lifetime-hint">"What the Create Token form proposes. At most the maximum."</span>
                    {field_error(&error, "default_lifetime_days").map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                </div>
                <div class="field">
                    <label for="unused-days">"Revoke tokens unused for (days)"</label>
                    <input
                        id="unused-days"
                        name="revoke_unused_after_days"
                        type="number"
                        min=ExpiryDays::MIN
                        max=ExpiryDays::MAX
                        value=typed("revoke_unused_after_days", p.revoke_unused_after.map(|d| d.days().to_string()).unwrap_or_default())
                        placeholder="Off"
                        aria-describedby="unused-hint"
                    />
                    <span class="hint" id="unused-hint">"Empty: never. A token not used (since its creation or last use) for this long is revoked."</span>
                    {field_error(&error, "revoke_unused_after_days").map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                </div>
                <div class="field">
                    <label for="expiry-warnings">"Expiry warnings (days before expiry)"</label>
                    <input
                        id="expiry-warnings"
                        name="expiry_warning_days"
                        type="text"
                        inputmode="numeric"
                        value=typed("expiry_warning_days", p.expiry_warnings.to_string())
                        placeholder="None"
                        aria-describedby="expiry-warnings-hint"
                        aria-invalid=field_error(&error, "expiry_warning_days").is_some().then_some("true")
                    />
                    <span class="hint" id="expiry-warnings-hint">
                        "Comma-separated, like 30, 7, 1, 0 (0: when it expires). Each is sent once per token, by email to its creator and as a token.expiring webhook event; a token created with less time left skips it. "
                        {(!data.email_enabled).then_some("Email is not configured on this server, so only webhooks and the API Tokens page warn.")}
                    </span>
                    {field_error(&error, "expiry_warning_days").map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                </div>
                <div class="field checkbox">
                    <input id="api-rotation" name="api_rotation" type="checkbox" checked=api_rotation />
                    <label for="api-rotation">"Allow tokens to rotate through the API"</label>
                    <span class="hint">"Off: rotation only in this dashboard, by each token's creator. On: a token may also rotate itself (POST /api/v1/tokens/current/rotate), never another token, and its successor expires no later than it does."</span>
                </div>
                {data.updated_at.map(|at| view! { <p class="muted">"Last changed " <Time at with_time=true /> "."</p> })}
                <button type="submit" class="primary" data-testid="save-policy">"Save policy"</button>
            </fieldset>
        </form>
    }
}

/// The maximum lifetime, and how many live tokens a new value would refuse (asked of the server as it
/// is typed).
#[island]
pub fn MaxLifetimeField(value: i64, error: Option<String>, preview: bool) -> impl IntoView {
    let (typed, set_typed) = signal(value.to_string());
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let affected = Resource::new(
        move || (hydrated.get() && preview).then(|| typed.get()),
        |typed| async move {
            match typed {
                Some(max) => super::preview_policy(max).await.ok(),
                None => None,
            }
        },
    );
    view! {
        <div class="field">
            <label for="max-lifetime">"Maximum lifetime (days)"</label>
            <input
                id="max-lifetime"
                name="max_lifetime_days"
                type="number"
                min=ExpiryDays::MIN
                max=ExpiryDays::MAX
                value=value
                required
                aria-describedby="max-lifetime-hint max-lifetime-effect"
                aria-invalid=error.is_some().then_some("true")
                on:input=move |ev| set_typed.set(event_target_value(&ev))
            />
            <span class="hint" id="max-lifetime-hint">
                {format!("{} to {}. ", ExpiryDays::MIN, ExpiryDays::MAX)}
                "Tokens are created and rotated within it; a live token whose expiry lies beyond a lowered maximum is refused from the moment it is saved."
            </span>
            <span class="hint" id="max-lifetime-effect" aria-live="polite" data-testid="policy-preview">
                <Suspense fallback=|| ()>
                    {move || affected.get().flatten().map(|n| match n {
                        0 => "No active token exceeds this maximum.".to_owned(),
                        1 => "1 active token exceeds this maximum and would be refused.".to_owned(),
                        n => format!("{n} active tokens exceed this maximum and would be refused."),
                    })}
                </Suspense>
            </span>
            {error.map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
        </div>
    }
}
