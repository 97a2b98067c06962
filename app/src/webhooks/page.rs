//! The webhooks page. Adding an endpoint shows its signing secret once, in the response to the form;
//! each endpoint lists its latest deliveries (status, time taken, attempt) with "Resend".

use super::{
    AddWebhook, AddedWebhook, Endpoint, LOG_LENGTH, RemoveWebhook, ResendDelivery, ResumeWebhook, WebhooksData,
};
use crate::routes::WEBHOOKS_URL;
use crate::{
    forms::{kept_value, posted},
    ui::{
        CopyButton, DialogButton, EmptyState, ErrorAlert, Field, SettingsLayout, Time, field_error, form_error,
        with_organization,
    },
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;
use tessera_core::views::DeliveryEntry;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Webhooks">
            {with_organization(|_, _| view! { <Webhooks /> })}
        </SettingsLayout>
    }
}

#[component]
fn Webhooks() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::list_webhooks());
    let added = posted::<AddWebhook>();
    let outcome_error = [
        posted::<RemoveWebhook>().and_then(Result::err),
        posted::<ResendDelivery>().and_then(Result::err),
        posted::<ResumeWebhook>().and_then(Result::err),
    ]
    .into_iter()
    .flatten()
    .next();
    let removed = posted::<RemoveWebhook>().is_some_and(|r| r.is_ok());
    let resent = posted::<ResendDelivery>().is_some_and(|r| r.is_ok());
    let resumed = posted::<ResumeWebhook>().is_some_and(|r| r.is_ok());
    let open_remove = use_query_map().get_untracked().get("remove");
    view! {
        <div class="page-header">
            <div>
                <h1>"Webhooks"</h1>
                <p>
                    "Tessera POSTs a JSON event to your endpoints when tokens and members change, signed as the "
                    <a href="https://www.standardwebhooks.com/" rel="noreferrer">"Standard Webhooks"</a>
                    " specification says, so its verifier libraries check it. Failed deliveries are retried with backoff for a day."
                </p>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading webhooks…"</p> }>
            {move || {
                let (added, outcome_error, open_remove) = (added.clone(), outcome_error.clone(), open_remove.clone());
                data.get().map(move |result| match result {
                    Ok(data) => view! { <WebhooksView data added outcome_error removed resent resumed open_remove /> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn WebhooksView(
    data: WebhooksData,
    added: Option<Result<AddedWebhook, crate::error::AppError>>,
    outcome_error: Option<crate::error::AppError>,
    removed: bool,
    resent: bool,
    resumed: bool,
    open_remove: Option<String>,
) -> impl IntoView {
    let Some(endpoints) = data.endpoints else {
        return view! {
            <div class="alert alert-info" role="status" data-testid="webhooks-admins-only">
                "Only admins and owners of " <strong>{data.org_name}</strong> " manage webhooks."
            </div>
        }
        .into_any();
    };
    let add_error = added.clone().and_then(Result::err);
    let new_one = added.and_then(Result::ok);
    let count = endpoints.len();
    view! {
        {new_one.map(|added| view! { <Secret added /> })}
        {removed.then(|| view! { <div class="alert alert-success" role="status" data-testid="webhook-removed">"The endpoint was removed. It gets no more deliveries."</div> })}
        {resent.then(|| view! { <div class="alert alert-success" role="status" data-testid="delivery-resent">"The delivery was queued again, with the same webhook-id."</div> })}
        {resumed.then(|| view! { <div class="alert alert-success" role="status" data-testid="webhook-resumed">"The endpoint was resumed: new events are delivered to it again."</div> })}
        <ErrorAlert error=form_error(&outcome_error, &[]) />
        <AddForm error=add_error allow_private=data.allow_private />
        <section class="section" aria-labelledby="endpoints-title">
            <div class="section-title">
                <h2 id="endpoints-title">"Endpoints"</h2>
                <span class="muted">{format!("{count} endpoint{}", if count == 1 { "" } else { "s" })}</span>
            </div>
            {if endpoints.is_empty() {
                view! {
                    <EmptyState title="No endpoints yet" test_id="webhooks-empty">
                        <p>"Add an endpoint above to receive events such as token.created, token.expiring or member.removed."</p>
                    </EmptyState>
                }
                .into_any()
            } else {
                view! {
                    <ul class="list" data-testid="webhooks-list">
                        {endpoints
                            .into_iter()
                            .map(|endpoint| {
                                let open = open_remove.as_deref() == Some(endpoint.entry.id.to_string().as_str());
                                view! { <EndpointRow endpoint open /> }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
    .into_any()
}

/// The signing secret of the endpoint just added: the only time it is shown.
#[component]
fn Secret(added: AddedWebhook) -> impl IntoView {
    view! {
        <div class="alert alert-success reveal" role="status" data-testid="webhook-added">
            <strong>{format!("Endpoint added: {}", added.entry.url)}</strong>
            <p>"Copy its signing secret now: it is not shown again. Give it to your receiver's Standard Webhooks verifier."</p>
            <div class="copy-row">
                <code class="value" id="webhook-secret" data-testid="webhook-secret">{added.secret.clone()}</code>
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
fn AddForm(error: Option<crate::error::AppError>, allow_private: bool) -> impl IntoView {
    let events_error = field_error(&error, "events");
    // After a refused post, the boxes come back as they were ticked (a post that failed had its URL kept).
    let refused = kept_value("url").is_some();
    let ticked = move |name: &str, default: bool| if refused { kept_value(name).is_some() } else { default };
    let hint = if allow_private {
        "An http:// or https:// URL; this server allows private addresses."
    } else {
        "A public https:// URL. Loopback, private and link-local addresses are refused."
    };
    view! {
        <section class="card" aria-labelledby="add-webhook-title">
            <h2 id="add-webhook-title">"Add an endpoint"</h2>
            <ErrorAlert error=form_error(&error, &["url", "events"]) />
            <form method="post" action=AddWebhook::PATH data-testid="add-webhook-form">
                <Field
                    label="Endpoint URL"
                    name="url"
                    kind="url"
                    required=true
                    placeholder="https://example.com/hooks/tessera"
                    hint=Some(hint.to_owned())
                    error=field_error(&error, "url")
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
                        value=kept_value("events")
                        aria-invalid=events_error.is_some().then_some("true")
                        aria-describedby=if events_error.is_some() { "events-hint field-events-error" } else { "events-hint" }
                    />
                    <span class="hint" id="events-hint">
                        "Comma-separated: token.created, token.rotated, token.deleted, token.revoked, token.expiring, token.expired, token.exposed, member.added, member.removed, member.role_changed…"
                    </span>
                    {events_error.clone().map(|e| view! { <span class="error-text" id="field-events-error" role="alert">{e}</span> })}
                </fieldset>
                <button type="submit" class="primary" data-testid="add-webhook">"Add endpoint"</button>
            </form>
        </section>
    }
}

#[component]
fn EndpointRow(endpoint: Endpoint, open: bool) -> impl IntoView {
    let entry = endpoint.entry;
    let id = entry.id.to_string();
    let url = entry.url.clone();
    let title_id = format!("remove-webhook-{id}");
    let count = endpoint.deliveries.len();
    let log_id = id.clone();
    let has_log = count > 0;
    view! {
        <li class="list-row stacked" data-testid="webhook-row">
            <div class="row-main">
                <div class="row-title">
                    <span class="mono break">{url.clone()}</span>
                    {entry.failing_since.map(|since| view! {
                        <span class="badge danger" data-testid="webhook-failing" title=format!("Failing since {}", since.date_time())>"Failing"</span>
                    })}
                    {entry.paused_since.map(|since| view! {
                        <span class="badge warning" data-testid="webhook-paused" title=format!("Paused since {}", since.date_time())>"Paused"</span>
                    })}
                </div>
                {entry.paused_since.is_some().then(|| view! {
                    <p class="muted small" data-testid="webhook-paused-reason">
                        {format!(
                            "Paused: {}. It gets no deliveries, and events of the pause are not delivered later.",
                            entry.paused_reason.clone().unwrap_or_else(|| "the member who added it left".to_owned()),
                        )}
                    </p>
                })}
                <div class="row-meta-line muted">
                    {entry.events.split(',').map(|e| view! { <code class="event-chip">{e.to_owned()}</code> }).collect_view()}
                    " · added " <Time at=entry.created_at />
                </div>
            </div>
            <div class="row-actions">
                {entry.paused_since.is_some().then(|| view! {
                    <form method="post" action=ResumeWebhook::PATH class="inline-form">
                        <input type="hidden" name="id" value=id.clone() />
                        <button type="submit" class="small primary" data-testid="resume-webhook" aria-label=format!("Resume {url}")>"Resume"</button>
                    </form>
                })}
                <DialogButton
                    label="Remove".to_owned()
                    aria_label=format!("Remove the endpoint {url}")
                    test_id="remove-webhook".to_owned()
                    class="small danger-outline".to_owned()
                    page=WEBHOOKS_URL.to_owned()
                    param="remove".to_owned()
                    value=id.clone()
                    title_id=title_id.clone()
                    open
                >
                    <h2 id=title_id>"Remove this endpoint?"</h2>
                    <p class="mono break">{url.clone()}</p>
                    <p>"It gets no more deliveries, and its signing secret stops being used. Pending deliveries are dropped."</p>
                    <form method="post" action=RemoveWebhook::PATH>
                        <input type="hidden" name="id" value=id />
                        <div class="actions end">
                            <button type="submit" formmethod="dialog" formnovalidate data-testid="cancel-dialog" data-autofocus="" autofocus=open>"Cancel"</button>
                            <button type="submit" class="danger" data-testid="confirm-remove-webhook">"Remove endpoint"</button>
                        </div>
                    </form>
                </DialogButton>
            </div>
            <details class="collapsible deliveries" open=has_log>
                <summary data-testid="deliveries-summary">
                    {if count == 0 { "No deliveries yet".to_owned() } else { format!("Recent deliveries ({count}, newest first)") }}
                </summary>
                {(count > 0).then(|| view! { <Deliveries webhook_id=log_id.clone() list=endpoint.deliveries /> })}
                {(count as i64 == LOG_LENGTH).then(|| view! { <p class="muted small">{format!("The latest {LOG_LENGTH} attempts are shown.")}</p> })}
            </details>
        </li>
    }
}

#[component]
fn Deliveries(webhook_id: String, list: Vec<DeliveryEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table stack-on-phone" data-testid="deliveries">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col" class="optional">"Attempt"</th>
                        <th scope="col" class="optional">"Time taken"</th>
                        <th scope="col">"When"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .scan(Vec::new(), |seen: &mut Vec<tessera_core::ids::MessageId>, d| {
                            // "Resend" on the latest attempt of each message only: one button per message.
                            let latest = !seen.contains(&d.message_id);
                            seen.push(d.message_id);
                            Some((d, latest))
                        })
                        .map(|(d, latest)| {
                            let ok = d.succeeded();
                            let result = match (d.status, d.error.as_deref()) {
                                (Some(status), _) => format!("HTTP {status}"),
                                (None, Some(error)) => error.to_owned(),
                                (None, None) => "No answer".to_owned(),
                            };
                            let short = d.message_id.to_string()[..8].to_owned();
                            view! {
                                <tr data-testid="delivery-row">
                                    <td><code>{d.event_type.clone()}</code>{" "}<span class="muted mono small" title=d.message_id.to_string()>{short.clone()}</span></td>
                                    <td>
                                        <span class=if ok { "badge success" } else { "badge danger" } data-testid="delivery-status">
                                            {if ok { "Delivered" } else { "Failed" }}
                                        </span>
                                        " " <span class="muted small">{result}</span>
                                    </td>
                                    <td class="optional">{d.attempt}</td>
                                    // No answer, no time: how long a refusal took would tell open ports from closed ones.
                                    <td class="optional">{if d.status.is_some() { format!("{} ms", d.duration_ms) } else { "\u{2014}".to_owned() }}</td>
                                    <td class="muted small"><Time at=d.at with_time=true /></td>
                                    <td>
                                        {latest.then(|| view! {
                                            <form method="post" action=ResendDelivery::PATH class="inline-form">
                                                <input type="hidden" name="webhook_id" value=webhook_id.clone() />
                                                <input type="hidden" name="message_id" value=d.message_id.to_string() />
                                                <button type="submit" class="small" data-testid="resend-delivery" aria-label=format!("Resend {} delivery {short}", d.event_type)>"Resend"</button>
                                            </form>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
