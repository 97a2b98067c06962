//! First-run setup, signing in within the rate limits, and the operator's account commands.

use super::audit::{Actor, Recorder, Subject, no_detail};
use crate::{
    context::Core,
    crypto::{constant_time_eq, random_urlsafe},
    db::DbResultExt,
    domain::{
        account::{Email, Password},
        audit::EventType,
        org::{OrgName, Role},
    },
    error::Error,
    identity::{Origin, limit_key},
    ids::{OrgId, UserId},
    store::{self, login_attempts::Key},
    time::{HOUR_MS, MINUTE_MS, Timestamp},
};

/// Failed sign-ins allowed from one client address (IPv6: one /64) per window, whatever the accounts.
pub const IP_FAILURES_ALLOWED: i64 = 20;
pub const IP_WINDOW_MS: i64 = 15 * MINUTE_MS;
/// Failed sign-ins allowed against one account per window (ASVS 2.2.1: at most 100 an hour), except
/// from a browser that has signed in to that account before (it holds a device cookie), so an attacker
/// can't lock the real person out.
pub const ACCOUNT_FAILURES_ALLOWED: i64 = 100;
pub const ACCOUNT_WINDOW_MS: i64 = HOUR_MS;

/// True until the first account exists. Then it never becomes true again.
pub async fn needs_setup(core: &Core) -> Result<bool, Error> {
    Ok(!store::users::any_exists(core.db.pool()).await?)
}

/// First-run input, parsed.
#[derive(Debug)]
pub struct SetupInput {
    pub email: Email,
    pub password: Password,
    pub organization: OrgName,
}

impl SetupInput {
    pub fn parse(email: &str, password: String, organization: &str) -> Result<Self, Error> {
        Ok(Self {
            email: Email::parse(email).map_err(|m| Error::invalid("email", m))?,
            password: Password::parse(password).map_err(|m| Error::invalid("password", m))?,
            organization: OrgName::parse(organization).map_err(|m| Error::invalid("organization", m))?,
        })
    }
}

fn already_set_up() -> Error {
    Error::conflict("Tessera is already set up. Sign in instead.")
}

/// First run: creates the first account and organization, with that account as owner.
/// When two requests race, the instance_settings primary key lets exactly one commit.
pub async fn setup(core: &Core, input: SetupInput, origin: &Origin) -> Result<(UserId, OrgId), Error> {
    if !needs_setup(core).await? {
        return Err(already_set_up());
    }
    let hash = core.passwords.hash(&input.password).await?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    store::settings::insert(&mut *tx, store::settings::SETUP_COMPLETED, &now.millis().to_string())
        .await
        .on_unique(already_set_up)?;
    let user_id = UserId::new_random();
    store::users::insert(&mut *tx, user_id, &input.email, &hash, now).await.on_unique(already_set_up)?;
    let org_id = OrgId::new_random();
    store::orgs::insert(&mut *tx, org_id, input.organization.as_str(), now).await?;
    store::orgs::insert_membership(&mut *tx, org_id, user_id, Role::Owner, now).await?;
    Recorder { org_id, actor: Actor::person(user_id, input.email.as_str()), origin, at: now }
        .record(
            &mut tx,
            EventType::MemberAdded,
            Subject::member(user_id, input.email.as_str()),
            serde_json::json!({"role": "owner", "how": "setup"}),
        )
        .await?;
    tx.commit(core).await.on_unique(already_set_up)?;
    tracing::info!(user = %user_id, org = %org_id, "first-run setup completed");
    Ok((user_id, org_id))
}

/// The same answer for an unknown email and a wrong password.
pub fn bad_credentials() -> Error {
    Error::invalid("password", "Incorrect email or password.")
}

/// Sign-in input, parsed.
#[derive(Debug)]
pub struct SignIn {
    pub email: Email,
    /// `None` when the typed password is outside the length limits: it can't be right, and is refused
    /// (and counted) without hashing, so a 1 MB "password" costs nothing.
    pub password: Option<Password>,
}

impl SignIn {
    pub fn parse(email: &str, password: String) -> Result<Self, Error> {
        Ok(Self {
            email: Email::parse(email).map_err(|m| Error::invalid("email", m))?,
            password: Password::parse(password).ok(),
        })
    }
}

