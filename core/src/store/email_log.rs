//! The emails queued, one row per recipient, for the email limits (see `services::notify`).

use super::{Exec, WindowCount};
use crate::{ids::OrgId, time::Timestamp};

pub async fn insert<'c>(
    db: impl Exec<'c>,
    recipient: &str,
    kind: &str,
    org_id: Option<OrgId>,
    at: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO email_log (recipient, kind, org_id, at) VALUES ($1, $2, $3, $4)")
        .bind(recipient)
        .bind(kind)
        .bind(org_id)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

/// Emails of `kind` to `recipient` since `since` (exclusive).
pub async fn to_recipient<'c>(
    db: impl Exec<'c>,
    recipient: &str,
    kind: &str,
    since: Timestamp,
) -> sqlx::Result<WindowCount> {
    sqlx::query_as(
        "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM email_log WHERE recipient = $1 AND kind = $2 AND at > $3",
    )
    .bind(recipient)
    .bind(kind)
    .bind(since)
    .fetch_one(db)
    .await
}

/// Emails of `kind` an organization caused since `since` (exclusive).
pub async fn from_org<'c>(db: impl Exec<'c>, org_id: OrgId, kind: &str, since: Timestamp) -> sqlx::Result<WindowCount> {
    sqlx::query_as(
        "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM email_log WHERE org_id = $1 AND kind = $2 AND at > $3",
    )
    .bind(org_id)
    .bind(kind)
    .bind(since)
    .fetch_one(db)
    .await
}

/// Deletes the rows queued at or before `before`; returns how many.
pub async fn prune<'c>(db: impl Exec<'c>, before: Timestamp) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM email_log WHERE at <= $1").bind(before).execute(db).await?.rows_affected())
}
