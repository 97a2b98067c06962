//! Settings → Webhooks: the organization's endpoints, the events each receives, their delivery logs
//! with "resend", the signing secret shown once when an endpoint is added, and "Resume" for endpoints
//! paused when the member who added them left. Admins and owners only.

mod page;

pub use page::WebhooksPage;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use tessera_core::views::{DeliveryEntry, WebhookEntry};

/// An endpoint and its latest delivery attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub entry: WebhookEntry,
    pub deliveries: Vec<DeliveryEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksData {
    pub org_name: String,
    /// `None`: the viewer may not manage webhooks (their role is below admin).
    pub endpoints: Option<Vec<Endpoint>>,
    /// Plain http:// and private addresses are allowed on this server.
    pub allow_private: bool,
}

/// An endpoint just added, with its signing secret: shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedWebhook {
    pub entry: WebhookEntry,
    pub secret: String,
}

impl fmt::Debug for AddedWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddedWebhook").field("entry", &self.entry).field("secret", &"[redacted]").finish()
    }
}

/// Deliveries shown per endpoint.
pub const LOG_LENGTH: i64 = 10;

#[server(prefix = "/rpc", endpoint = "webhooks/list")]
pub async fn list_webhooks() -> Result<WebhooksData, AppError> {
    use tessera_core::{domain::org::Action, services::webhooks};
    crate::request::serve_member(|cx, caller| async move {
        let member = &caller.member;
        let endpoints = if member.may(Action::ManageWebhooks) {
            let mut endpoints = Vec::new();
            for entry in webhooks::list(cx.core(), member).await? {
                let deliveries = webhooks::deliveries(cx.core(), member, entry.id, LOG_LENGTH).await?;
                endpoints.push(Endpoint { entry, deliveries });
            }
            Some(endpoints)
        } else {
            None
        };
        Ok(WebhooksData {
            org_name: member.org_name.clone(),
            endpoints,
            allow_private: cx.core().settings.allow_private_webhooks,
        })
    })
    .await
}

/// The events a new endpoint gets: the families ticked, and any events typed.
pub fn chosen_events(tokens: bool, members: bool, policy: bool, events: &str) -> String {
    let mut chosen: Vec<&str> = Vec::new();
    if tokens {
        chosen.push("token.*");
    }
    if members {
        chosen.push("member.*");
    }
    if policy {
        chosen.push("org.policy_changed");
    }
    let mut list = chosen.join(",");
    if !events.trim().is_empty() {
        if !list.is_empty() {
            list.push(',');
        }
        list.push_str(events.trim());
    }
    list
}

#[server(prefix = "/rpc", endpoint = "webhooks/add")]
pub async fn add_webhook(
    #[server(default)] url: String,
    #[server(default)] token_events: Option<String>,
    #[server(default)] member_events: Option<String>,
    #[server(default)] policy_events: Option<String>,
    #[server(default)] events: String,
) -> Result<AddedWebhook, AppError> {
    use tessera_core::services::webhooks;
    crate::request::serve_member(|cx, caller| async move {
        cx.sudo()?;
        let events = chosen_events(token_events.is_some(), member_events.is_some(), policy_events.is_some(), &events);
        let registered = webhooks::register(cx.core(), &caller, &url, &events).await?;
        Ok(AddedWebhook { entry: registered.entry, secret: registered.secret.expose().to_owned() })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "webhooks/remove")]
pub async fn remove_webhook(#[server(default)] id: String) -> Result<(), AppError> {
    use tessera_core::{error::Error, services::webhooks};
    crate::request::serve_member(|cx, caller| async move {
        let id = id.parse().map_err(|_| Error::not_found("That webhook endpoint"))?;
        webhooks::remove(cx.core(), &caller, id).await
    })
    .await
}

/// Resumes an endpoint that was paused when the member who added it left or lost the admin role.
#[server(prefix = "/rpc", endpoint = "webhooks/resume")]
pub async fn resume_webhook(#[server(default)] id: String) -> Result<(), AppError> {
    use tessera_core::{error::Error, services::webhooks};
    crate::request::serve_member(|cx, caller| async move {
        let id = id.parse().map_err(|_| Error::not_found("That webhook endpoint"))?;
        webhooks::resume(cx.core(), &caller, id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "webhooks/resend")]
pub async fn resend_delivery(
    #[server(default)] webhook_id: String,
    #[server(default)] message_id: String,
) -> Result<(), AppError> {
    use tessera_core::{error::Error, services::webhooks};
    crate::request::serve_member(|cx, caller| async move {
        let webhook = webhook_id.parse().map_err(|_| Error::not_found("That webhook endpoint"))?;
        let message = message_id.parse().map_err(|_| Error::not_found("That delivery"))?;
        webhooks::resend(cx.core(), &caller, webhook, message).await
    })
    .await
}
