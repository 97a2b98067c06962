//! First-run setup, sign-in with rate limits, invitations, and the account operations of the admin CLI.

use super::domain::{Email, Password};
use crate::{
    auth::session::parse_id,
    error::AppError,
    ids::{OrgId, UserId},
    orgs::{domain::OrgName, service::create_org},
    platform::{crypto::sha256_hex, db::is_unique_violation, request::db_error, state::AppState},
    time::{HOUR_MS, MINUTE_MS, Timestamp},
};
use sqlx::Row;
use std::net::IpAddr;

const SETUP_MARKER: &str = "setup_completed_at";

/// Failed sign-ins allowed from one client address per window, whatever the accounts.
pub const IP_FAILURES_ALLOWED: i64 = 20;
pub const IP_WINDOW_MS: i64 = 15 * MINUTE_MS;
/// Failed sign-ins allowed against one account per window (ASVS 2.2.1: at most 100 an hour), except
/// from a browser that has signed in to that account before (it holds a device cookie), so an attacker
/// can't lock the real person out.
pub const ACCOUNT_FAILURES_ALLOWED: i64 = 100;
pub const ACCOUNT_WINDOW_MS: i64 = HOUR_MS;

fn invalid(field: &str) -> impl FnOnce(String) -> AppError + '_ {
    move |message| AppError::invalid(field, message)
}

/// True until the first account exists. Then it never becomes true again.
pub async fn needs_setup(state: &AppState) -> Result<bool, AppError> {
    let any_user: Option<String> =
        sqlx::query_scalar("SELECT id FROM users LIMIT 1").fetch_optional(state.db.pool()).await.map_err(db_error)?;
    Ok(any_user.is_none())
}

/// First run: creates the first account and organization, with that account as owner.
/// When two requests race, the instance_settings primary key lets exactly one commit.
pub async fn setup(
    state: &AppState,
    email: &str,
    password: String,
    org_name: &str,
) -> Result<(UserId, OrgId), AppError> {
    let email = Email::parse(email).map_err(invalid("email"))?;
    let password = Password::parse(password).map_err(invalid("password"))?;
    let org_name = OrgName::parse(org_name).map_err(invalid("organization"))?;
    if !needs_setup(state).await? {
        return Err(already_set_up());
    }
    let hash = state.passwords.hash(&password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    let marked = sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2)")
        .bind(SETUP_MARKER)
        .bind(now.millis().to_string())
        .execute(&mut *tx)
        .await;
    match marked {
        Err(e) if is_unique_violation(&e) => return Err(already_set_up()),
        other => other.map_err(db_error)?,
    };
    let user_id = insert_user(&mut tx, &email, Some(&hash), now).await?;
    let org_id = create_org(&mut tx, &org_name, user_id, now).await?;
    tx.commit().await.map_err(|e| if is_unique_violation(&e) { already_set_up() } else { db_error(e) })?;
    tracing::info!(user = %user_id, org = %org_id, "first-run setup completed");
    Ok((user_id, org_id))
}

fn already_set_up() -> AppError {
    AppError::conflict("Tessera is already set up. Sign in instead.")
}

async fn insert_user(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    email: &Email,
    hash: Option<&str>,
    now: Timestamp,
) -> Result<UserId, AppError> {
    let user_id = UserId::new_random();
    sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(user_id.to_string())
        .bind(email.as_str())
        .bind(hash)
        .bind(now.millis())
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                AppError::invalid("email", format!("An account with the email {email} already exists."))
            } else {
                db_error(e)
            }
        })?;
    Ok(user_id)
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: UserId,
}

/// The same answer for an unknown email and a wrong password.
pub fn bad_credentials() -> AppError {
    AppError::invalid("password", "Incorrect email or password.")
}

/// Checks email and password, within the rate limits. `trusted_device` is true when the browser holds a
/// valid device cookie for this email's account.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    client_ip: IpAddr,
    trusted_device_for: Option<UserId>,
) -> Result<SignedIn, AppError> {
    let email = Email::parse(email).map_err(invalid("email"))?;
    let now = state.clock.now();
    let user = sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(state.db.pool())
        .await
        .map_err(db_error)?;
    let (user_id, stored): (Option<UserId>, Option<String>) = match user {
        Some(row) => (Some(parse_id(row.get("id"))?), row.get("password_hash")),
        None => (None, None),
    };
    let trusted = user_id.is_some() && trusted_device_for == user_id;
    check_limits(state, &email, client_ip, trusted, now).await?;

    // A password outside the length limits can't be right: refused (and counted) without hashing, so a
    // 1 MB "password" costs nothing.
    let verified = match Password::parse(password) {
        Ok(password) => state.passwords.verify(&password, stored).await?,
        Err(_) => false,
    };
    if verified && let Some(user_id) = user_id {
        tracing::info!(user = %user_id, ip = %client_ip, "signed in");
        return Ok(SignedIn { user_id });
    }
    record_failure(state, &email, client_ip, now).await?;
    tracing::info!(ip = %client_ip, known_account = user_id.is_some(), "sign-in failed");
    Err(bad_credentials())
}

async fn check_limits(
    state: &AppState,
    email: &Email,
    ip: IpAddr,
    trusted: bool,
    now: Timestamp,
) -> Result<(), AppError> {
    let ip_since = now.millis() - IP_WINDOW_MS;
    let (ip_count, ip_oldest) = failures(state, "client_ip", &ip.to_string(), ip_since).await?;
    if ip_count >= IP_FAILURES_ALLOWED {
        return Err(rate_limited(ip_oldest, IP_WINDOW_MS, now));
    }
    if !trusted {
        let account_since = now.millis() - ACCOUNT_WINDOW_MS;
        let (count, oldest) = failures(state, "email", email.as_str(), account_since).await?;
        if count >= ACCOUNT_FAILURES_ALLOWED {
            return Err(rate_limited(oldest, ACCOUNT_WINDOW_MS, now));
        }
    }
    Ok(())
}

