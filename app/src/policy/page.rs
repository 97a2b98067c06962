//! The token policy page. The server renders it with the policy, and the island ([`PolicyArea`]) saves
//! it in place through `set_policy` (without JavaScript the form posts to that function's URL and the
//! page comes back with the outcome). The maximum lifetime field says, as it is typed (with
//! JavaScript), how many tokens the new value would refuse; the server says it again when it is saved.

use super::{PolicyData, SetPolicy};
use crate::{
    error::AppError,
    forms::{kept_value, posted},
    ui::{
        ActError, Acts, Field, Notice, Notices, SettingsLayout, SubmitButton, Time, field_error, on_submit,
        with_organization,
    },
};
use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use serde::{Deserialize, Serialize};
use tessera_core::domain::token::ExpiryDays;

#[component]
pub fn PolicyPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Token policy">
            {with_organization(|_, _| view! { <Policy /> })}
        </SettingsLayout>
    }
}

/// The policy form's fields, given back after a refused post.
const KEPT_FIELDS: [&str; 5] =
    ["max_lifetime_days", "default_lifetime_days", "revoke_unused_after_days", "expiry_warning_days", "api_rotation"];
const SAVE: &str = "save";
const FIELDS: &[&str] =
    &["max_lifetime_days", "default_lifetime_days", "revoke_unused_after_days", "expiry_warning_days"];

/// Everything the island starts from, as the server renders it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Initial {
    pub data: PolicyData,
    /// The outcome of a save posted without JavaScript, and what was typed if it was refused.
    pub saved: Option<Result<i64, AppError>>,
    pub kept: Vec<(String, String)>,
}

