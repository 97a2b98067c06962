//! Webhook endpoints: an organization's admins register HTTPS URLs and choose events; each endpoint
//! gets a signing secret (Standard Webhooks `whsec_…`), shown once. The secret is not stored: it is
//! derived from the server key and the endpoint's salt whenever a delivery is signed.

use super::audit::{Recorder, Subject, no_detail};
use crate::{
    context::Core,
    crypto::random_urlsafe,
    domain::{
        audit::{EventType, SubjectKind},
        org::Action,
        webhook::{WebhookEvents, WebhookUrl, is_private_address},
    },
    error::Error,
    identity::{Caller, Member, Via},
    ids::{MessageId, WebhookId},
    store::{self, webhooks::NewWebhook},
    views::{DeliveryEntry, WebhookEntry},
};
use base64::Engine;
use serde_json::json;
use std::{fmt, net::IpAddr};

/// An organization has at most this many endpoints.
pub const MAX_ENDPOINTS: usize = 20;

/// An endpoint's signing secret: `whsec_` and the base64 of 32 bytes. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key bytes HMAC-SHA256 signs with.
    pub fn key(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(&self.0["whsec_".len()..]).unwrap_or_default()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// The secret of endpoint `id`: HMAC(server key, id and salt). The same on every instance, never stored.
pub fn secret_of(core: &Core, id: WebhookId, salt: &str) -> WebhookSecret {
    let bytes = core.key.sign(format!("tessera webhook signing secret v1|{id}|{salt}").as_bytes());
    WebhookSecret(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// An endpoint just registered, with its secret (the only time it is shown).
#[derive(Debug)]
pub struct Registered {
    pub entry: WebhookEntry,
    pub secret: WebhookSecret,
}

/// Refuses endpoints on loopback, private and link-local addresses written as such (names are checked
/// again when a delivery resolves them, so a name that later points inside is refused then).
pub fn check_target(url: &WebhookUrl, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let (host, _) = url.host_and_port();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let literal = host.parse::<IpAddr>().ok().or_else(|| parse_legacy_ipv4(&host));
    let private = match literal {
        Some(ip) => is_private_address(ip),
        None => {
            host == "localhost"
                || host.ends_with(".localhost")
                || host.ends_with(".local")
                || host.ends_with(".internal")
        }
    };
    if private {
        return Err(
            "That URL points at this server's own network (loopback, private or link-local addresses), which Tessera \
             does not call. Use a public HTTPS endpoint."
                .into(),
        );
    }
    Ok(())
}

/// `http://2130706433/` and `http://0x7f.1/` are 127.0.0.1 to many resolvers: treat numeric hosts as
/// addresses.
fn parse_legacy_ipv4(host: &str) -> Option<IpAddr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 || !parts.iter().all(|p| !p.is_empty()) {
        return None;
    }
    let nums: Option<Vec<u64>> = parts
        .iter()
        .map(|p| {
            if let Some(hex) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).ok()
            } else if p.len() > 1 && p.starts_with('0') {
                u64::from_str_radix(&p[1..], 8).ok()
            } else {
                p.parse().ok()
            }
        })
        .collect();
    let nums = nums?;
    let (last, init) = nums.split_last()?;
    let mut value: u64 = 0;
    for (i, n) in init.iter().enumerate() {
        if *n > 255 {
            return None;
        }
        value |= n << (24 - 8 * i);
    }
    let room = 32 - 8 * init.len() as u32;
    if *last >= (1u64 << room) {
        return None;
    }
    value |= last;
    Some(IpAddr::V4(std::net::Ipv4Addr::from(value as u32)))
}

/// Tokens can't manage webhooks: a leaked token must not be able to send the organization's events elsewhere.
fn refuse_tokens(caller: &Caller) -> Result<(), Error> {
    match caller.via {
        Via::Dashboard => Ok(()),
        Via::Token(_) => Err(Error::forbidden(
            "API tokens can't add or remove webhooks, so that a leaked token can't redirect the organization's events. \
             Manage webhooks in the dashboard, under Settings \u{2192} Webhooks.",
        )),
    }
}

