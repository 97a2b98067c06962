//! Two-factor authentication: an authenticator app (TOTP, RFC 6238, with `totp-rs`), recovery codes,
//! sign-in's second step, and sudo mode.
//!
//! - The TOTP key is sealed at rest (ChaCha20-Poly1305 under a key derived from the server key with its
//!   own label, bound to the account): the database alone can't make codes. It is never logged, and no
//!   type holding it prints it.
//! - A code is accepted for the current 30-second step and one step either side (clock drift), once:
//!   the account remembers the last step accepted and refuses that one and earlier ones (one UPDATE, so
//!   of concurrent uses of one code exactly one wins). Time is the core's [`crate::clock::Clock`].
//! - Recovery codes are shown once and stored as HMACs under the server key; each works once.
//! - Sign-in: a correct password of an account with 2FA gives no session, only a pending sign-in
//!   ([`pending_value`]): sealed, bound to the account, five minutes long, which only the second step
//!   opens. Second-factor attempts are limited per account and per address, counted before checking.
//! - Sudo mode ([`require_recent`]): actions that create access ask again when the session last proved
//!   who it is longer ago than `sudo_ms`.

use crate::{
    context::Core,
    crypto::{self, random_bytes, random_urlsafe},
    error::{Error, ErrorKind},
    identity::{Origin, limit_key},
    ids::UserId,
    services::{notify, sessions::Identity},
    store::{self, two_factor::Key},
    time::{MINUTE_MS, Timestamp},
};
use serde::{Deserialize, Serialize};
use std::fmt;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

/// Seconds per code (RFC 6238's default, what every authenticator app assumes).
pub const STEP_SECS: i64 = 30;
/// Steps of clock drift accepted either side of now.
pub const DRIFT_STEPS: i64 = 1;
pub const DIGITS: usize = 6;
/// Recovery codes made at enrolment (and at each regeneration).
pub const RECOVERY_CODES: usize = 10;
/// Second-factor attempts allowed against one account per window: a 6-digit code has a million values,
/// three of them right at any time, so 10 guesses in 15 minutes leave an attacker who knows the password
/// about 1 chance in 30,000 a quarter hour.
pub const ACCOUNT_ATTEMPTS_ALLOWED: i64 = 10;
/// Second-factor attempts allowed from one client address (IPv6: one /64) per window, whatever the accounts.
pub const IP_ATTEMPTS_ALLOWED: i64 = 20;
pub const ATTEMPT_WINDOW_MS: i64 = 15 * MINUTE_MS;
/// How long a correct password waits for its second factor.
pub const PENDING_LIFETIME_MS: i64 = 5 * MINUTE_MS;

const KEY_LABEL: &[u8] = b"tessera totp key encryption v1";
const PENDING_LABEL: &[u8] = b"tessera pending sign-in v1";
const KEY_BYTES: usize = 20;

/// An authenticator waiting for its first code: what the enrolment page shows. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The key in base32, for typing into an app by hand.
    pub setup_key: String,
    /// The `otpauth://` URI the QR code holds.
    pub uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

impl Enrolment {
    /// The QR code as a `data:` URL, for an `<img>` (the pages' CSP allows `data:` images).
    pub fn qr_data_url(&self) -> String {
        use base64::Engine;
        format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(self.qr_svg.as_bytes())
        )
    }
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrolment([redacted])")
    }
}

/// Freshly made recovery codes: the only time they exist in plain text. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCodes(pub Vec<String>);

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes({} codes, redacted)", self.0.len())
    }
}

/// An account's two-factor state, for its security page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    /// Enrolment begun and not yet confirmed.
    pub pending: Option<Enrolment>,
    pub recovery_codes_left: i64,
}

/// What the person typed as their second factor.
#[derive(Clone)]
pub enum SecondFactor {
    /// A code from the authenticator app.
    Code(String),
    RecoveryCode(String),
}

impl fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecondFactor::Code(_) => "Code([redacted])",
            SecondFactor::RecoveryCode(_) => "RecoveryCode([redacted])",
        })
    }
}

fn totp(key: &[u8]) -> Result<TOTP, Error> {
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECS as u64, key.to_vec())
        .map_err(|_| Error::internal("a stored TOTP key has the wrong length"))
}

fn seal_key(core: &Core, user: UserId, key: &[u8]) -> String {
    crypto::seal(&core.key, KEY_LABEL, user.to_string().as_bytes(), key)
}

fn open_key(core: &Core, user: UserId, sealed: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    crypto::open(&core.key, KEY_LABEL, user.to_string().as_bytes(), sealed)
        .ok_or_else(|| Error::internal("a stored TOTP key does not open with this server key"))
}

