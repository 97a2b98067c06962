//! Webhook endpoints and their delivery attempts.

use super::Exec;
use crate::{
    ids::{MessageId, OrgId, UserId, WebhookId},
    time::Timestamp,
    views::{DeliveryEntry, WebhookEntry},
};

pub struct NewWebhook<'a> {
    pub id: WebhookId,
    pub org_id: OrgId,
    pub url: &'a str,
    pub events: &'a str,
    pub salt: &'a str,
    pub by: UserId,
    pub now: Timestamp,
}

pub async fn insert<'c>(db: impl Exec<'c>, w: NewWebhook<'_>) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO webhooks (id, org_id, url, events, salt, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(w.id)
        .bind(w.org_id)
        .bind(w.url)
        .bind(w.events)
        .bind(w.salt)
        .bind(w.now)
        .bind(w.by)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn list<'c>(db: impl Exec<'c>, org_id: OrgId) -> sqlx::Result<Vec<WebhookEntry>> {
    sqlx::query_as(
        "SELECT id, url, events, created_at, failing_since, paused_at AS paused_since, paused_reason FROM webhooks \
         WHERE org_id = $1 ORDER BY created_at, id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await
}

/// An endpoint as delivery needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryTarget {
    pub id: WebhookId,
    pub org_id: OrgId,
    pub url: String,
    pub events: String,
    pub salt: String,
    pub failing_since: Option<Timestamp>,
    /// Paused endpoints get no deliveries (see [`pause_added_by`]).
    pub paused_at: Option<Timestamp>,
}

const TARGET: &str = "SELECT id, org_id, url, events, salt, failing_since, paused_at FROM webhooks";

pub async fn targets<'c>(db: impl Exec<'c>, org_id: OrgId) -> sqlx::Result<Vec<DeliveryTarget>> {
    sqlx::query_as(&format!("{TARGET} WHERE org_id = $1")).bind(org_id).fetch_all(db).await
}

pub async fn target<'c>(db: impl Exec<'c>, id: WebhookId) -> sqlx::Result<Option<DeliveryTarget>> {
    sqlx::query_as(&format!("{TARGET} WHERE id = $1")).bind(id).fetch_optional(db).await
}

/// Deletes an endpoint; returns its URL if it existed.
pub async fn delete<'c>(db: impl Exec<'c>, org_id: OrgId, id: WebhookId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM webhooks WHERE org_id = $1 AND id = $2 RETURNING url")
        .bind(org_id)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Pauses the live endpoints `user` added in the organization; returns their ids and URLs.
pub async fn pause_added_by<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    user: UserId,
    reason: &str,
    now: Timestamp,
) -> sqlx::Result<Vec<(WebhookId, String)>> {
    sqlx::query_as(
        "UPDATE webhooks SET paused_at = $1, paused_reason = $2 \
         WHERE org_id = $3 AND created_by = $4 AND paused_at IS NULL RETURNING id, url",
    )
    .bind(now)
    .bind(reason)
    .bind(org_id)
    .bind(user)
    .fetch_all(db)
    .await
}

/// Resumes a paused endpoint; `by` becomes the member it answers to (pausing again if they leave).
/// Returns its URL if it was paused.
pub async fn resume<'c>(db: impl Exec<'c>, org_id: OrgId, id: WebhookId, by: UserId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE webhooks SET paused_at = NULL, paused_reason = NULL, created_by = $1 \
         WHERE org_id = $2 AND id = $3 AND paused_at IS NOT NULL RETURNING url",
    )
    .bind(by)
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Marks an endpoint failing (a delivery was given up), or healthy again (`None`).
pub async fn set_failing<'c>(db: impl Exec<'c>, id: WebhookId, since: Option<Timestamp>) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhooks SET failing_since = $1 WHERE id = $2").bind(since).bind(id).execute(db).await?;
    Ok(())
}

pub struct NewAttempt<'a> {
    pub id: MessageId,
    pub webhook_id: WebhookId,
    pub message_id: MessageId,
    pub attempt: i64,
    pub at: Timestamp,
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<&'a str>,
}

pub async fn record_attempt<'c>(db: impl Exec<'c>, a: NewAttempt<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webhook_attempts (id, webhook_id, message_id, attempt, at, status, duration_ms, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id)
    .bind(a.webhook_id)
    .bind(a.message_id)
    .bind(a.attempt)
    .bind(a.at)
    .bind(a.status.map(i64::from))
    .bind(a.duration_ms)
    .bind(a.error)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn attempts<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    id: WebhookId,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryEntry>> {
    sqlx::query_as(
        "SELECT a.message_id, o.event_type, a.attempt, a.at, a.status, a.duration_ms, a.error \
         FROM webhook_attempts a JOIN webhooks w ON w.id = a.webhook_id JOIN outbox o ON o.id = a.message_id \
         WHERE w.org_id = $1 AND a.webhook_id = $2 ORDER BY a.at DESC, a.id DESC LIMIT $3",
    )
    .bind(org_id)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await
}