pub async fn register(core: &Core, caller: &Caller, url: &str, events: &str) -> Result<Registered, Error> {
    caller.require(Action::ManageWebhooks)?;
    refuse_tokens(caller)?;
    let allow_private = core.settings.allow_private_webhooks;
    let url = WebhookUrl::parse(url, allow_private).map_err(|m| Error::invalid("url", m))?;
    check_target(&url, allow_private).map_err(|m| Error::invalid("url", m))?;
    let events = WebhookEvents::parse(events).map_err(|m| Error::invalid("events", m))?;
    let now = core.clock.now();
    let id = WebhookId::new_random();
    let salt = random_urlsafe::<16>();
    let events_text = events.to_string();
    let mut tx = core.db.begin_write().await?;
    let existing = store::webhooks::list(&mut *tx, caller.org_id()).await?;
    if existing.len() >= MAX_ENDPOINTS {
        return Err(Error::invalid(
            "url",
            format!("An organization has at most {MAX_ENDPOINTS} webhook endpoints; remove one first."),
        ));
    }
    store::webhooks::insert(
        &mut *tx,
        NewWebhook {
            id,
            org_id: caller.org_id(),
            url: url.as_str(),
            events: &events_text,
            salt: &salt,
            by: caller.user_id(),
            now,
        },
    )
    .await?;
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::WebhookCreated,
            Subject::other(SubjectKind::Webhook, id.to_string(), Some(url.as_str().to_owned())),
            json!({"events": events.codes()}),
        )
        .await?;
    tx.commit().await?;
    tracing::info!(webhook = %id, org = %caller.org_id(), by = %caller.user_id(), "webhook endpoint registered");
    Ok(Registered {
        entry: WebhookEntry {
            id,
            url: url.as_str().to_owned(),
            events: events_text,
            created_at: now,
            failing_since: None,
        },
        secret: secret_of(core, id, &salt),
    })
}

pub async fn list(core: &Core, viewer: &Member) -> Result<Vec<WebhookEntry>, Error> {
    viewer.require(Action::ManageWebhooks)?;
    Ok(store::webhooks::list(core.db.pool(), viewer.org_id).await?)
}

fn webhook_not_found() -> Error {
    Error::not_found("That webhook endpoint")
}

pub async fn remove(core: &Core, caller: &Caller, id: WebhookId) -> Result<(), Error> {
    caller.require(Action::ManageWebhooks)?;
    refuse_tokens(caller)?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let url = store::webhooks::delete(&mut *tx, caller.org_id(), id).await?.ok_or_else(webhook_not_found)?;
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::WebhookDeleted,
            Subject::other(SubjectKind::Webhook, id.to_string(), Some(url)),
            no_detail(),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The endpoint's recent delivery attempts, newest first.
pub async fn deliveries(core: &Core, viewer: &Member, id: WebhookId, limit: i64) -> Result<Vec<DeliveryEntry>, Error> {
    viewer.require(Action::ManageWebhooks)?;
    let exists = store::webhooks::target(core.db.pool(), id).await?.is_some_and(|t| t.org_id == viewer.org_id);
    if !exists {
        return Err(webhook_not_found());
    }
    Ok(store::webhooks::attempts(core.db.pool(), viewer.org_id, id, limit.clamp(1, 100)).await?)
}

/// Sends a message again, with the same `webhook-id` (receivers that already have it can tell).
pub async fn resend(core: &Core, caller: &Caller, id: WebhookId, message: MessageId) -> Result<(), Error> {
    caller.require(Action::ManageWebhooks)?;
    let exists = store::webhooks::target(core.db.pool(), id).await?.is_some_and(|t| t.org_id == caller.org_id());
    if !exists {
        return Err(webhook_not_found());
    }
    let mut tx = core.db.begin_write().await?;
    if !store::outbox::resend(&mut *tx, caller.org_id(), id, message, core.clock.now()).await? {
        return Err(Error::not_found("That delivery"));
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_refused_unless_allowed() {
        for bad in [
            "https://127.0.0.1/x",
            "https://localhost:8443/",
            "https://api.localhost/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.8/",
            "https://2130706433/",
            "https://0x7f.0.0.1/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            let url = WebhookUrl::parse(bad, false).unwrap();
            assert!(check_target(&url, false).is_err(), "{bad}");
            assert!(check_target(&url, true).is_ok(), "{bad}");
        }
        for good in ["https://hooks.example.com/x", "https://93.184.216.34/", "https://1.1.1.1/"] {
            assert!(check_target(&WebhookUrl::parse(good, false).unwrap(), false).is_ok(), "{good}");
        }
    }
}
