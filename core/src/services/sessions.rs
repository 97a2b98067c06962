//! Browser sessions, stored in the database so that any instance can serve any request. The cookie
//! carries 256 random bits; the database keeps only their SHA-256. A session ends after
//! `session_idle_ms` without a request, `session_absolute_ms` after sign-in, or at sign-out.

use crate::{
    context::Core,
    crypto::{random_urlsafe, sha256_hex},
    error::Error,
    identity::Member,
    ids::{OrgId, UserId},
    store,
    time::{MINUTE_MS, Timestamp},
    views::OrgSummary,
};
use std::fmt;

/// The stored form of a session id (its SHA-256). Not secret by itself, but still kept out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(String);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey([redacted])")
    }
}

impl SessionKey {
    fn of(cookie_value: &str) -> Self {
        Self(sha256_hex(cookie_value.as_bytes()))
    }
}

/// A new session's cookie value: the only place it exists in plain text. `Debug` is redacted.
pub struct SessionCookie(String);

impl SessionCookie {
    pub fn cookie_value(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionCookie([redacted])")
    }
}

/// Who a request's session belongs to, resolved once per request: the account, its organizations, and
/// the one the dashboard acts in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub key: SessionKey,
    pub user_id: UserId,
    pub email: String,
    pub orgs: Vec<OrgSummary>,
    /// The session's chosen organization, or the first one the person still belongs to.
    pub current: Option<Member>,
    /// When the person last proved who they are in this session: sudo mode asks again after a while.
    pub authenticated_at: Timestamp,
}

/// Starts a session.
pub async fn start(core: &Core, user_id: UserId, org_id: Option<OrgId>) -> Result<SessionCookie, Error> {
    let value = random_urlsafe::<32>();
    let now = core.clock.now();
    store::sessions::insert(
        core.db.pool(),
        store::sessions::NewSession {
            id_hash: &SessionKey::of(&value).0,
            user_id,
            org_id,
            now,
            expires_at: now.plus_ms(core.settings.session_absolute_ms),
        },
    )
    .await?;
    Ok(SessionCookie(value))
}

/// The live session for a cookie value, refreshing its idle timer (at most once a minute).
pub async fn resolve(core: &Core, cookie_value: &str) -> Result<Option<Identity>, Error> {
    if cookie_value.is_empty() || cookie_value.len() > 128 {
        return Ok(None);
    }
    let now = core.clock.now();
    let key = SessionKey::of(cookie_value);
    let seen_after = now.minus_ms(core.settings.session_idle_ms);
    let Some(session) = store::sessions::find_live(core.db.pool(), &key.0, now, seen_after).await? else {
        return Ok(None);
    };
    if now.millis() - session.last_seen_at.millis() >= MINUTE_MS {
        store::sessions::touch(core.db.pool(), &key.0, now).await?;
    }
    let orgs = store::orgs::of_user(core.db.pool(), session.user_id).await?;
    let current =
        session.current_org_id.and_then(|id| orgs.iter().find(|o| o.id == id)).or(orgs.first()).map(|org| Member {
            user_id: session.user_id,
            email: session.email.clone(),
            org_id: org.id,
            org_name: org.name.clone(),
            role: org.role,
        });
    Ok(Some(Identity {
        key,
        user_id: session.user_id,
        email: session.email,
        orgs,
        current,
        authenticated_at: session.authenticated_at,
    }))
}

/// The person proved who they are again in this session (sudo mode).
pub async fn mark_authenticated(core: &Core, key: &SessionKey) -> Result<(), Error> {
    Ok(store::two_factor::set_session_authenticated(core.db.pool(), &key.0, core.clock.now()).await?)
}

/// Ends a session everywhere (the row is gone, so every instance refuses it).
pub async fn end(core: &Core, key: &SessionKey) -> Result<(), Error> {
    Ok(store::sessions::delete(core.db.pool(), &key.0).await?)
}

/// Makes `org_id` the dashboard's organization. Not a member: the same answer as a missing organization,
/// so ids can't be probed.
pub async fn switch_org(core: &Core, identity: &Identity, org_id: OrgId) -> Result<(), Error> {
    if !identity.orgs.iter().any(|o| o.id == org_id) {
        return Err(Error::not_found("That organization"));
    }
    Ok(store::sessions::set_current_org(core.db.pool(), &identity.key.0, org_id).await?)
}

/// Makes `org_id` the session's organization without checking membership: for callers that just made
/// the person a member (accepting an invitation).
pub async fn set_current_org(core: &Core, key: &SessionKey, org_id: OrgId) -> Result<(), Error> {
    Ok(store::sessions::set_current_org(core.db.pool(), &key.0, org_id).await?)
}

/// Deletes sessions past either timeout; returns how many.
pub async fn purge_expired(core: &Core) -> Result<u64, Error> {
    let now = core.clock.now();
    Ok(store::sessions::purge(core.db.pool(), now, now.minus_ms(core.settings.session_idle_ms)).await?)
}
