//! The outbox: messages (emails, webhook deliveries) written in the transaction of the event that
//! causes them, delivered afterwards by workers that claim them for a lease.

use super::Exec;
use crate::{
    db::Backend,
    ids::{MessageId, OrgId, WebhookId},
    time::Timestamp,
};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Email,
    Webhook,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Webhook => "webhook",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "email" => Ok(Kind::Email),
            "webhook" => Ok(Kind::Webhook),
            other => Err(format!("unknown outbox kind {other:?}")),
        }
    }
}

crate::sql_types::text_type!(Kind);

pub struct NewMessage<'a> {
    pub id: MessageId,
    pub kind: Kind,
    pub org_id: Option<OrgId>,
    pub webhook_id: Option<WebhookId>,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub now: Timestamp,
}

pub async fn insert<'c>(db: impl Exec<'c>, m: NewMessage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, org_id, webhook_id, event_type, payload, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(m.id)
    .bind(m.kind)
    .bind(m.org_id)
    .bind(m.webhook_id)
    .bind(m.event_type)
    .bind(m.payload)
    .bind(m.now)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: MessageId,
    pub kind: Kind,
    pub org_id: Option<OrgId>,
    pub webhook_id: Option<WebhookId>,
    pub event_type: String,
    pub payload: String,
    pub created_at: Timestamp,
    pub attempts: i64,
}

/// The columns a claim returns.
const CLAIMED: &str = "id, kind, org_id, webhook_id, event_type, payload, created_at, attempts";

/// Claims up to `limit` due emails until `now + lease_ms`, oldest first. Emails have a lane of their
/// own, so no webhook endpoint, however slow, stands between an event and its email. On PostgreSQL,
/// instances skip the rows another one is claiming (`FOR UPDATE SKIP LOCKED`); on SQLite the write
/// transaction is the only one.
pub async fn claim_emails<'c>(
    db: impl Exec<'c>,
    backend: Backend,
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<Message>> {
    let sql = format!(
        "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN ( \
             SELECT id FROM outbox WHERE kind = 'email' AND {DUE} ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
         RETURNING {CLAIMED}",
        lock = skip_locked(backend),
    );
    let claimed = sqlx::query_as(&sql).bind(now.plus_ms(lease_ms)).bind(now).bind(limit).fetch_all(db).await?;
    Ok(oldest_first(claimed))
}

/// Claims due webhook deliveries until `now + lease_ms`: at most `per_endpoint` for any one endpoint,
/// none for the endpoints in `busy` (this process is still delivering to them), `limit` in all. So
/// each endpoint has at most `per_endpoint` deliveries in flight per process, and an endpoint that
/// never answers holds up nobody else's. The candidates are the 1,000 due soonest (a bounded scan).
pub async fn claim_webhooks<'c>(
    db: impl Exec<'c>,
    backend: Backend,
    now: Timestamp,
    lease_ms: i64,
    per_endpoint: i64,
    busy: &[WebhookId],
    limit: i64,
) -> sqlx::Result<Vec<Message>> {
    let skip = match busy.len() {
        0 => String::new(),
        n => format!(
            " AND COALESCE(webhook_id, '') NOT IN ({})",
            (5..5 + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
        ),
    };
    let sql = format!(
        "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN ( \
             SELECT id FROM outbox WHERE {DUE} AND id IN ( \
                 SELECT id FROM ( \
                     SELECT id, next_attempt_at AS due, \
                            ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, id) AS nth \
                     FROM (SELECT id, webhook_id, next_attempt_at FROM outbox \
                           WHERE kind = 'webhook' AND {DUE}{skip} ORDER BY next_attempt_at, id LIMIT 1000) soonest \
                 ) ranked WHERE nth <= $3 ORDER BY due, id LIMIT $4) \
             {lock}) \
         RETURNING {CLAIMED}",
        lock = skip_locked(backend),
    );
    let mut query = sqlx::query_as(&sql).bind(now.plus_ms(lease_ms)).bind(now).bind(per_endpoint).bind(limit);
    for id in busy {
        query = query.bind(*id);
    }
    Ok(oldest_first(query.fetch_all(db).await?))
}

/// Not delivered, not given up, due at `$2` and not under another worker's lease.
const DUE: &str = "delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 \
                   AND (locked_until IS NULL OR locked_until <= $2)";

fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    }
}

/// `RETURNING` keeps no order: deliver the oldest first.
fn oldest_first(mut claimed: Vec<Message>) -> Vec<Message> {
    claimed.sort_by_key(|m| (m.created_at, m.id));
    claimed
}

pub async fn delivered<'c>(db: impl Exec<'c>, id: MessageId, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET delivered_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn retry_at<'c>(db: impl Exec<'c>, id: MessageId, at: Timestamp, error: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(at)
        .bind(error)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn failed<'c>(db: impl Exec<'c>, id: MessageId, now: Timestamp, error: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET failed_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(now)
        .bind(error)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Sends a message again (the delivery log's "resend"): the same id, so receivers can tell.
pub async fn resend<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    webhook: WebhookId,
    id: MessageId,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET delivered_at = NULL, failed_at = NULL, next_attempt_at = $1, created_at = $1, attempts = 0, locked_until = NULL \
         WHERE id = $2 AND org_id = $3 AND webhook_id = $4 AND kind = 'webhook'",
    )
    .bind(now)
    .bind(id)
    .bind(org_id)
    .bind(webhook)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Messages not yet delivered (nor given up).
pub async fn pending<'c>(db: impl Exec<'c>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL")
        .fetch_one(db)
        .await
}

/// Deletes delivered or given-up messages older than `before`.
pub async fn prune<'c>(db: impl Exec<'c>, before: Timestamp) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM outbox WHERE (delivered_at IS NOT NULL OR failed_at IS NOT NULL) AND created_at < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}

/// When the oldest message not yet delivered (nor given up) was queued.
pub async fn oldest_pending<'c>(db: impl Exec<'c>) -> sqlx::Result<Option<Timestamp>> {
    sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL")
        .fetch_one(db)
        .await
}
