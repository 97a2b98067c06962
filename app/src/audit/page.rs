//! The audit log page: a filter form (GET, so filters are links) and the events, a page at a time.

use super::AuditData;
use crate::routes::AUDIT_URL;
use crate::ui::{EmptyState, SettingsLayout, Time, with_organization};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tessera_core::{domain::audit::EventType, views::AuditEntry};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Audit log">
            {with_organization(|_, _| view! { <Audit /> })}
        </SettingsLayout>
    }
}

#[component]
fn Audit() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let get = move |k: &str| query.get(k).filter(|v| !v.is_empty());
    let filters = (get("type"), get("token_id"), get("member_id"), get("after"));
    let data =
        Resource::new(move || filters.clone(), |(t, token, member, after)| super::list_audit(t, token, member, after));
    let (t, token, member) = (get("type"), get("token_id"), get("member_id"));
    view! {
        <div class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p>"Every change to the organization's tokens and members, and every sign-in, newest first. Nothing secret is ever recorded."</p>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading events…"</p> }>
            {move || {
                let (t, token, member) = (t.clone(), token.clone(), member.clone());
                data.get().map(move |result| match result {
                    Ok(view) => view! { <AuditView view t token member /> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert" data-testid="audit-error">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn AuditView(view: AuditData, t: Option<String>, token: Option<String>, member: Option<String>) -> impl IntoView {
    let filtered = t.is_some() || token.is_some() || member.is_some();
    let next = view.events.next.clone().map(|after| {
        let mut params = vec![("after", after)];
        for (k, v) in [("type", &t), ("token_id", &token), ("member_id", &member)] {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        }
        params
    });
    view! {
        <form method="get" action=AUDIT_URL class="card filters" data-testid="audit-filters" aria-label="Filter events">
            <div class="form-grid three">
                <div class="field">
                    <label for="filter-type">"Event"</label>
                    <select id="filter-type" name="type">
                        <option value="">"All events"</option>
                        {EventType::ALL.iter().map(|e| {
                            let selected = t.as_deref() == Some(e.as_str());
                            view! { <option value=e.as_str() selected=selected>{e.label()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-member">"Member"</label>
                    <select id="filter-member" name="member_id">
                        <option value="">"Everyone"</option>
                        {view.members.iter().map(|m| {
                            let id = m.user_id.to_string();
                            let selected = member.as_deref() == Some(id.as_str());
                            view! { <option value=id selected=selected>{m.email.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-token">"Token ID"</label>
                    <input id="filter-token" name="token_id" type="text" value=token.clone().unwrap_or_default() placeholder="Any token" autocomplete="off" />
                </div>
            </div>
            <div class="actions">
                <button type="submit" class="primary">"Filter"</button>
                {filtered.then(|| view! { <a href=AUDIT_URL class="button">"Clear filters"</a> })}
            </div>
        </form>
        {if view.events.items.is_empty() {
            view! {
                <EmptyState title="No events" test_id="audit-empty">
                    <p>{if filtered { "No event matches these filters." } else { "Nothing has happened yet." }}</p>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <ul class="list audit" data-testid="audit-list">
                    {view.events.items.into_iter().map(|e| view! { <EventRow e /> }).collect_view()}
                </ul>
            }
            .into_any()
        }}
        {next.map(|params| {
            view! {
                <div class="list-footer">
                    <form method="get" action=AUDIT_URL class="inline-form">
                        {params.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                        <button type="submit" class="small" data-testid="audit-older">"Older events"</button>
                    </form>
                </div>
            }
        })}
    }
}

#[component]
fn EventRow(e: AuditEntry) -> impl IntoView {
    let subject = e.subject_label.clone().unwrap_or_else(|| e.subject_id.clone());
    let detail = serde_json::from_str::<serde_json::Value>(&e.detail)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .filter(|o| !o.is_empty())
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect::<Vec<_>>()
                .join(" · ")
        });
    let token_link = (e.subject_kind == tessera_core::domain::audit::SubjectKind::Token)
        .then(|| format!("{AUDIT_URL}?token_id={}", e.subject_id));
    view! {
        <li class="list-row event" data-testid="audit-row" data-event=e.event.as_str()>
            <div class="row-main">
                <div class="row-title">
                    <span class="badge event-type">{e.event.label()}</span>
                    {match token_link {
                        Some(href) => view! { <a href=href data-testid="audit-subject">{subject}</a> }.into_any(),
                        None => view! { <span data-testid="audit-subject">{subject}</span> }.into_any(),
                    }}
                </div>
                <div class="row-meta-line muted">
                    <Time at=e.at with_time=true />
                    {format!(" · by {}", e.actor_label)}
                    {e.client_ip.clone().map(|ip| format!(" · from {ip}"))}
                </div>
                {detail.map(|d| view! { <div class="row-meta-line detail">{d}</div> })}
            </div>
        </li>
    }
}
