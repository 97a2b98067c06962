//! The webhooks page's one island: the add form and the secret of the endpoint just added, and the
//! endpoints with their delivery logs and actions. They share the endpoints ([`Ctx`]), so adding one
//! lists it and removing one takes it out, without a page load.

use super::{
    AddWebhook, AddedWebhook,
    rows::EndpointRow,
    state::{ADD, Ctx, Initial, PAGE},
};
use crate::ui::{ActError, CopyButton, EmptyState, Field, Notices, SubmitButton, dom, field_error, on_submit};
use leptos::{either::Either, prelude::*, server_fn::ServerFn};

#[island]
pub fn WebhooksArea(
    /// Everything the island starts from ([`Initial`]), as JSON (read with the server functions' decoder).
    initial: String,
) -> impl IntoView {
    let Ok(initial) = serde_json::from_slice::<Initial>(initial.as_bytes()) else {
        return Either::Right(view! {
            <div class="alert alert-error" role="alert">"This page could not be read. Reload it."</div>
        });
    };
    let secret_in_props = initial.has_secret();
    let allow_private = initial.allow_private;
    let ctx = Ctx::new(initial);
    provide_context(ctx);
    if secret_in_props {
        Effect::new(move |_| dom::forget_props("WebhooksArea"));
    }
    let empty = move || ctx.endpoints.with(Vec::is_empty);
    let count = move || {
        let n = ctx.endpoints.with(Vec::len);
        format!("{n} endpoint{}", if n == 1 { "" } else { "s" })
    };
    Either::Left(view! {
        <div role="status">
            {move || ctx.added.get().map(|added| view! { <Secret added /> })}
        </div>
        <Notices acts=ctx.acts />
        <ActError acts=ctx.acts key=PAGE />
        <AddForm allow_private />
        <section class="section" aria-labelledby="endpoints-title">
            <div class="section-title">
                <h2 id="endpoints-title" tabindex="-1">"Endpoints"</h2>
                <span class="muted">{count}</span>
            </div>
            <Show when=empty>
                <EmptyState title="No endpoints yet" test_id="webhooks-empty">
                    <p>"Add an endpoint above to receive events such as token.created, token.expiring or member.removed."</p>
                </EmptyState>
            </Show>
            <Show when=move || !empty()>
                <ul class="list" data-testid="webhooks-list">
                    <For
                        each=move || ctx.endpoints.get()
                        key=|e| {
                            let latest = e.deliveries.first().map(|d| (d.message_id, d.attempt, d.at));
                            (e.entry.id, e.entry.paused_since, e.entry.failing_since, e.deliveries.len(), latest)
                        }
                        children=|endpoint| view! { <EndpointRow endpoint /> }
                    />
                </ul>
            </Show>
        </section>
    })
}

/// The signing secret of the endpoint just added: the only time it is shown.
#[component]
fn Secret(added: AddedWebhook) -> impl IntoView {
    view! {
        <div class="alert alert-success reveal" data-testid="webhook-added">
            <strong>{format!("Endpoint added: {}", added.entry.url)}</strong>
            <p>"Copy its signing secret now: it is not shown again. Give it to your receiver's Standard Webhooks verifier."</p>
            <div class="copy-row">
                <code class="value" id="webhook-secret" tabindex="-1" data-testid="webhook-secret">{added.secret.clone()}</code>
                <CopyButton target="webhook-secret".to_owned() what="signing secret".to_owned() test_id="copy-webhook-secret".to_owned() />
            </div>
            <details class="collapsible">
                <summary>"Verify a delivery (Python)"</summary>
                <pre class="code"><code>{"from standardwebhooks.webhooks import Webhook\n\nwh = Webhook(\"whsec_…\")\nevent = wh.verify(request.body, request.headers)  # raises if forged or stale\nif already_seen(request.headers[\"webhook-id\"]):\n    return 200  # retries and resends carry the same id"}</code></pre>
            </details>
        </div>
    }
}

#[component]
fn AddForm(allow_private: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let error = move || ctx.acts.error(ADD);
    let events_error = move || field_error(&error(), "events");
    // After a refused post, the boxes come back as they were ticked.
    let refused = ctx.refused();
    let ticked = move |name: &str, default: bool| if refused { ctx.kept(name).is_some() } else { default };
    let hint = if allow_private {
        "An http:// or https:// URL; this server allows private addresses."
    } else {
        "A public https:// URL. Loopback, private and link-local addresses are refused."
    };
    view! {
        <section class="card" aria-labelledby="add-webhook-title">
            <h2 id="add-webhook-title">"Add an endpoint"</h2>
            <ActError acts=ctx.acts key=ADD fields=&["url", "events"] />
            <form
                method="post"
                action=AddWebhook::url()
                id="add-webhook-form"
                data-testid="add-webhook-form"
                on:submit=on_submit(move |form| ctx.add(form))
            >
                <Field
                    label="Endpoint URL"
                    name="url"
                    kind="url"
                    required=true
                    placeholder="https://example.com/hooks/tessera"
                    hint=hint.to_owned()
                    value=ctx.kept("url").unwrap_or_default()
                    error=Signal::derive(move || field_error(&error(), "url"))
                    test_id="webhook-url"
                />
                <fieldset class="field plain" aria-describedby="events-hint">
                    <legend>"Events"</legend>
                    <div class="check-row">
                        <input id="events-tokens" name="token_events" type="checkbox" checked=ticked("token_events", true) />
                        <label for="events-tokens">"Token events " <code>"token.*"</code></label>
                    </div>
                    <div class="check-row">
                        <input id="events-members" name="member_events" type="checkbox" checked=ticked("member_events", false) />
                        <label for="events-members">"Member events " <code>"member.*"</code></label>
                    </div>
                    <div class="check-row">
                        <input id="events-policy" name="policy_events" type="checkbox" checked=ticked("policy_events", false) />
                        <label for="events-policy">"Token policy changes " <code>"org.policy_changed"</code></label>
                    </div>
                    <label for="field-events">"Or only these events"</label>
                    <input
                        id="field-events"
                        name="events"
                        type="text"
                        placeholder="token.expiring, token.exposed"
                        value=ctx.kept("events").unwrap_or_default()
                        aria-invalid=move || events_error().is_some().then_some("true")
                        aria-describedby=move || if events_error().is_some() { "events-hint field-events-error" } else { "events-hint" }
                    />
                    <span class="hint" id="events-hint">
                        "Comma-separated: token.created, token.rotated, token.deleted, token.revoked, token.expiring, token.expired, token.exposed, member.added, member.removed, member.role_changed…"
                    </span>
                    {move || events_error().map(|e| view! { <span class="error-text" id="field-events-error">{e}</span> })}
                </fieldset>
                <SubmitButton label="Add endpoint" pending_label="Adding…" pending=ctx.acts.pending_signal(ADD) class="primary" test_id="add-webhook" />
            </form>
        </section>
    }
}
