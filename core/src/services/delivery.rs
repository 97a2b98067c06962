//! Delivering the outbox: claim due messages for a lease, send each through a [`Transport`] (SMTP and
//! HTTP live in the server; this module decides what to send, how to sign it, when to retry and when to
//! give up), and record the outcome.
//!
//! Emails and webhooks have separate lanes: emails are claimed by kind, so no webhook endpoint stands
//! between an event and its email; webhook deliveries to different endpoints run side by side, at most
//! [`DeliverySettings::per_endpoint`] at once to one endpoint, so a slow endpoint delays only itself.
//!
//! A message is marked delivered only after its transport succeeded, so a process killed in between
//! sends it again when the lease runs out: at-least-once, with the message id as the idempotency key
//! (`webhook-id`). Under normal operation each message is sent once: a claimed message is invisible to
//! other workers (`FOR UPDATE SKIP LOCKED` on PostgreSQL) until its lease ends.

use super::{
    notify::{self, Letter, Mail},
    webhooks,
};
use crate::{
    context::Core,
    domain::webhook::WebhookUrl,
    error::Error,
    ids::{MessageId, WebhookId},
    store::{
        self,
        outbox::{Kind, Message},
        webhooks::NewAttempt,
    },
    time::{HOUR_MS, MINUTE_MS, Timestamp},
};
use base64::Engine;
use std::{future::Future, time::Instant};

/// How delivery retries.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Emails one claim takes.
    pub batch: i64,
    /// Webhook deliveries in flight to one endpoint, per process.
    pub per_endpoint: i64,
    /// Webhook deliveries in flight in all, per process.
    pub webhooks_in_flight: usize,
    /// How long a claimed message stays invisible to other workers.
    pub lease_ms: i64,
    /// The first retry's delay; each further one doubles, up to `retry_max_ms`.
    pub retry_base_ms: i64,
    pub retry_max_ms: i64,
    /// After this long without success, a message is given up (and its webhook marked failing).
    pub give_up_after_ms: i64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            batch: 20,
            per_endpoint: 4,
            webhooks_in_flight: 32,
            lease_ms: 5 * MINUTE_MS,
            retry_base_ms: 30_000,
            retry_max_ms: HOUR_MS,
            give_up_after_ms: 24 * HOUR_MS,
        }
    }
}

impl DeliverySettings {
    /// The delay before attempt `attempts + 1`, after `attempts` failures.
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        let exponent = (attempts - 1).clamp(0, 30) as u32;
        self.retry_base_ms.saturating_mul(1i64 << exponent).min(self.retry_max_ms)
    }
}

/// What the delivery log (and the failing-endpoint email) says of every attempt that got no HTTP answer:
/// a refused or blocked address, a closed port, a port that does not speak HTTP, a timeout, a name that
/// does not resolve. One text and no time taken, so that the log can't be used to tell open ports from
/// closed ones or which internal names exist (the transport's own reason goes to the server's log).
pub const NO_ANSWER: &str = "could not deliver: the endpoint was refused or unreachable";

