//! One endpoint: its URL and state (failing, paused and why), its events, "Resume" when paused, "Remove"
//! through its dialog, and its latest deliveries with "Resend" on each message's latest attempt.

use super::{
    Endpoint, LOG_LENGTH, RemoveWebhook, ResendDelivery, ResumeWebhook,
    state::{Ctx, key},
};
use crate::{
    routes::WEBHOOKS_URL,
    ui::{ConfirmDialog, SubmitButton, Time, on_submit},
};
use leptos::{prelude::*, server_fn::ServerFn};
use tessera_core::views::DeliveryEntry;

fn row_error(ctx: Ctx, action: &'static str, id: String) -> impl Fn() -> Option<AnyView> {
    move || {
        ctx.acts
            .error(&key(action, &id))
            .map(|e| view! { <p class="error-text" role="alert">{e.to_string()}</p> }.into_any())
    }
}

#[component]
pub fn EndpointRow(endpoint: Endpoint) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let entry = endpoint.entry;
    let id = entry.id.to_string();
    let url = entry.url.clone();
    let title_id = format!("remove-webhook-{id}");
    let open = ctx.opened(&id);
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
                {row_error(ctx, "resume", id.clone())}
            </div>
            <div class="row-actions">
                {entry.paused_since.is_some().then(|| view! {
                    <form method="post" action=ResumeWebhook::url() class="inline-form" on:submit=on_submit(move |form| ctx.resume(form))>
                        <input type="hidden" name="id" value=id.clone() />
                        <SubmitButton
                            label="Resume"
                            pending_label="Resuming…"
                            pending=ctx.acts.pending_signal(key("resume", &id))
                            class="small primary"
                            test_id="resume-webhook"
                            aria_label=format!("Resume {url}")
                        />
                    </form>
                })}
                <ConfirmDialog
                    label="Remove"
                    aria_label=format!("Remove the endpoint {url}")
                    test_id="remove-webhook"
                    class="small danger-outline"
                    page=WEBHOOKS_URL
                    param="remove"
                    value=id.clone()
                    title_id=title_id.clone()
                    open
                >
                    <h2 id=title_id>"Remove this endpoint?"</h2>
                    <p class="mono break">{url.clone()}</p>
                    <p>"It gets no more deliveries, and its signing secret stops being used. Pending deliveries are dropped."</p>
                    <form method="post" action=RemoveWebhook::url() on:submit=on_submit(move |form| ctx.remove(form))>
                        <input type="hidden" name="id" value=id.clone() />
                        {row_error(ctx, "remove", id.clone())}
                        <div class="actions end">
                            <button type="submit" formmethod="dialog" formnovalidate data-testid="cancel-dialog" data-autofocus="" autofocus=open>"Cancel"</button>
                            <SubmitButton
                                label="Remove endpoint"
                                pending_label="Removing…"
                                pending=ctx.acts.pending_signal(key("remove", &id))
                                class="danger"
                                test_id="confirm-remove-webhook"
                            />
                        </div>
                    </form>
                </ConfirmDialog>
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
    let ctx = expect_context::<Ctx>();
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
                            let message = d.message_id.to_string();
                            let short = message[..8].to_owned();
                            view! {
                                <tr data-testid="delivery-row">
                                    <td><code>{d.event_type.clone()}</code>{" "}<span class="muted mono small" title=message.clone()>{short.clone()}</span></td>
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
                                            <form method="post" action=ResendDelivery::url() class="inline-form" on:submit=on_submit(move |form| ctx.resend(form))>
                                                <input type="hidden" name="webhook_id" value=webhook_id.clone() />
                                                <input type="hidden" name="message_id" value=message.clone() />
                                                <SubmitButton
                                                    label="Resend"
                                                    pending_label="Sending…"
                                                    pending=ctx.acts.pending_signal(key("resend", &message))
                                                    class="small"
                                                    test_id="resend-delivery"
                                                    aria_label=format!("Resend {} delivery {short}", d.event_type)
                                                />
                                            </form>
                                            {row_error(ctx, "resend", message.clone())}
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