fn base32(key: &[u8]) -> String {
    let encoded = totp_rs::Secret::Raw(key.to_vec()).to_encoded();
    match encoded {
        totp_rs::Secret::Encoded(text) => text,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

fn enrolment(key: &[u8], email: &str) -> Result<Enrolment, Error> {
    let setup_key = base32(key);
    let label = percent(&format!("Tessera:{email}"));
    let uri = format!(
        "otpauth://totp/{label}?secret={setup_key}&issuer=Tessera&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}"
    );
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(Error::internal)?;
    let qr_svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    Ok(Enrolment { setup_key, uri, qr_svg })
}

/// Percent-encodes everything but unreserved characters (the otpauth label).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The account's two-factor state; a pending enrolment shows its key again (the page reloaded).
pub async fn status(core: &Core, user: UserId, email: &str) -> Result<Status, Error> {
    let found = store::two_factor::authenticator(core.db.pool(), user).await?;
    let recovery_codes_left = store::two_factor::unused_recovery_codes(core.db.pool(), user).await?;
    Ok(match found {
        Some(a) if a.confirmed_at.is_some() => Status { enabled: true, pending: None, recovery_codes_left },
        Some(a) => {
            let key = open_key(core, user, &a.sealed_key)?;
            Status { enabled: false, pending: Some(enrolment(&key, email)?), recovery_codes_left: 0 }
        }
        None => Status { enabled: false, pending: None, recovery_codes_left: 0 },
    })
}

/// Does the account have two-factor authentication on?
pub async fn enabled(core: &Core, user: UserId) -> Result<bool, Error> {
    Ok(store::two_factor::authenticator(core.db.pool(), user).await?.is_some_and(|a| a.confirmed_at.is_some()))
}

/// Starts enrolment: a new key (replacing one still waiting for its first code).
pub async fn begin(core: &Core, user: UserId, email: &str) -> Result<Enrolment, Error> {
    let key = Zeroizing::new(random_bytes::<KEY_BYTES>());
    let sealed = seal_key(core, user, key.as_ref());
    if !store::two_factor::begin(core.db.pool(), user, &sealed, core.clock.now()).await? {
        return Err(Error::conflict(
            "Two-factor authentication is already on. Turn it off first to set up another authenticator app.",
        ));
    }
    tracing::info!(user = %user, "two-factor enrolment started");
    enrolment(key.as_ref(), email)
}

/// Confirms enrolment with the first code: 2FA is on, and the recovery codes are made (shown once).
pub async fn confirm(core: &Core, user: UserId, code: &str, origin: &Origin) -> Result<RecoveryCodes, Error> {
    let code = parse_code(code)?;
    let found = store::two_factor::authenticator(core.db.pool(), user).await?;
    let Some(found) = found.filter(|a| a.confirmed_at.is_none()) else {
        return Err(Error::conflict("There is no authenticator app waiting to be confirmed. Start the setup again."));
    };
    limited(core, user, origin, || check_code(core, user, &found, &code)).await?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    if !store::two_factor::confirm(&mut *tx, user, now).await? {
        return Err(Error::conflict("Two-factor authentication is already on."));
    }
    let codes = replace_recovery_codes(core, &mut tx, user, now).await?;
    notify::account_alert(
        &mut tx,
        core,
        user,
        "alert.two_factor_on",
        "Two-factor authentication was turned on",
        "Two-factor authentication was turned on for your Tessera account: signing in now needs a code from your \
         authenticator app (or a recovery code) after the password. If this wasn't you, contact your administrator.",
        now,
    )
    .await?;
    tx.commit(core).await?;
    tracing::info!(user = %user, "two-factor authentication turned on");
    Ok(codes)
}

/// Turns 2FA off, with a current code (or a recovery code).
pub async fn disable(core: &Core, user: UserId, factor: SecondFactor, origin: &Origin) -> Result<(), Error> {
    verify(core, user, factor, origin).await?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    store::two_factor::remove(&mut *tx, user).await?;
    store::two_factor::delete_recovery_codes(&mut *tx, user).await?;
    notify::account_alert(
        &mut tx,
        core,
        user,
        "alert.two_factor_off",
        "Two-factor authentication was turned off",
        "Two-factor authentication was turned off for your Tessera account: signing in needs only the password \
         now. If this wasn't you, change your password and contact your administrator.",
        now,
    )
    .await?;
    tx.commit(core).await?;
    tracing::info!(user = %user, "two-factor authentication turned off");
    Ok(())
}

/// New recovery codes (the old ones stop working), with a current authenticator code.
pub async fn regenerate_recovery_codes(
    core: &Core,
    user: UserId,
    code: &str,
    origin: &Origin,
) -> Result<RecoveryCodes, Error> {
    verify(core, user, SecondFactor::Code(code.to_owned()), origin).await?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let codes = replace_recovery_codes(core, &mut tx, user, now).await?;
    notify::account_alert(
        &mut tx,
        core,
        user,
        "alert.recovery_codes_regenerated",
        "New recovery codes were made",
        "New recovery codes were made for your Tessera account; the old ones no longer work. If this wasn't you, \
         contact your administrator.",
        now,
    )
    .await?;
    tx.commit(core).await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    core: &Core,
    tx: &mut sqlx::AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<RecoveryCodes, Error> {
    store::two_factor::delete_recovery_codes(&mut *tx, user).await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = new_recovery_code();
        store::two_factor::insert_recovery_code(&mut *tx, user, &recovery_hash(core, user, &code), now).await?;
        codes.push(code);
    }
    Ok(RecoveryCodes(codes))
}

/// 10 characters from 32 that can't be confused (no 0/o, 1/l), shown as two groups of five: 50 bits.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes = random_bytes::<10>();
    let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).take(64).collect()
}

