//! The audit log page: a filter form and the events, a page at a time. The server renders it for the
//! address's filters (`?type=`, `?token_id=`, `?member_id=`, `?after=`), so filters are links and work
//! without JavaScript (the form is a GET). With JavaScript the island ([`AuditArea`]) asks `list_audit`
//! for the chosen filters and shows its answer in place, and puts the filters into the address (without
//! a new history entry), so a reload shows the same.

use super::AuditData;
use crate::{
    routes::AUDIT_URL,
    ui::{
        ActError, Acts, EmptyState, Notice, Notices, SettingsLayout, SubmitButton, Time, dom, field_error, on_submit,
        with_organization,
    },
};
use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use tessera_core::{domain::audit::EventType, views::AuditEntry};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Audit log">
            {with_organization(|_, _| view! { <Audit /> })}
        </SettingsLayout>
    }
}

/// The filters of the list shown (each empty for "any"), and where its page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub r#type: Option<String>,
    pub token_id: Option<String>,
    pub member_id: Option<String>,
    pub after: Option<String>,
}

impl Filters {
    fn any(&self) -> bool {
        self.r#type.is_some() || self.token_id.is_some() || self.member_id.is_some()
    }

    /// As the address's query (`type=…&token_id=…`); ids and event codes need no escaping, a typed
    /// token id is escaped.
    fn query(&self) -> String {
        [("type", &self.r#type), ("token_id", &self.token_id), ("member_id", &self.member_id), ("after", &self.after)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", escape(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Initial {
    pub data: AuditData,
    pub filters: Filters,
}

#[component]
fn Audit() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let get = move |k: &str| query.get(k).filter(|v| !v.is_empty());
    let filters =
        Filters { r#type: get("type"), token_id: get("token_id"), member_id: get("member_id"), after: get("after") };
    let data = {
        let f = filters.clone();
        Resource::new(move || f.clone(), |f| super::list_audit(f.r#type, f.token_id, f.member_id, f.after))
    };
    view! {
        <div class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p>"Every change to the organization's tokens and members, and every sign-in, newest first. Nothing secret is ever recorded."</p>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading events…"</p> }>
            {move || {
                let filters = filters.clone();
                data.get().map(move |result| match result {
                    Ok(data) => {
                        let initial = serde_json::to_string(&Initial { data, filters }).unwrap_or_default();
                        view! { <AuditArea initial /> }.into_any()
                    }
                    Err(e) => view! { <div class="alert alert-error" role="alert" data-testid="audit-error">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

const FILTER: &str = "filter";
const FIELDS: &[&str] = &["type", "token_id", "member_id"];

#[island]
pub fn AuditArea(initial: String) -> impl IntoView {
    let Ok(Initial { data, filters }) = serde_json::from_slice::<Initial>(initial.as_bytes()) else {
        return Either::Right(view! {
            <div class="alert alert-error" role="alert">"This page could not be read. Reload it."</div>
        });
    };
    let members = data.members.clone();
    let data = RwSignal::new(data);
    let shown = RwSignal::new(filters.clone());
    let acts = Acts::new(None, None);
    // Shows the events for `wanted`, in place; the address follows.
    let show = move |wanted: Filters| {
        let call = super::list_audit(
            wanted.r#type.clone(),
            wanted.token_id.clone(),
            wanted.member_id.clone(),
            wanted.after.clone(),
        );
        acts.run(FILTER.to_owned(), call, move |fresh| {
            let n = fresh.events.items.len();
            let more = if fresh.events.next.is_some() { " (older ones on the next page)" } else { "" };
            let text = match (n, wanted.any()) {
                (0, true) => "No event matches these filters.".to_owned(),
                (0, false) => "Nothing has happened yet.".to_owned(),
                (n, any) => format!(
                    "{n} event{} shown{}{more}.",
                    if n == 1 { "" } else { "s" },
                    if any { " for these filters" } else { "" }
                ),
            };
            dom::replace_query(AUDIT_URL, &wanted.query());
            data.set(fresh);
            shown.set(wanted);
            acts.say(Notice::new("audit-filtered", text));
        });
    };
    let present = |v: String| Some(v).filter(|v| !v.trim().is_empty());
    let filter = move |form: crate::ui::FormFields| {
        show(Filters {
            r#type: present(form.get("type")),
            token_id: present(form.get("token_id")),
            member_id: present(form.get("member_id")),
            after: None,
        })
    };
    let older = move |ev: leptos::ev::SubmitEvent| {
        if let Some(after) = data.with_untracked(|d| d.events.next.clone()) {
            ev.prevent_default();
            show(Filters { after: Some(after), ..shown.get_untracked() });
        }
    };
    let clear = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        dom::clear_fields(&["filter-type", "filter-member", "filter-token"]);
        show(Filters::default());
    };
    let token_error = move || field_error(&acts.error(FILTER), "token_id");
    let (t, token, member) = (filters.r#type, filters.token_id, filters.member_id);
    Either::Left(view! {
        <form method="get" action=AUDIT_URL class="card filters" data-testid="audit-filters" aria-label="Filter events" on:submit=on_submit(filter)>
            <div class="form-grid three">
                <div class="field">
                    <label for="filter-type">"Event"</label>
                    <select id="filter-type" name="type" data-testid="filter-type">
                        <option value="">"All events"</option>
                        {EventType::ALL.iter().map(|e| {
                            let selected = t.as_deref() == Some(e.as_str());
                            view! { <option value=e.as_str() selected=selected>{e.label()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-member">"Member"</label>
                    <select id="filter-member" name="member_id" data-testid="filter-member">
                        <option value="">"Everyone"</option>
                        {members.iter().map(|m| {
                            let id = m.user_id.to_string();
                            let selected = member.as_deref() == Some(id.as_str());
                            view! { <option value=id selected=selected>{m.email.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-token">"Token ID"</label>
                    <input
                        id="filter-token"
                        name="token_id"
                        type="text"
                        value=token.unwrap_or_default()
                        placeholder="Any token"
                        autocomplete="off"
                        data-testid="filter-token"
                        aria-invalid=move || token_error().is_some().then_some("true")
                        aria-describedby=move || token_error().is_some().then_some("filter-token-error")
                    />
                    {move || token_error().map(|e| view! { <span class="error-text" id="filter-token-error">{e}</span> })}
                </div>
            </div>
            <ActError acts key=FILTER fields=FIELDS />
            <div class="actions">
                <SubmitButton label="Filter" pending_label="Filtering…" pending=acts.pending_signal(FILTER) class="primary" test_id="audit-filter" />
                <Show when=move || shown.with(Filters::any)>
                    <a href=AUDIT_URL class="button" data-testid="audit-clear" on:click=clear>"Clear filters"</a>
                </Show>
            </div>
        </form>
        <Notices acts />
        {move || {
            let filtered = shown.with(Filters::any);
            data.with(|d| {
                if d.events.items.is_empty() {
                    Either::Left(view! {
                        <EmptyState title="No events" test_id="audit-empty">
                            <p>{if filtered { "No event matches these filters." } else { "Nothing has happened yet." }}</p>
                        </EmptyState>
                    })
                } else {
                    Either::Right(view! {
                        <ul class="list audit" data-testid="audit-list">
                            {d.events.items.iter().cloned().map(|e| view! { <EventRow e /> }).collect_view()}
                        </ul>
                    })
                }
            })
        }}
        {move || data.with(|d| d.events.next.clone()).map(|after| {
            let f = shown.get();
            let params = [("type", f.r#type), ("token_id", f.token_id), ("member_id", f.member_id), ("after", Some(after))];
            view! {
                <div class="list-footer">
                    <form method="get" action=AUDIT_URL class="inline-form" on:submit=older>
                        {params.into_iter().filter_map(|(k, v)| v.map(|v| view! { <input type="hidden" name=k value=v /> })).collect_view()}
                        <button type="submit" class="small" data-testid="audit-older">"Older events"</button>
                    </form>
                </div>
            }
        })}
    })
}

#[component]
fn EventRow(e: AuditEntry) -> impl IntoView {
    let subject = e.subject_label.clone().unwrap_or_else(|| e.subject_id.clone());
    let detail = serde_json::from_slice::<serde_json::Value>(e.detail.as_bytes())
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
