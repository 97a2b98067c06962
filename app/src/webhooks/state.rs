//! What the webhooks island knows: the endpoints with their delivery logs, the endpoint just added
//! (its signing secret lives here, in memory only), and its actions, each through its typed server
//! function.

use super::{AddedWebhook, Endpoint};
use crate::{
    error::AppError,
    ui::{Acts, FormFields as Fields, Notice, dom},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The outcome of a form posted without JavaScript, which the page was rendered after. The signing
/// secret is in it (the one time it is shown): the server puts it into that one answer only.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Posted {
    pub added: Option<Result<AddedWebhook, AppError>>,
    pub removed: Option<Result<(), AppError>>,
    pub resent: Option<Result<(), AppError>>,
    pub resumed: Option<Result<(), AppError>>,
    pub kept: Vec<(String, String)>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Initial {
    pub endpoints: Vec<Endpoint>,
    pub allow_private: bool,
    /// `?remove=<id>`: that endpoint's dialog is rendered open (without JavaScript).
    pub open_remove: Option<String>,
    pub posted: Posted,
}

impl Initial {
    pub fn has_secret(&self) -> bool {
        matches!(self.posted.added, Some(Ok(_)))
    }
}

pub const ADD: &str = "add";
pub const PAGE: &str = "page";

pub fn key(action: &str, id: &str) -> String {
    format!("{action}-{id}")
}

#[derive(Clone, Copy)]
pub struct Ctx {
    pub endpoints: RwSignal<Vec<Endpoint>>,
    pub added: RwSignal<Option<AddedWebhook>>,
    pub acts: Acts,
    open_remove: StoredValue<Option<String>>,
    kept: StoredValue<Vec<(String, String)>>,
}

impl Ctx {
    pub fn new(initial: Initial) -> Self {
        let Initial { endpoints, open_remove, posted, .. } = initial;
        let failure = match &posted {
            Posted { added: Some(Err(e)), .. } => Some((ADD.to_owned(), e.clone())),
            Posted { removed: Some(Err(e)), .. }
            | Posted { resent: Some(Err(e)), .. }
            | Posted { resumed: Some(Err(e)), .. } => Some((PAGE.to_owned(), e.clone())),
            _ => None,
        };
        let notice = match &posted {
            Posted { removed: Some(Ok(())), .. } => {
                Some(Notice::new("webhook-removed", "The endpoint was removed. It gets no more deliveries."))
            }
            Posted { resent: Some(Ok(())), .. } => {
                Some(Notice::new("delivery-resent", "The delivery was queued again, with the same webhook-id."))
            }
            Posted { resumed: Some(Ok(())), .. } => {
                Some(Notice::new("webhook-resumed", "The endpoint was resumed: new events are delivered to it again."))
            }
            _ => None,
        };
        Self {
            endpoints: RwSignal::new(endpoints),
            added: RwSignal::new(posted.added.and_then(Result::ok)),
            acts: Acts::new(failure, notice),
            open_remove: StoredValue::new(open_remove),
            kept: StoredValue::new(posted.kept),
        }
    }

    /// What was typed into `field` before a failed post (`None` if nothing failed).
    pub fn kept(&self, field: &str) -> Option<String> {
        self.kept.with_value(|k| k.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone()))
    }

    /// Whether a post failed (its fields came back).
    pub fn refused(&self) -> bool {
        self.kept.with_value(|k| !k.is_empty())
    }

    pub fn opened(&self, id: &str) -> bool {
        self.open_remove.with_value(|o| o.as_deref() == Some(id))
    }

    fn url_of(&self, id: &str) -> String {
        self.endpoints.with_untracked(|e| {
            e.iter().find(|e| e.entry.id.to_string() == id).map(|e| e.entry.url.clone()).unwrap_or_default()
        })
    }

    pub fn add(self, form: Fields) {
        let ticked = |name: &str| Some(form.get(name)).filter(|v| !v.is_empty());
        let call = super::add_webhook(
            form.get("url"),
            ticked("token_events"),
            ticked("member_events"),
            ticked("policy_events"),
            form.get("events"),
        );
        self.acts.run(ADD.to_owned(), call, move |added| {
            self.added.set(Some(added));
            dom::reset_form("add-webhook-form");
            dom::focus_first(&["#webhook-secret"]);
            self.refresh();
        });
    }

    pub fn remove(self, form: Fields) {
        let id = form.get("id");
        self.acts.run(key("remove", &id), super::remove_webhook(id.clone()), move |()| {
            let url = self.url_of(&id);
            dom::close_dialogs();
            self.endpoints.update(|e| e.retain(|e| e.entry.id.to_string() != id));
            self.acts
                .say(Notice::new("webhook-removed", format!("Endpoint {url} removed. It gets no more deliveries.")));
            dom::focus_first(&["#endpoints-title"]);
            self.refresh();
        });
    }

    pub fn resume(self, form: Fields) {
        let id = form.get("id");
        self.acts.run(key("resume", &id), super::resume_webhook(id.clone()), move |()| {
            let url = self.url_of(&id);
            self.acts.say(Notice::new(
                "webhook-resumed",
                format!("Endpoint {url} resumed: new events are delivered to it again."),
            ));
            dom::focus_first(&["#endpoints-title"]);
            self.refresh();
        });
    }

    pub fn resend(self, form: Fields) {
        let (webhook, message) = (form.get("webhook_id"), form.get("message_id"));
        let call = super::resend_delivery(webhook, message.clone());
        self.acts.run(key("resend", &message), call, move |()| {
            let event = self.endpoints.with_untracked(|e| {
                e.iter()
                    .flat_map(|e| &e.deliveries)
                    .find(|d| d.message_id.to_string() == message)
                    .map(|d| d.event_type.clone())
                    .unwrap_or_default()
            });
            let short: String = message.chars().take(8).collect();
            self.acts.say(Notice::new(
                "delivery-resent",
                format!("The {event} delivery {short} was queued again, with the same webhook-id."),
            ));
        });
    }

    /// Reads the endpoints and their logs again.
    fn refresh(self) {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = super::list_webhooks().await {
                self.endpoints.set(fresh.endpoints.unwrap_or_default());
            }
        });
    }
}