fn recovery_hash(core: &Core, user: UserId, code: &str) -> String {
    hex::encode(core.key.sign(format!("tessera recovery code v1|{user}|{}", normalize_recovery(code)).as_bytes()))
}

fn parse_code(code: &str) -> Result<String, Error> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("code", format!("Type the {DIGITS}-digit code your authenticator app shows.")));
    }
    Ok(digits)
}

fn wrong_code() -> Error {
    Error::invalid("code", "That code is not right. Type the code your authenticator app shows now.")
}

/// Checks a code against the authenticator's key for now and one step either side, then claims its step
/// (a step already used, or one before it, is refused).
async fn check_code(
    core: &Core,
    user: UserId,
    found: &store::two_factor::Authenticator,
    code: &str,
) -> Result<(), Error> {
    let key = open_key(core, user, &found.sealed_key)?;
    let totp = totp(&key)?;
    let now_step = core.clock.now().millis().div_euclid(1_000) / STEP_SECS;
    let mut matched = None;
    for step in (now_step - DRIFT_STEPS)..=(now_step + DRIFT_STEPS) {
        let Ok(time) = u64::try_from(step * STEP_SECS) else { continue };
        // Every step is compared (constant-time each), so the time taken says nothing about which matched.
        if crypto::constant_time_eq(totp.generate(time).as_bytes(), code.as_bytes()) {
            matched = Some(step);
        }
    }
    let Some(step) = matched else {
        return Err(wrong_code());
    };
    if step <= found.last_step || !store::two_factor::claim_step(core.db.pool(), user, step).await? {
        return Err(Error::invalid("code", "That code was used already. Wait for the next code and type it."));
    }
    Ok(())
}

/// Checks a second factor of an account with 2FA on, within the limits. A recovery code is used up and
/// the person is emailed.
pub async fn verify(core: &Core, user: UserId, factor: SecondFactor, origin: &Origin) -> Result<(), Error> {
    let found = store::two_factor::authenticator(core.db.pool(), user).await?;
    let Some(found) = found.filter(|a| a.confirmed_at.is_some()) else {
        return Err(Error::conflict("Two-factor authentication is not on for this account."));
    };
    match factor {
        SecondFactor::Code(code) => {
            let code = parse_code(&code)?;
            limited(core, user, origin, || check_code(core, user, &found, &code)).await
        }
        SecondFactor::RecoveryCode(code) => {
            limited(core, user, origin, || async {
                let now = core.clock.now();
                let mut tx = core.db.begin_write().await?;
                if !store::two_factor::use_recovery_code(&mut *tx, user, &recovery_hash(core, user, &code), now).await?
                {
                    return Err(Error::invalid(
                        "recovery_code",
                        "That recovery code is not right, or was used already. Each code works once.",
                    ));
                }
                let left = store::two_factor::unused_recovery_codes(&mut *tx, user).await?;
                notify::account_alert(
                    &mut tx,
                    core,
                    user,
                    "alert.recovery_code_used",
                    "A recovery code was used to sign in",
                    &format!(
                        "A recovery code was used for your Tessera account. It no longer works; {left} unused \
                         codes remain. If this wasn't you, contact your administrator at once."
                    ),
                    now,
                )
                .await?;
                tx.commit(core).await?;
                tracing::info!(user = %user, "a recovery code was used");
                Ok(())
            })
            .await
        }
    }
}

