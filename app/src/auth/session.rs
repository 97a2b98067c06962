//! Browser sessions, stored in the database so that any instance can serve any request.
//!
//! The cookie carries 256 random bits; the database keeps only their SHA-256. A session ends after
//! `session_idle_ms` without a request, `session_absolute_ms` after sign-in, or at sign-out.

use crate::{
    error::AppError,
    ids::{OrgId, UserId},
    orgs::service::{Member, current_membership},
    platform::{
        crypto::{random_urlsafe, sha256_hex},
        request::{self, db_error},
        state::{AppState, Settings, app_state},
    },
    time::{MINUTE_MS, Timestamp},
};
use axum::http::HeaderMap;
use sqlx::Row;

/// A signed-in person, as found from their cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: UserId,
    pub email: String,
    pub current_org_id: Option<OrgId>,
}

pub fn cookie_name(settings: &Settings) -> &'static str {
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
    if settings.is_https() { "__Host-tessera_session" } else { "tessera_session" }
}

fn cookie_attributes(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "; Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Strict"
    }
}

pub fn set_cookie_header(settings: &Settings, value: &str) -> String {
    // No Max-Age: the browser forgets the cookie when it closes; the server enforces both timeouts anyway.
    format!("{}={value}{}", cookie_name(settings), cookie_attributes(settings))
}

pub fn clear_cookie_header(settings: &Settings) -> String {
    format!("{}=; Max-Age=0{}", cookie_name(settings), cookie_attributes(settings))
}

/// Starts a session and returns the cookie value (the only place it exists in plain text).
pub async fn start(state: &AppState, user_id: UserId, org_id: Option<OrgId>) -> Result<String, AppError> {
    let value = random_urlsafe::<32>();
    let now = state.clock.now();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, current_org_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(sha256_hex(value.as_bytes()))
    .bind(user_id.to_string())
    .bind(org_id.map(|o| o.to_string()))
    .bind(now.millis())
    .bind(now.plus_ms(state.settings.session_absolute_ms).millis())
    .execute(state.db.pool())
    .await
    .map_err(db_error)?;
    Ok(value)
}

/// The live session for a cookie value, refreshing its idle timer (at most once a minute).
pub async fn find(state: &AppState, cookie_value: &str) -> Result<Option<Session>, AppError> {
    let now = state.clock.now();
    let id_hash = sha256_hex(cookie_value.as_bytes());
    let row = sqlx::query(
        "SELECT s.user_id, u.email, s.current_org_id, s.last_seen_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
    )
    .bind(&id_hash)
    .bind(now.millis())
    .bind(now.millis() - state.settings.session_idle_ms)
    .fetch_optional(state.db.pool())
    .await
    .map_err(db_error)?;
    let Some(row) = row else { return Ok(None) };
    let last_seen = Timestamp(row.get::<i64, _>("last_seen_at"));
    if now.millis() - last_seen.millis() >= MINUTE_MS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now.millis())
            .bind(&id_hash)
            .execute(state.db.pool())
            .await
            .map_err(db_error)?;
    }
    Ok(Some(Session {
        user_id: parse_id(row.get("user_id"))?,
        email: row.get("email"),
        current_org_id: row.get::<Option<String>, _>("current_org_id").map(parse_id).transpose()?,
        id_hash,
    }))
}

/// The session of the request's cookie, if any.
pub async fn from_headers(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    match request::cookie(headers, cookie_name(&state.settings)) {
        Some(value) if !value.is_empty() => find(state, &value).await,
        _ => Ok(None),
    }
}

/// Ends the session of this cookie value everywhere (the row is gone, so every instance refuses it).
pub async fn end(state: &AppState, id_hash: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(state.db.pool())
        .await
        .map_err(db_error)?;
    Ok(())
}

pub async fn set_current_org(state: &AppState, id_hash: &str, org_id: OrgId) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET current_org_id = $1 WHERE id_hash = $2")
        .bind(org_id.to_string())
        .bind(id_hash)
        .execute(state.db.pool())
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Deletes sessions past either timeout. Run periodically.
pub async fn purge_expired(state: &AppState) -> Result<u64, AppError> {
    let now = state.clock.now().millis();
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now - state.settings.session_idle_ms)
        .execute(state.db.pool())
        .await
        .map_err(db_error)?;
    Ok(done.rows_affected())
}

/// In a server function: the caller's session, or 401.
pub async fn require_session() -> Result<(AppState, Session), AppError> {
    let state = app_state()?;
    let parts = request::parts()?;
    match from_headers(&state, &parts.headers).await? {
        Some(session) => Ok((state, session)),
        None => Err(AppError::Unauthorized),
    }
}

/// In a server function: the caller as a member of their current organization, or 401.
pub async fn require_member() -> Result<(AppState, Session, Member), AppError> {
    let (state, session) = require_session().await?;
    let member = current_membership(&state, &session).await?.ok_or_else(|| {
        AppError::forbidden("You are not a member of any organization. Ask an administrator to add you.")
    })?;
    Ok((state, session, member))
}

pub(crate) fn parse_id<T: std::str::FromStr>(raw: String) -> Result<T, AppError> {
    raw.parse().map_err(|_| {
        tracing::error!(id = %raw, "malformed id in the database");
        AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_flags() {
        let plain = Settings::default();
        let set = set_cookie_header(&plain, "abc");
        assert_eq!(set, "tessera_session=abc; Path=/; HttpOnly; SameSite=Strict");
        let https = Settings { public_origin: Some("https://t.example.com".into()), ..Settings::default() };
        let set = set_cookie_header(&https, "abc");
        assert_eq!(set, "__Host-tessera_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure");
        assert!(clear_cookie_header(&https).contains("Max-Age=0"));
    }
}
