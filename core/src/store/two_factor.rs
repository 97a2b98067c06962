//! Second factors: an account's authenticator (its sealed TOTP key and the last step it accepted), its
//! recovery codes (HMACs only), the second-factor attempts the limits count, and sessions' last proof.

use super::{Exec, WindowCount};
use crate::{ids::UserId, time::Timestamp};

/// An account's authenticator. `Debug` leaves the sealed key out.
#[derive(Clone, sqlx::FromRow)]
pub struct Authenticator {
    pub sealed_key: String,
    pub confirmed_at: Option<Timestamp>,
    pub last_step: i64,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("confirmed_at", &self.confirmed_at).finish_non_exhaustive()
    }
}

pub async fn authenticator<'c>(db: impl Exec<'c>, user: UserId) -> sqlx::Result<Option<Authenticator>> {
    sqlx::query_as("SELECT sealed_key, confirmed_at, last_step FROM totp_authenticators WHERE user_id = $1")
        .bind(user)
        .fetch_optional(db)
        .await
}

/// A new, unconfirmed authenticator, replacing an unconfirmed one. Returns false (and changes nothing)
/// when the account has a confirmed one.
pub async fn begin<'c>(db: impl Exec<'c>, user: UserId, sealed_key: &str, now: Timestamp) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO totp_authenticators (user_id, sealed_key, created_at, confirmed_at, last_step) \
         VALUES ($1, $2, $3, NULL, -1) \
         ON CONFLICT (user_id) DO UPDATE SET sealed_key = excluded.sealed_key, created_at = excluded.created_at, \
         last_step = -1 WHERE totp_authenticators.confirmed_at IS NULL",
    )
    .bind(user)
    .bind(sealed_key)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records `step` as used, if it is later than every step used before: true for exactly one of any
/// number of concurrent requests with the same code.
pub async fn claim_step<'c>(db: impl Exec<'c>, user: UserId, step: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE totp_authenticators SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
        .bind(step)
        .bind(user)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns a pending authenticator on; false when there was none pending.
pub async fn confirm<'c>(db: impl Exec<'c>, user: UserId, now: Timestamp) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE totp_authenticators SET confirmed_at = $1 WHERE user_id = $2 AND confirmed_at IS NULL")
            .bind(now)
            .bind(user)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove<'c>(db: impl Exec<'c>, user: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM totp_authenticators WHERE user_id = $1").bind(user).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_recovery_codes<'c>(db: impl Exec<'c>, user: UserId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(db).await?;
    Ok(())
}

pub async fn insert_recovery_code<'c>(db: impl Exec<'c>, user: UserId, hash: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, NULL)")
        .bind(user)
        .bind(hash)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks an unused recovery code used: true for exactly one of any number of concurrent uses.
pub async fn use_recovery_code<'c>(db: impl Exec<'c>, user: UserId, hash: &str, now: Timestamp) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user)
            .bind(hash)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unused_recovery_codes<'c>(db: impl Exec<'c>, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user)
        .fetch_one(db)
        .await
}

/// What a limit is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Account,
    ClientIp,
}

pub async fn insert_attempt<'c>(
    db: impl Exec<'c>,
    id: &str,
    user: UserId,
    ip: &str,
    at: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO second_factor_attempts (id, user_id, client_ip, at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(user)
        .bind(ip)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn count_attempts<'c>(
    db: impl Exec<'c>,
    key: Key,
    value: &str,
    since: Timestamp,
) -> sqlx::Result<WindowCount> {
    let sql = match key {
        Key::Account => {
            "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM second_factor_attempts \
             WHERE user_id = $1 AND at > $2"
        }
        Key::ClientIp => {
            "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM second_factor_attempts \
             WHERE client_ip = $1 AND at > $2"
        }
    };
    sqlx::query_as(sql).bind(value).bind(since).fetch_one(db).await
}

pub async fn delete_attempt<'c>(db: impl Exec<'c>, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM second_factor_attempts WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

pub async fn purge_attempts<'c>(db: impl Exec<'c>, before: Timestamp) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM second_factor_attempts WHERE at <= $1").bind(before).execute(db).await?;
    Ok(())
}

/// The person proved who they are again in this session (sudo mode).
pub async fn set_session_authenticated<'c>(db: impl Exec<'c>, id_hash: &str, at: Timestamp) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET authenticated_at = $1 WHERE id_hash = $2")
        .bind(at)
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}
