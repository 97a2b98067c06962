//! Sign-in attempts, for rate limiting across every instance that shares the database. An attempt is
//! recorded before its password is checked, and removed again when it succeeds.

use super::{Exec, WindowCount};
use crate::time::Timestamp;

/// What a limit is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Email,
    ClientIp,
}

pub async fn insert<'c>(db: impl Exec<'c>, id: &str, email: &str, client_ip: &str, at: Timestamp) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO login_failures (id, email, client_ip, at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(email)
        .bind(client_ip)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

/// Attempts by `value` since `since` (exclusive), and the oldest of them.
pub async fn count_since<'c>(db: impl Exec<'c>, key: Key, value: &str, since: Timestamp) -> sqlx::Result<WindowCount> {
    let sql = match key {
        Key::Email => {
            "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM login_failures WHERE email = $1 AND at > $2"
        }
        Key::ClientIp => {
            "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM login_failures WHERE client_ip = $1 AND at > $2"
        }
    };
    sqlx::query_as(sql).bind(value).bind(since).fetch_one(db).await
}

pub async fn delete<'c>(db: impl Exec<'c>, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

pub async fn purge_before<'c>(db: impl Exec<'c>, before: Timestamp) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE at <= $1").bind(before).execute(db).await?;
    Ok(())
}