/// Runs `check` as one second-factor attempt: recorded first, refused beyond the limits (not counted
/// then), and forgotten when right.
async fn limited<F, Fut>(core: &Core, user: UserId, origin: &Origin, check: F) -> Result<(), Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let now = core.clock.now();
    let client = origin.ip.map_or_else(|| "unknown".to_owned(), |ip| limit_key(ip).to_string());
    let attempt = random_urlsafe::<16>();
    store::two_factor::insert_attempt(core.db.pool(), &attempt, user, &client, now).await?;
    let since = now.minus_ms(ATTEMPT_WINDOW_MS);
    let by_ip = store::two_factor::count_attempts(core.db.pool(), Key::ClientIp, &client, since).await?;
    let by_account = store::two_factor::count_attempts(core.db.pool(), Key::Account, &user.to_string(), since).await?;
    let over = if by_ip.n > IP_ATTEMPTS_ALLOWED {
        Some(by_ip.oldest)
    } else if by_account.n > ACCOUNT_ATTEMPTS_ALLOWED {
        Some(by_account.oldest)
    } else {
        None
    };
    if let Some(oldest) = over {
        store::two_factor::delete_attempt(core.db.pool(), &attempt).await?;
        tracing::warn!(user = %user, "second-factor attempts limited");
        let wait_ms = (oldest.millis() + ATTEMPT_WINDOW_MS - now.millis()).max(1_000);
        return Err(Error::rate_limited((wait_ms as u64).div_ceil(1_000)));
    }
    let outcome = check().await;
    match &outcome {
        Ok(()) => store::two_factor::delete_attempt(core.db.pool(), &attempt).await?,
        Err(_) => {
            tracing::info!(user = %user, "a second factor was refused");
            store::two_factor::purge_attempts(core.db.pool(), now.minus_ms(ATTEMPT_WINDOW_MS)).await?
        }
    }
    outcome
}

/// What a pending sign-in holds, sealed.
#[derive(Serialize, Deserialize)]
struct Pending {
    user: UserId,
    expires: i64,
    next: Option<String>,
}

/// A correct password's pending sign-in, for the second step only: sealed (so neither readable nor
/// forgeable), bound to the account, expiring after [`PENDING_LIFETIME_MS`].
pub fn pending_value(core: &Core, user: UserId, next: Option<&str>) -> String {
    let pending = Pending {
        user,
        expires: core.clock.now().plus_ms(PENDING_LIFETIME_MS).millis(),
        next: next.map(str::to_owned),
    };
    let plain = serde_json::to_vec(&pending).unwrap_or_default();
    crypto::seal(&core.key, PENDING_LABEL, b"pending sign-in", &plain)
}

/// The account (and where to go next) of a pending sign-in that is genuine and not expired.
pub fn open_pending(core: &Core, value: &str) -> Option<(UserId, Option<String>)> {
    let plain = crypto::open(&core.key, PENDING_LABEL, b"pending sign-in", value)?;
    let pending: Pending = serde_json::from_slice(&plain).ok()?;
    (core.clock.now().millis() < pending.expires).then_some((pending.user, pending.next))
}

/// Sudo mode: the session proved who it is within `sudo_ms`, or the distinct error that asks again.
pub fn require_recent(core: &Core, identity: &Identity) -> Result<(), Error> {
    let now = core.clock.now();
    if now.millis() - identity.authenticated_at.millis() < core.settings.sudo_ms {
        return Ok(());
    }
    Err(Error::of(ErrorKind::ReauthenticationRequired))
}

/// Sudo mode's confirmation: the password, and the code when 2FA is on. The session counts as freshly
/// signed in afterwards.
pub async fn reauthenticate(
    core: &Core,
    identity: &Identity,
    password: String,
    factor: Option<SecondFactor>,
    origin: &Origin,
) -> Result<(), Error> {
    use crate::services::accounts::{SignIn, sign_in};
    let email = identity.email.clone();
    let input = SignIn::parse(&email, password).map_err(|_| Error::invalid("password", "Type your password."))?;
    sign_in(core, input, origin, Some(identity.user_id)).await.map_err(|e| {
        if e.kind() == ErrorKind::Invalid { Error::invalid("password", "That password is not right.") } else { e }
    })?;
    if enabled(core, identity.user_id).await? {
        let factor = factor.ok_or_else(|| Error::invalid("code", "Type the code your authenticator app shows."))?;
        verify(core, identity.user_id, factor, origin).await?;
    }
    crate::services::sessions::mark_authenticated(core, &identity.key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits, key "12345678901234567890").
    #[test]
    fn the_crate_matches_rfc_6238() {
        let totp = TOTP::new(Algorithm::SHA1, 8, 0, 30, b"12345678901234567890".to_vec()).unwrap();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time), code, "at {time}");
        }
    }

    #[test]
    fn recovery_codes_are_normalized_and_redacted() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(normalize_recovery(&code.to_uppercase()), normalize_recovery(&code));
        let codes = RecoveryCodes(vec![code.clone()]);
        assert!(!format!("{codes:?}").contains(&code));
        assert!(!format!("{:?}", SecondFactor::Code("123456".into())).contains("123456"));
    }

    #[test]
    fn codes_must_be_six_digits() {
        assert_eq!(parse_code(" 123 456 ").unwrap(), "123456");
        assert!(parse_code("12345").is_err());
        assert!(parse_code("12345a").is_err());
    }
}
