//! Accounts. Every account has a password: accounts are created at setup, by the operator, or when an
//! invitation is accepted, never as placeholders.

use super::Exec;
use crate::{domain::account::Email, ids::UserId, time::Timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: Option<String>,
}

pub async fn any_exists<'c>(db: impl Exec<'c>) -> sqlx::Result<bool> {
    let one: Option<UserId> = sqlx::query_scalar("SELECT id FROM users LIMIT 1").fetch_optional(db).await?;
    Ok(one.is_some())
}

/// Fails with a unique violation when the email is taken.
pub async fn insert<'c>(
    db: impl Exec<'c>,
    id: UserId,
    email: &Email,
    password_hash: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(email.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn credentials<'c>(db: impl Exec<'c>, email: &Email) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(db).await
}

pub async fn id_by_email<'c>(db: impl Exec<'c>, email: &Email) -> sqlx::Result<Option<UserId>> {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(db).await
}

pub async fn email_of<'c>(db: impl Exec<'c>, id: UserId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(id).fetch_optional(db).await
}

/// Returns whether the account exists.
pub async fn set_password<'c>(db: impl Exec<'c>, email: &Email, password_hash: &str) -> sqlx::Result<Option<UserId>> {
    sqlx::query_scalar("UPDATE users SET password_hash = $1 WHERE email = $2 RETURNING id")
        .bind(password_hash)
        .bind(email.as_str())
        .fetch_optional(db)
        .await
}