/// A webhook endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status; `None` when there was no answer (refused, timed out, blocked address).
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Answer {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// How messages leave the process. The server implements it with lettre (SMTP) and reqwest (HTTPS).
pub trait Transport: Send + Sync {
    /// Sends an email; the error says why not (for the log and the retry).
    fn send_mail(&self, mail: &Mail) -> impl Future<Output = Result<(), String>> + Send;
    /// POSTs a signed webhook body. The transport refuses private addresses unless allowed.
    fn post(
        &self,
        url: &WebhookUrl,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> impl Future<Output = Answer> + Send;
}

/// The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256, under the
/// endpoint's secret, of `{id}.{timestamp}.{body}`.
pub fn sign(secret: &webhooks::WebhookSecret, id: MessageId, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&secret.key()).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Seconds since the epoch on the system clock: receivers compare `webhook-timestamp` with theirs.
fn unix_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// Claims and delivers one batch of emails; returns how many it handled (0: nothing was due).
pub async fn deliver_due_emails(
    core: &Core,
    transport: &impl Transport,
    settings: &DeliverySettings,
) -> Result<usize, Error> {
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let claimed =
        store::outbox::claim_emails(&mut *tx, core.db.backend(), now, settings.lease_ms, settings.batch).await?;
    tx.commit(core).await?;
    let count = claimed.len();
    for message in claimed {
        deliver(core, transport, settings, message).await;
    }
    Ok(count)
}

/// Claims up to `limit` due webhook deliveries, none to the endpoints in `busy` and at most
/// `per_endpoint` to any other; the caller delivers each with [`deliver`], side by side.
pub async fn claim_webhooks(
    core: &Core,
    settings: &DeliverySettings,
    busy: &[WebhookId],
    limit: usize,
) -> Result<Vec<Message>, Error> {
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let claimed = store::outbox::claim_webhooks(
        &mut *tx,
        core.db.backend(),
        now,
        settings.lease_ms,
        settings.per_endpoint,
        busy,
        limit as i64,
    )
    .await?;
    tx.commit(core).await?;
    Ok(claimed)
}

/// Delivers one claimed message and records the outcome. When even the bookkeeping fails, the lease
/// runs out and the message is tried again.
pub async fn deliver(core: &Core, transport: &impl Transport, settings: &DeliverySettings, m: Message) {
    let id = m.id;
    let outcome = match m.kind {
        Kind::Email => deliver_email(core, transport, settings, m).await,
        Kind::Webhook => deliver_webhook(core, transport, settings, m).await,
    };
    if let Err(e) = outcome {
        tracing::warn!(message = %id, error = ?e, "delivery bookkeeping failed");
    }
}

async fn deliver_email(
    core: &Core,
    transport: &impl Transport,
    settings: &DeliverySettings,
    m: Message,
) -> Result<(), Error> {
    let letter: Letter = match serde_json::from_str(&m.payload) {
        Ok(letter) => letter,
        Err(e) => {
            store::outbox::failed(core.db.pool(), m.id, core.clock.now(), &format!("unreadable message: {e}")).await?;
            return Ok(());
        }
    };
    let mail = match letter {
        Letter::Mail(mail) => mail,
        Letter::Invitation { invitation_id } => match super::members::invitation_mail(core, invitation_id).await? {
            Some(mail) => mail,
            None => {
                // Accepted, revoked or expired since: nothing to send.
                store::outbox::delivered(core.db.pool(), m.id, core.clock.now()).await?;
                return Ok(());
            }
        },
    };
    let outcome = transport.send_mail(&mail).await;
    let now = core.clock.now();
    match outcome {
        Ok(()) => {
            store::outbox::delivered(core.db.pool(), m.id, now).await?;
            tracing::info!(message = %m.id, topic = %m.event_type, recipients = mail.to.len(), "email sent");
        }
        Err(error) if now.millis() - m.created_at.millis() >= settings.give_up_after_ms => {
            store::outbox::failed(core.db.pool(), m.id, now, &error).await?;
            tracing::error!(message = %m.id, topic = %m.event_type, %error, attempts = m.attempts, "email given up");
        }
        Err(error) => {
            let at = now.plus_ms(settings.backoff_ms(m.attempts));
            store::outbox::retry_at(core.db.pool(), m.id, at, &error).await?;
            tracing::warn!(message = %m.id, topic = %m.event_type, %error, attempt = m.attempts, "email failed; will retry");
        }
    }
    Ok(())
}

async fn deliver_webhook(
    core: &Core,
    transport: &impl Transport,
    settings: &DeliverySettings,
    m: Message,
) -> Result<(), Error> {
    let target = match m.webhook_id {
        Some(id) => store::webhooks::target(core.db.pool(), id).await?,
        None => None,
    };
    let Some(target) = target else {
        store::outbox::failed(core.db.pool(), m.id, core.clock.now(), "the endpoint was removed").await?;
        return Ok(());
    };
    if target.paused_at.is_some() {
        // Queued before the pause: not delivered, now or after a resume.
        store::outbox::failed(core.db.pool(), m.id, core.clock.now(), "the endpoint was paused").await?;
        return Ok(());
    }
    let allow_private = core.settings.allow_private_webhooks;
    let checked = WebhookUrl::parse(&target.url, allow_private)
        .and_then(|url| webhooks::check_target(&url, allow_private).map(|()| url));
    let started = Instant::now();
    let started_at = core.clock.now();
    let answer = match &checked {
        Ok(url) => {
            let timestamp = unix_seconds();
            let secret = webhooks::secret_of(core, target.id, &target.salt);
            let headers = [
                ("webhook-id", m.id.to_string()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", sign(&secret, m.id, timestamp, &m.payload)),
            ];
            transport.post(url, &headers, &m.payload).await
        }
        Err(refusal) => Answer { status: None, error: Some(refusal.clone()) },
    };
    let (answer, duration_ms) = match (&checked, answer) {
        (Ok(_), Answer { status: None, error }) => {
            tracing::info!(webhook = %target.id, message = %m.id, reason = error.as_deref().unwrap_or(""), "webhook endpoint gave no answer");
            (Answer { status: None, error: Some(NO_ANSWER.to_owned()) }, 0)
        }
        (_, answer) => (answer, started.elapsed().as_millis() as i64),
    };
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    store::webhooks::record_attempt(
        &mut *tx,
        NewAttempt {
            id: MessageId::new_random(),
            webhook_id: target.id,
            message_id: m.id,
            attempt: m.attempts,
            at: started_at,
            status: answer.status,
            duration_ms,
            error: answer.error.as_deref(),
        },
    )
    .await?;
    if answer.succeeded() {
        store::outbox::delivered(&mut *tx, m.id, now).await?;
        if target.failing_since.is_some() {
            store::webhooks::set_failing(&mut *tx, target.id, None).await?;
        }
    } else {
        let error = answer.error.clone().unwrap_or_else(|| format!("HTTP {}", answer.status.unwrap_or_default()));
        if now.millis() - m.created_at.millis() >= settings.give_up_after_ms {
            store::outbox::failed(&mut *tx, m.id, now, &error).await?;
            if target.failing_since.is_none() {
                store::webhooks::set_failing(&mut *tx, target.id, Some(now)).await?;
                notify::webhook_failing(&mut tx, core, target.org_id, &target.url, &error, now).await?;
            }
            tracing::warn!(webhook = %target.id, message = %m.id, attempts = m.attempts, %error, "webhook delivery given up");
        } else {
            store::outbox::retry_at(&mut *tx, m.id, now.plus_ms(settings.backoff_ms(m.attempts)), &error).await?;
        }
    }
    tx.commit(core).await?;
    Ok(())
}

/// Messages not yet delivered nor given up (for metrics and tests).
pub async fn pending(core: &Core) -> Result<i64, Error> {
    Ok(store::outbox::pending(core.db.pool()).await?)
}

/// When the oldest pending message was queued, if any.
pub async fn oldest_pending(core: &Core) -> Result<Option<Timestamp>, Error> {
    Ok(store::outbox::oldest_pending(core.db.pool()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = DeliverySettings { retry_base_ms: 1_000, retry_max_ms: 10_000, ..DeliverySettings::default() };
        assert_eq!([1, 2, 3, 4, 5, 60].map(|n| s.backoff_ms(n)), [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    }
}
