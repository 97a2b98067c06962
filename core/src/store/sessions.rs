//! Browser sessions. The cookie carries 256 random bits; only their SHA-256 is stored.

use super::Exec;
use crate::{
    ids::{OrgId, UserId},
    time::Timestamp,
};

/// A live session, joined with its account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: UserId,
    pub email: String,
    pub current_org_id: Option<OrgId>,
    pub last_seen_at: Timestamp,
    /// When the person last proved who they are in this session (sign-in, or a sudo confirmation).
    pub authenticated_at: Timestamp,
}

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: UserId,
    pub org_id: Option<OrgId>,
    pub now: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert<'c>(db: impl Exec<'c>, s: NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, current_org_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(s.id_hash)
    .bind(s.user_id)
    .bind(s.org_id)
    .bind(s.now)
    .bind(s.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The session, if it has passed neither its absolute expiry nor its idle limit (`seen_after`).
pub async fn find_live<'c>(
    db: impl Exec<'c>,
    id_hash: &str,
    now: Timestamp,
    seen_after: Timestamp,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.user_id, u.email, s.current_org_id, s.last_seen_at, \
         COALESCE(s.authenticated_at, s.created_at) AS authenticated_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
    )
    .bind(id_hash)
    .bind(now)
    .bind(seen_after)
    .fetch_optional(db)
    .await
}

pub async fn touch<'c>(db: impl Exec<'c>, id_hash: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2").bind(now).bind(id_hash).execute(db).await?;
    Ok(())
}

pub async fn delete<'c>(db: impl Exec<'c>, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(db).await?;
    Ok(())
}

pub async fn delete_all_of<'c>(db: impl Exec<'c>, user_id: UserId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(db).await?;
    Ok(())
}

pub async fn set_current_org<'c>(db: impl Exec<'c>, id_hash: &str, org_id: OrgId) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET current_org_id = $1 WHERE id_hash = $2")
        .bind(org_id)
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes sessions past either timeout; returns how many.
pub async fn purge<'c>(db: impl Exec<'c>, now: Timestamp, seen_after: Timestamp) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(seen_after)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