/// Checks email and password within the rate limits. `trusted_device_for` is the account a valid device
/// cookie vouches for: that browser is exempt from the per-account limit.
///
/// The attempt is counted before the password is hashed: concurrent guesses all see each other, so no
/// burst can slip past the limit while the first ones are still hashing.
pub async fn sign_in(
    core: &Core,
    input: SignIn,
    origin: &Origin,
    trusted_device_for: Option<UserId>,
) -> Result<UserId, Error> {
    let now = core.clock.now();
    let ip = origin.ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    // Counted per address as the API's limits are: IPv4 exactly, IPv6 per /64.
    let client = origin.ip.map_or_else(|| "unknown".to_owned(), |ip| limit_key(ip).to_string());
    let email = input.email.as_str();
    let attempt = random_urlsafe::<16>();
    store::login_attempts::insert(core.db.pool(), &attempt, email, &client, now).await?;

    let user = store::users::credentials(core.db.pool(), &input.email).await?;
    let trusted = user.as_ref().is_some_and(|u| Some(u.id) == trusted_device_for);
    let limit = check_limits(core, email, &client, trusted, now).await;
    if let Err(limited) = limit {
        // A refused attempt is not a guess: it doesn't count, so a flood adds no rows.
        store::login_attempts::delete(core.db.pool(), &attempt).await?;
        tracing::warn!(ip = %ip, "sign-in attempts limited");
        return Err(limited);
    }

    let verified = match &input.password {
        Some(password) => core.passwords.verify(password, user.as_ref().and_then(|u| u.password_hash.clone())).await?,
        None => false,
    };
    let orgs = match &user {
        Some(u) => store::orgs::of_user(core.db.pool(), u.id).await?,
        None => Vec::new(),
    };
    let event = if verified { EventType::SignInSucceeded } else { EventType::SignInFailed };
    let mut tx = core.db.begin_write().await?;
    if let Some(u) = &user {
        for org in &orgs {
            Recorder { org_id: org.id, actor: Actor::person(u.id, email), origin, at: now }
                .record(&mut tx, event, Subject::member(u.id, email), no_detail())
                .await?;
        }
    }
    if verified {
        store::login_attempts::delete(&mut *tx, &attempt).await?;
    } else {
        store::login_attempts::purge_before(&mut *tx, now.minus_ms(ACCOUNT_WINDOW_MS.max(IP_WINDOW_MS))).await?;
    }
    tx.commit(core).await?;
    match user {
        Some(u) if verified => {
            tracing::info!(user = %u.id, ip = %ip, "signed in");
            Ok(u.id)
        }
        known => {
            tracing::info!(ip = %ip, known_account = known.is_some(), "sign-in failed");
            Err(bad_credentials())
        }
    }
}

async fn check_limits(core: &Core, email: &str, ip: &str, trusted: bool, now: Timestamp) -> Result<(), Error> {
    let by_ip =
        store::login_attempts::count_since(core.db.pool(), Key::ClientIp, ip, now.minus_ms(IP_WINDOW_MS)).await?;
    if by_ip.n > IP_FAILURES_ALLOWED {
        return Err(rate_limited(by_ip.oldest, IP_WINDOW_MS, now));
    }
    if !trusted {
        let by_account =
            store::login_attempts::count_since(core.db.pool(), Key::Email, email, now.minus_ms(ACCOUNT_WINDOW_MS))
                .await?;
        if by_account.n > ACCOUNT_FAILURES_ALLOWED {
            return Err(rate_limited(by_account.oldest, ACCOUNT_WINDOW_MS, now));
        }
    }
    Ok(())
}

fn rate_limited(oldest: Timestamp, window: i64, now: Timestamp) -> Error {
    let wait_ms = (oldest.millis() + window - now.millis()).max(1_000);
    Error::rate_limited((wait_ms as u64).div_ceil(1_000))
}

/// The device cookie a browser gets at sign-in: the account id and its HMAC under the server key.
pub fn device_cookie_value(core: &Core, user_id: UserId) -> String {
    format!("{user_id}.{}", device_signature(core, user_id))
}

fn device_signature(core: &Core, user_id: UserId) -> String {
    hex::encode(&core.key.sign(format!("tessera device v1|{user_id}").as_bytes())[..16])
}

/// The account a device cookie vouches for, if its signature is right.
pub fn device_cookie_user(core: &Core, value: &str) -> Option<UserId> {
    let (id, sig) = value.split_once('.')?;
    let user_id: UserId = id.parse().ok()?;
    constant_time_eq(sig.as_bytes(), device_signature(core, user_id).as_bytes()).then_some(user_id)
}

/// Operator: a new account with a password. Creating any account completes first-run setup.
pub async fn create_user(core: &Core, email: &Email, password: &Password) -> Result<UserId, Error> {
    let hash = core.passwords.hash(password).await?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let user_id = UserId::new_random();
    store::users::insert(&mut *tx, user_id, email, &hash, now)
        .await
        .on_unique(|| Error::invalid("email", format!("An account with the email {email} already exists.")))?;
    store::settings::insert_if_absent(&mut *tx, store::settings::SETUP_COMPLETED, &now.millis().to_string()).await?;
    tx.commit(core).await?;
    Ok(user_id)
}

/// Operator: a new password; every session of that account ends.
pub async fn reset_password(core: &Core, email: &Email, password: &Password) -> Result<UserId, Error> {
    let hash = core.passwords.hash(password).await?;
    let mut tx = core.db.begin_write().await?;
    let user_id = store::users::set_password(&mut *tx, email, &hash)
        .await?
        .ok_or_else(|| Error::not_found("An account with that email"))?;
    store::sessions::delete_all_of(&mut *tx, user_id).await?;
    tx.commit(core).await?;
    Ok(user_id)
}

pub async fn find_user(core: &Core, email: &Email) -> Result<UserId, Error> {
    store::users::id_by_email(core.db.pool(), email)
        .await?
        .ok_or_else(|| Error::not_found("An account with that email"))
}
