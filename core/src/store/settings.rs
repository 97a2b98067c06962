//! Instance-wide facts, one row each: the server key's fingerprint, when setup completed.

use super::Exec;

pub const KEY_FINGERPRINT: &str = "server_key_fingerprint";
pub const SETUP_COMPLETED: &str = "setup_completed_at";

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
