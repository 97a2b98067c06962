//! The webhooks page. The server renders it with the endpoints, and the island ([`WebhooksArea`]) runs
//! every action in place: adding an endpoint shows its signing secret once (in the island's memory
//! only), each endpoint lists its latest deliveries with "Resend", and "Remove" and "Resume" act on
//! their row. Without JavaScript each form posts to its server function's URL and the page comes back
//! with the outcome; the remove dialog opens through the address (`?remove=<id>`).

use super::{
    AddWebhook, RemoveWebhook, ResendDelivery, ResumeWebhook, WebhooksArea,
    state::{Initial, Posted},
};
use crate::{
    forms::{kept_value, posted},
    ui::{SettingsLayout, with_organization},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Webhooks">
            {with_organization(|_, _| view! { <Webhooks /> })}
        </SettingsLayout>
    }
}

/// The add form's fields, given back after a refused post.
const KEPT_FIELDS: [&str; 5] = ["url", "token_events", "member_events", "policy_events", "events"];

#[component]
fn Webhooks() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::list_webhooks());
    let posted = Posted {
        added: posted::<AddWebhook>(),
        removed: posted::<RemoveWebhook>(),
        resent: posted::<ResendDelivery>(),
        resumed: posted::<ResumeWebhook>(),
        kept: KEPT_FIELDS.iter().filter_map(|f| kept_value(f).map(|v| ((*f).to_owned(), v))).collect(),
    };
    let open_remove = use_query_map().get_untracked().get("remove").filter(|v| !v.is_empty());
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
                let (posted, open_remove) = (posted.clone(), open_remove.clone());
                data.get().map(move |result| match result {
                    Ok(data) => match data.endpoints {
                        Some(endpoints) => {
                            let initial = Initial { endpoints, allow_private: data.allow_private, open_remove, posted };
                            let initial = serde_json::to_string(&initial).unwrap_or_default();
                            view! { <WebhooksArea initial /> }.into_any()
                        }
                        None => view! {
                            <div class="alert alert-info" role="status" data-testid="webhooks-admins-only">
                                "Only admins and owners of " <strong>{data.org_name}</strong> " manage webhooks."
                            </div>
                        }
                        .into_any(),
                    },
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}