async fn failures(state: &AppState, column: &str, value: &str, since: i64) -> Result<(i64, i64), AppError> {
    // `column` is one of two fixed names, never input.
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS n, COALESCE(MIN(at), 0) AS oldest FROM login_failures WHERE {column} = $1 AND at > $2"
    ))
    .bind(value)
    .bind(since)
    .fetch_one(state.db.pool())
    .await
    .map_err(db_error)?;
    Ok((row.get("n"), row.get("oldest")))
}

fn rate_limited(oldest: i64, window: i64, now: Timestamp) -> AppError {
    let wait_ms = (oldest + window - now.millis()).max(1_000);
    AppError::RateLimited { retry_after_secs: (wait_ms as u64).div_ceil(1_000) }
}

async fn record_failure(state: &AppState, email: &Email, ip: IpAddr, now: Timestamp) -> Result<(), AppError> {
    sqlx::query("INSERT INTO login_failures (email, client_ip, at) VALUES ($1, $2, $3)")
        .bind(email.as_str())
        .bind(ip.to_string())
        .bind(now.millis())
        .execute(state.db.pool())
        .await
        .map_err(db_error)?;
    sqlx::query("DELETE FROM login_failures WHERE at <= $1")
        .bind(now.millis() - ACCOUNT_WINDOW_MS.max(IP_WINDOW_MS))
        .execute(state.db.pool())
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The device cookie a browser gets at sign-in: the account id and its HMAC under the server key.
pub fn device_cookie_value(state: &AppState, user_id: UserId) -> String {
    format!("{user_id}.{}", hex_sig(state, user_id))
}

fn hex_sig(state: &AppState, user_id: UserId) -> String {
    hex::encode(&state.key.sign(format!("tessera device v1|{user_id}").as_bytes())[..16])
}

/// The account a device cookie vouches for, if its signature is right.
pub fn device_cookie_user(state: &AppState, value: &str) -> Option<UserId> {
    let (id, sig) = value.split_once('.')?;
    let user_id: UserId = id.parse().ok()?;
    crate::platform::crypto::constant_time_eq(sig.as_bytes(), hex_sig(state, user_id).as_bytes()).then_some(user_id)
}

/// What the invitation page shows before the person sets a password.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub email: String,
    pub org_name: String,
    pub user_id: UserId,
    pub org_id: OrgId,
}

pub async fn find_invitation(state: &AppState, code: &str) -> Result<Invitation, AppError> {
    let row = sqlx::query(
        "SELECT u.email, u.id AS user_id, o.name, o.id AS org_id FROM invitations i \
         JOIN users u ON u.id = i.user_id JOIN organizations o ON o.id = i.org_id \
         WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
    )
    .bind(sha256_hex(code.trim().as_bytes()))
    .bind(state.clock.now().millis())
    .fetch_optional(state.db.pool())
    .await
    .map_err(db_error)?
    .ok_or_else(invitation_gone)?;
    Ok(Invitation {
        email: row.get("email"),
        org_name: row.get("name"),
        user_id: parse_id(row.get("user_id"))?,
        org_id: parse_id(row.get("org_id"))?,
    })
}

fn invitation_gone() -> AppError {
    AppError::NotFound {
        message: "This invitation link is invalid, already used or expired. Ask an administrator for a new one.".into(),
    }
}

/// Sets the invited person's password and uses up the invitation.
pub async fn accept_invitation(state: &AppState, code: &str, password: String) -> Result<Invitation, AppError> {
    let password = Password::parse(password).map_err(invalid("password"))?;
    let invitation = find_invitation(state, code).await?;
    let hash = state.passwords.hash(&password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    let used =
        sqlx::query("UPDATE invitations SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(now.millis())
            .bind(sha256_hex(code.trim().as_bytes()))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    if used.rows_affected() != 1 {
        return Err(invitation_gone());
    }
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&hash)
        .bind(invitation.user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    tracing::info!(user = %invitation.user_id, org = %invitation.org_id, "invitation accepted");
    Ok(invitation)
}

/// Admin CLI: a new account with a password. Creating any account completes first-run setup.
pub async fn create_user(state: &AppState, email: &Email, password: &Password) -> Result<UserId, AppError> {
    let hash = state.passwords.hash(password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    let user_id = insert_user(&mut tx, email, Some(&hash), now).await?;
    sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(SETUP_MARKER)
        .bind(now.millis().to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(user_id)
}

/// Admin CLI: a new password; every session of that account ends.
pub async fn reset_password(state: &AppState, email: &Email, password: &Password) -> Result<UserId, AppError> {
    let hash = state.passwords.hash(password).await?;
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    let id: Option<String> = sqlx::query_scalar("UPDATE users SET password_hash = $1 WHERE email = $2 RETURNING id")
        .bind(&hash)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    let user_id: UserId = parse_id(id.ok_or_else(|| AppError::not_found("An account with that email"))?)?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(user_id)
}

pub async fn find_user(state: &AppState, email: &Email) -> Result<UserId, AppError> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(state.db.pool())
        .await
        .map_err(db_error)?;
    parse_id(id.ok_or_else(|| AppError::not_found("An account with that email"))?)
}

/// Admin CLI: a new organization owned by an existing account.
pub async fn create_org_for(state: &AppState, name: &OrgName, owner: UserId) -> Result<OrgId, AppError> {
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    let org_id = create_org(&mut tx, name, owner, state.clock.now()).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(org_id)
}
