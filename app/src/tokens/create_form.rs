//! "Create Token" and the form it opens: a name, a lifetime and optional restrictions. Without JavaScript the button is a GET
//! to `?new=1` (where the server renders the form open) and the form posts to `create_token`'s URL;
//! with JavaScript both happen in place.

use super::{
    CreateToken, ExpiryField,
    restrictions::RestrictionFields,
    state::{Busy, Ctx, Place},
};
use crate::{
    routes::TOKENS_URL,
    ui::{Field, SubmitButton, field_error, form_error, on_submit},
};
use leptos::{prelude::*, server_fn::ServerFn};
use tessera_core::domain::token::TokenName;

/// Suggested names, offered as the name field's autocompletion.
const NAME_SUGGESTIONS: [&str; 5] =
    ["CI/CD Pipeline", "VS Code Extension", "MCP Server", "Command-line tools", "Deploy script"];

/// The page's one "Create Token" control (in the header, or in the empty list's place).
#[component]
pub fn CreateTokenButton() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.open_form();
    };
    view! {
        <form method="get" action=TOKENS_URL class="inline-form" on:submit=open>
            <input type="hidden" name="new" value="1" />
            <button type="submit" class="primary" id="create-token-button" data-testid="create-token-button">"Create Token"</button>
        </form>
    }
}

#[component]
pub fn CreateForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (now, default_days, max_days) =
        ctx.data.with_untracked(|d| (d.now, d.policy.default_lifetime.days(), d.policy.max_lifetime.days()));
    let error = move || ctx.error_at(&Place::Create);
    let name_error = Signal::derive(move || field_error(&error(), "name"));
    let expiry_error = Signal::derive(move || {
        let error = error();
        field_error(&error, "expires_in_days").or_else(|| field_error(&error, "custom_days"))
    });
    let ceiling_error = Signal::derive(move || field_error(&error(), "ceiling"));
    let ips_error = Signal::derive(move || field_error(&error(), "allowed_ips"));
    let rate_error = Signal::derive(move || field_error(&error(), "rate_limit_per_minute"));
    let other_error = move || {
        form_error(
            &error(),
            &["name", "expires_in_days", "custom_days", "ceiling", "allowed_ips", "rate_limit_per_minute"],
        )
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.close_form();
    };
    view! {
        <section class="card create-form" aria-labelledby="create-title" data-testid="create-token-form">
            <h2 id="create-title">"Create a token"</h2>
            {move || other_error().map(|e| view! { <div class="alert alert-error" role="alert" data-testid="form-error">{e}</div> })}
            <form method="post" action=CreateToken::url() on:submit=on_submit(move |form| ctx.create(form))>
                <Field
                    label="Name"
                    name="name"
                    id="token-name"
                    autocomplete="off"
                    list="token-name-suggestions"
                    max_chars=TokenName::MAX_CHARS
                    autofocus=true
                    value=ctx.kept("name").unwrap_or_default()
                    hint="Optional. Say where the token is used, like \u{201c}CI/CD Pipeline\u{201d}, \u{201c}VS Code Extension\u{201d} or \u{201c}MCP Server\u{201d}."
                    error=name_error
                />
                <datalist id="token-name-suggestions">
                    {NAME_SUGGESTIONS.map(|s| view! { <option value=s></option> }).collect_view()}
                </datalist>
                <ExpiryField
                    now
                    default_days
                    max_days
                    error=expiry_error
                    choice=ctx.kept("expires_in_days")
                    custom=ctx.kept("custom_days")
                />
                <RestrictionFields
                    role=ctx.role
                    ceiling_error
                    ips_error
                    rate_error
                    kept_ceiling=ctx.kept("ceiling")
                    kept_ips=ctx.kept("allowed_ips")
                    kept_rate=ctx.kept("rate_limit_per_minute")
                />
                <div class="actions">
                    <SubmitButton label="Create" pending_label="Creating…" pending=Signal::derive(move || ctx.is_busy(&Busy::Creating)) class="primary" />
                    <a href=TOKENS_URL class="button" on:click=cancel>"Cancel"</a>
                </div>
            </form>
        </section>
    }
}
