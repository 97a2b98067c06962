//! Webhook endpoints: an organization's admins register HTTPS URLs and choose events; each endpoint
//! gets a signing secret (Standard Webhooks `whsec_…`), shown once. The secret is not stored: it is
//! derived from the server key and the endpoint's salt whenever a delivery is signed.

use super::{
    audit::{Recorder, Subject, no_detail},
    notify,
};
use crate::{
    context::Core,
    crypto::random_urlsafe,
    db::WriteTx,
    domain::{
        audit::{EventType, SubjectKind},
        org::Action,
        webhook::{WebhookEvents, WebhookUrl},
    },
    error::Error,
    identity::{Caller, Member, Via},
    ids::{MessageId, UserId, WebhookId},
    store::{self, webhooks::NewWebhook},
    views::{DeliveryEntry, WebhookEntry},
};
use base64::Engine;
use serde_json::json;
use std::fmt;

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

/// Refuses endpoints whose host, as the HTTP client reads it, is in this server's own network:
/// loopback, private and link-local addresses however they are spelled (the parser has already turned
/// `0x7f.1`, `2130706433`, `%31%32%37.0.0.1` and full-width digits into the address they mean), and names
/// that always mean this machine. Other names are checked again when a delivery resolves them, so a name
/// that later points inside is refused then; the transport refuses internal addresses too.
pub fn check_target(url: &WebhookUrl, allow_private: bool) -> Result<(), String> {
    if allow_private || !url.is_internal() {
        return Ok(());
    }
    Err(format!(
        "That URL points at this server's own network ({} is a loopback, private, link-local or otherwise internal \
         address or name), which Tessera does not call. Use a public HTTPS endpoint.",
        url.host()
    ))
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
    tx.commit(core).await?;
    tracing::info!(webhook = %id, org = %caller.org_id(), by = %caller.user_id(), "webhook endpoint registered");
    Ok(Registered {
        entry: WebhookEntry {
            id,
            url: url.as_str().to_owned(),
            events: events_text,
            created_at: now,
            failing_since: None,
            paused_since: None,
            paused_reason: None,
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
    tx.commit(core).await?;
    Ok(())
}

/// Why a member no longer answers for the endpoints they added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    Removed,
    Left,
    NoLongerAdmin,
}

/// Pauses the endpoints `member` added, inside the transaction that removes or demotes them (before its
/// events are recorded, so none of them reaches those endpoints), records `webhook.paused` for each and
/// emails the owners. Returns how many were paused.
pub(crate) async fn pause_added_by(
    tx: &mut WriteTx,
    core: &Core,
    recorder: &Recorder<'_>,
    org_name: &str,
    member: (UserId, &str),
    departure: Departure,
) -> Result<usize, Error> {
    let (user, email) = member;
    let why = match departure {
        Departure::Removed => format!("{email} was removed from {org_name}"),
        Departure::Left => format!("{email} left {org_name}"),
        Departure::NoLongerAdmin => format!("{email} is no longer an admin of {org_name}"),
    };
    let paused = store::webhooks::pause_added_by(&mut **tx, recorder.org_id, user, &why, recorder.at).await?;
    if paused.is_empty() {
        return Ok(0);
    }
    for (id, url) in &paused {
        recorder
            .record(
                tx,
                EventType::WebhookPaused,
                Subject::other(SubjectKind::Webhook, id.to_string(), Some(url.clone())),
                json!({"added_by": user, "reason": why}),
            )
            .await?;
    }
    let urls: Vec<String> = paused.into_iter().map(|(_, url)| url).collect();
    notify::webhooks_paused(tx, core, recorder, org_name, &why, &urls).await?;
    tracing::info!(org = %recorder.org_id, user = %user, paused = urls.len(), "webhook endpoints paused");
    Ok(urls.len())
}

/// Resumes a paused endpoint: new events are delivered to it again (those of the pause are not). The
/// admin who resumes it is the one it answers to from now on.
pub async fn resume(core: &Core, caller: &Caller, id: WebhookId) -> Result<(), Error> {
    caller.require(Action::ManageWebhooks)?;
    refuse_tokens(caller)?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let Some(url) = store::webhooks::resume(&mut *tx, caller.org_id(), id, caller.user_id()).await? else {
        let exists = store::webhooks::target(&mut *tx, id).await?.is_some_and(|t| t.org_id == caller.org_id());
        return if exists { Ok(()) } else { Err(webhook_not_found()) };
    };
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::WebhookResumed,
            Subject::other(SubjectKind::Webhook, id.to_string(), Some(url)),
            no_detail(),
        )
        .await?;
    tx.commit(core).await?;
    tracing::info!(webhook = %id, org = %caller.org_id(), by = %caller.user_id(), "webhook endpoint resumed");
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
    let target = store::webhooks::target(core.db.pool(), id).await?.filter(|t| t.org_id == caller.org_id());
    let target = target.ok_or_else(webhook_not_found)?;
    if target.paused_at.is_some() {
        return Err(Error::conflict("That endpoint is paused: resume it first, then resend."));
    }
    let mut tx = core.db.begin_write().await?;
    if !store::outbox::resend(&mut *tx, caller.org_id(), id, message, core.clock.now()).await? {
        return Err(Error::not_found("That delivery"));
    }
    tx.commit(core).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::webhook::is_private_address;

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

    /// Is the host the HTTP client connects to inside? Written from the client's parse alone, as a second
    /// opinion on [`WebhookUrl::is_internal`].
    fn client_host_is_internal(host: url::Host<&str>) -> bool {
        match host {
            url::Host::Ipv4(ip) => is_private_address(ip.into()),
            url::Host::Ipv6(ip) => is_private_address(ip.into()),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.');
                name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(is_private_address)
            }
        }
    }

    /// The check and the HTTP client read the same host from any text: reqwest turns a `&str` into a URL
    /// with `url::Url::parse`, and is given the `Url` the check read.
    fn check_agrees_with_the_client(raw: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::prop_assert_eq;
        for allow_http in [false, true] {
            let Ok(checked) = WebhookUrl::parse(raw, allow_http) else { continue };
            let client = url::Url::parse(raw.trim());
            proptest::prop_assert!(client.is_ok(), "the client can't parse what was accepted");
            let client = client.unwrap();
            prop_assert_eq!(client.host(), Some(checked.host()));
            prop_assert_eq!(client.port_or_known_default(), Some(checked.port()));
            // What is stored reads back as the same URL, at delivery as in the client.
            let stored = WebhookUrl::parse(checked.as_str(), allow_http).unwrap();
            prop_assert_eq!(stored.url(), checked.url());
            prop_assert_eq!(url::Url::parse(checked.as_str()).ok(), Some(checked.url().clone()));
            if check_target(&checked, false).is_ok() {
                proptest::prop_assert!(!client_host_is_internal(client.host().unwrap()), "{} passed", client);
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4096))]

        #[test]
        fn the_check_and_the_client_agree_on_any_text(raw in "(https?://)?\\PC{0,60}") {
            check_agrees_with_the_client(&raw)?;
        }

        /// Text built from what parsers disagree on: backslashes, `@`, `:`, percent-encoded digits and dots,
        /// full-width digits and dots, ideographic full stops, hex and octal numbers, brackets.
        #[test]
        fn the_check_and_the_client_agree_on_tricky_hosts(
            scheme in "(https?|HTTPS|hTtP)://",
            host in "([0-9a-fxXlocahst.:@/\\\\\\[\\]#?]|%3[0-9]|%2[eE]|%40|%5[cC]|\u{3002}|\u{ff0e}|\u{ff61}|[\u{ff10}-\u{ff19}]|\u{ff4c}){0,24}",
        ) {
            check_agrees_with_the_client(&format!("{scheme}{host}"))?;
            check_agrees_with_the_client(&format!("{scheme}{host}/x"))?;
        }
    }
}
