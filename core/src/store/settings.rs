//! Instance-wide facts, one row each: the server key's fingerprint, when setup completed, how the
//! running server sends email.

use super::Exec;

pub const KEY_FINGERPRINT: &str = "server_key_fingerprint";
pub const SETUP_COMPLETED: &str = "setup_completed_at";
/// `on` when the server that last started sends email, `off` otherwise.
pub const EMAIL: &str = "email";
/// Where that server's email links point.
pub const LINKS_BASE: &str = "links_base";

pub async fn get<'c>(db: impl Exec<'c>, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1").bind(key).fetch_optional(db).await
}

/// Fails with a unique violation when the key is already set (who sets it first wins).
pub async fn insert<'c>(db: impl Exec<'c>, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2)").bind(key).bind(value).execute(db).await?;
    Ok(())
}

/// Sets the key unless it is already set.
pub async fn insert_if_absent<'c>(db: impl Exec<'c>, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets the key, replacing any value it had.
pub async fn set<'c>(db: impl Exec<'c>, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(db)
    .await?;
    Ok(())
}