#[component]
fn Policy() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::get_policy());
    let saved = posted::<SetPolicy>();
    let kept: Vec<(String, String)> =
        KEPT_FIELDS.iter().filter_map(|f| kept_value(f).map(|v| ((*f).to_owned(), v))).collect();
    view! {
        <div class="page-header">
            <div>
                <h1>"Token policy"</h1>
                <p>"Limits every API token of the organization must keep. Owners set them."</p>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (saved, kept) = (saved.clone(), kept.clone());
                data.get().map(move |result| match result {
                    Ok(data) => {
                        let initial = serde_json::to_string(&Initial { data, saved, kept }).unwrap_or_default();
                        view! { <PolicyArea initial /> }.into_any()
                    }
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

fn saved_text(n: i64) -> String {
    if n == 0 {
        "The policy was saved.".to_owned()
    } else {
        let (s, verb, them) = if n == 1 { (" outlives", "is", "it") } else { ("s outlive", "are", "them") };
        format!(
            "The policy was saved. {n} token{s} the new maximum and {verb} refused from now on; rotate or replace {them}."
        )
    }
}

#[island]
pub fn PolicyArea(initial: String) -> impl IntoView {
    let Ok(Initial { data, saved, kept }) = serde_json::from_slice::<Initial>(initial.as_bytes()) else {
        return Either::Right(view! {
            <div class="alert alert-error" role="alert">"This page could not be read. Reload it."</div>
        });
    };
    let failure = saved.as_ref().and_then(|s| s.clone().err()).map(|e| (SAVE.to_owned(), e));
    let notice = saved.and_then(Result::ok).map(|n| Notice::new("policy-saved", saved_text(n)));
    let acts = Acts::new(failure, notice);
    let updated_at = RwSignal::new(data.updated_at);
    let p = data.policy;
    let disabled = !data.can_edit;
    // After a refused save (without JavaScript), the form shows what was typed, beside the error.
    let refused = !kept.is_empty();
    let kept_of = move |name: &str| kept.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let typed = |name: &str, saved: String| if refused { kept_of(name).unwrap_or_default() } else { saved };
    let max_days = kept_of("max_lifetime_days").and_then(|v| v.trim().parse().ok()).unwrap_or(p.max_lifetime.days());
    let api_rotation = if refused { kept_of("api_rotation").is_some() } else { p.api_rotation };
    let error = move |field: &'static str| Signal::derive(move || field_error(&acts.error(SAVE), field));
    let save = move |form: crate::ui::FormFields| {
        let call = super::set_policy(
            form.get("max_lifetime_days"),
            form.get("default_lifetime_days"),
            form.get("revoke_unused_after_days"),
            Some(form.get("api_rotation")).filter(|v| !v.is_empty()),
            Some(form.get("expiry_warning_days")),
        );
        acts.run(SAVE.to_owned(), call, move |n| {
            acts.say(Notice::new("policy-saved", saved_text(n)));
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = super::get_policy().await {
                    updated_at.set(fresh.updated_at);
                }
            });
        });
    };
    let warnings_hint = format!(
        "Comma-separated, like 30, 7, 1, 0 (0: when it expires). Each is sent once per token, by email to its creator and as a token.expiring webhook event; a token created with less time left skips it.{}",
        if data.email_enabled {
            ""
        } else {
            " Email is not configured on this server, so only webhooks and the API Tokens page warn."
        }
    );
    Either::Left(view! {
        <Notices acts />
        {disabled.then(|| view! { <div class="alert alert-info" role="status">"Only owners can change the token policy."</div> })}
        <ActError acts key=SAVE fields=FIELDS />
        <form method="post" action=SetPolicy::url() class="card" data-testid="policy-form" on:submit=on_submit(save)>
            <fieldset disabled=disabled class="plain">
                <legend class="visually-hidden">"Token policy"</legend>
                <MaxLifetimeField value=max_days error=error("max_lifetime_days") preview=data.can_edit />
                <Field
                    label="Default lifetime (days)"
                    name="default_lifetime_days"
                    id="default-lifetime"
                    kind="number"
                    range=(ExpiryDays::MIN, ExpiryDays::MAX)
                    value=typed("default_lifetime_days", p.default_lifetime.days().to_string())
                    hint="What the Create Token form proposes. At most the maximum."
                    error=error("default_lifetime_days")
                />
                <Field
                    label="Revoke tokens unused for (days)"
                    name="revoke_unused_after_days"
                    id="unused-days"
                    kind="number"
                    range=(ExpiryDays::MIN, ExpiryDays::MAX)
                    value=typed("revoke_unused_after_days", p.revoke_unused_after.map(|d| d.days().to_string()).unwrap_or_default())
                    placeholder="Off"
                    hint="Empty: never. A token not used (since its creation or last use) for this long is revoked."
                    error=error("revoke_unused_after_days")
                />
                <Field
                    label="Expiry warnings (days before expiry)"
                    name="expiry_warning_days"
                    id="expiry-warnings"
                    value=typed("expiry_warning_days", p.expiry_warnings.to_string())
                    placeholder="None"
                    hint=warnings_hint
                    error=error("expiry_warning_days")
                />
                <div class="field checkbox">
                    <input id="api-rotation" name="api_rotation" type="checkbox" checked=api_rotation />
                    <label for="api-rotation">"Allow tokens to rotate through the API"</label>
                    <span class="hint">"Off: rotation only in this dashboard, by each token's creator. On: a token may also rotate itself (POST /api/v1/tokens/current/rotate), never another token, and its successor expires no later than it does."</span>
                </div>
                {move || updated_at.get().map(|at| view! { <p class="muted">"Last changed " <Time at with_time=true /> "."</p> })}
                <SubmitButton label="Save policy" pending_label="Saving…" pending=acts.pending_signal(SAVE) class="primary" test_id="save-policy" />
            </fieldset>
        </form>
    })
}

/// The maximum lifetime, and how many live tokens a new value would refuse (asked of the server as it
/// is typed).
#[component]
pub fn MaxLifetimeField(value: i64, #[prop(into)] error: Signal<Option<String>>, preview: bool) -> impl IntoView {
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
                aria-describedby=move || if error.with(Option::is_some) { "max-lifetime-hint max-lifetime-effect max-lifetime-error" } else { "max-lifetime-hint max-lifetime-effect" }
                aria-invalid=move || error.with(Option::is_some).then_some("true")
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
            {move || error.get().map(|e| view! { <span class="error-text" id="max-lifetime-error">{e}</span> })}
        </div>
    }
}
