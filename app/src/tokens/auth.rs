//! Authenticating API requests by token: the hot path of every `/api/v1` call.
//!
//! Shape and checksum are checked first, touching nothing. Then the token is found (in the in-process
//! cache, or in the database), its secret compared in constant time with the stored HMAC, and its expiry,
//! deletion and the creator's CURRENT membership checked. No argon2 anywhere on this path.
//!
//! The cache holds only tokens that were valid when read, with their creator's role. Every change that
//! can affect a token empties the matching entries synchronously, before the change is acknowledged:
//! deleting a token removes it, and any membership change (role, removal) empties the whole cache.
//! Expiry is checked on every use against the clock, so it needs no invalidation. A generation counter
//! stops a lookup that started before an invalidation from putting stale data back afterwards.

use super::secret::{MalformedSecret, check_shape};
use crate::{
    auth::session::parse_id,
    ids::{OrgId, TokenId, UserId},
    orgs::{domain::Role, service::Member},
    platform::{request::db_error, state::AppState},
    time::{MINUTE_MS, Timestamp},
};
use parking_lot::{Mutex, RwLock};
use sqlx::Row;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

/// Who is calling: the token, and its creator as a member of the token's organization right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiIdentity {
    pub token_id: TokenId,
    pub token_name: Option<Arc<str>>,
    pub expires_at: Timestamp,
    /// `expires_at` in RFC 3339, ready for the response header that tells clients when the token lapses.
    pub expires_header: axum::http::HeaderValue,
    pub member: Arc<Member>,
}

/// Why a request was refused. Logged and counted; the caller always gets the same 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("token headers missing")]
    Missing,
    #[error("malformed token id")]
    MalformedId,
    #[error("malformed token secret: {0}")]
    MalformedSecret(MalformedSecret),
    #[error("unknown token id")]
    UnknownId,
    #[error("wrong secret")]
    WrongSecret,
    #[error("token expired")]
    Expired,
    #[error("token deleted")]
    Deleted,
    #[error("token creator is no longer a member of its organization")]
    NotMember,
    #[error("database unavailable")]
    Unavailable,
}

impl AuthFailure {
    /// A short label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::MalformedId | AuthFailure::MalformedSecret(_) => "malformed",
            AuthFailure::UnknownId => "unknown",
            AuthFailure::WrongSecret => "wrong_secret",
            AuthFailure::Expired => "expired",
            AuthFailure::Deleted => "deleted",
            AuthFailure::NotMember => "not_member",
            AuthFailure::Unavailable => "unavailable",
        }
    }
}

/// A token as the verifier needs it.
#[derive(Debug, Clone)]
struct Known {
    digest: [u8; 32],
    name: Option<Arc<str>>,
    expires_at: Timestamp,
    expires_header: axum::http::HeaderValue,
    deleted: bool,
    /// `None`: the creator is no longer in the token's organization.
    member: Option<Arc<Member>>,
}

/// A change other instances must apply to their caches (PostgreSQL, cache on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    Token(TokenId),
    All,
}

impl Invalidation {
    pub fn encode(self) -> String {
        match self {
            Invalidation::Token(id) => format!("token:{id}"),
            Invalidation::All => "all".to_owned(),
        }
    }

    /// Anything unreadable is treated as "everything changed", the safe answer.
    pub fn decode(payload: &str) -> Self {
        payload.strip_prefix("token:").and_then(|id| id.parse().ok()).map_or(Invalidation::All, Invalidation::Token)
    }
}

/// Counts failed authentications per client address in one-minute windows.
#[derive(Debug)]
pub struct FailureLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl FailureLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Seconds to wait, if this address has used up its failures for the current minute.
    pub fn blocked(&self, ip: IpAddr, now: Timestamp) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        let window = now.millis() / MINUTE_MS;
        match self.windows.lock().get(&ip) {
            Some(&(w, count)) if w == window && count >= self.per_minute => {
                Some((((window + 1) * MINUTE_MS - now.millis()).max(1_000) as u64).div_ceil(1_000))
            }
            _ => None,
        }
    }

    pub fn record(&self, ip: IpAddr, now: Timestamp) {
        if self.per_minute == 0 {
            return;
        }
        let window = now.millis() / MINUTE_MS;
        let mut windows = self.windows.lock();
        // Bounded memory: an address that failed in an earlier minute no longer matters.
        if windows.len() > 100_000 {
            windows.retain(|_, (w, _)| *w == window);
        }
        let entry = windows.entry(ip).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
    }
}

/// How an API authentication ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    Ok,
    RateLimited,
    Failed(AuthFailure),
}

impl AuthOutcome {
    pub const LABELS: [&'static str; 10] = [
        "ok",
        "rate_limited",
        "missing",
        "malformed",
        "unknown",
        "wrong_secret",
        "expired",
        "deleted",
        "not_member",
        "unavailable",
    ];

    pub fn label(self) -> &'static str {
        match self {
            AuthOutcome::Ok => "ok",
            AuthOutcome::RateLimited => "rate_limited",
            AuthOutcome::Failed(failure) => failure.label(),
        }
    }

    fn index(self) -> usize {
        Self::LABELS.iter().position(|l| *l == self.label()).unwrap_or(Self::LABELS.len() - 1)
    }
}

/// Verified tokens kept in memory, and the bookkeeping of when each was last used.
#[derive(Debug)]
pub struct TokenAuth {
    /// Failed authentications per client address.
    pub limiter: FailureLimiter,
    outcomes: [AtomicU64; AuthOutcome::LABELS.len()],
    cache: Option<RwLock<HashMap<TokenId, Arc<Known>>>>,
    /// With several instances, the cache is used only while this instance hears the others' changes.
    shared: bool,
    listening: std::sync::atomic::AtomicBool,
    outbox: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Invalidation>>>,
    generation: AtomicU64,
    last_used: Mutex<HashMap<TokenId, i64>>,
    usage: Mutex<Option<tokio::sync::mpsc::Sender<Usage>>>,
    /// Last-used records written to the database so far (a metric).
    pub last_used_writes: AtomicU64,
}

/// One "this token was used" record, written to the database off the request path.
#[derive(Debug, Clone)]
pub struct Usage {
    pub token_id: TokenId,
    pub at: Timestamp,
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

/// At most this much of a user agent is kept.
const USER_AGENT_CHARS: usize = 256;

/// At most one last-used write per token per minute.
pub const LAST_USED_EVERY_MS: i64 = MINUTE_MS;

impl TokenAuth {
    /// `cache`: keep verified tokens in memory. `shared`: other instances use the same database, so
    /// the cache is trusted only while connected to the invalidation channel. `failures_per_minute`: per
    /// client address, before 429 (0: no limit).
    pub fn new(cache: bool, shared: bool, failures_per_minute: u32) -> Self {
        Self {
            limiter: FailureLimiter::new(failures_per_minute),
            outcomes: Default::default(),
            cache: cache.then(|| RwLock::new(HashMap::new())),
            shared,
            listening: std::sync::atomic::AtomicBool::new(false),
            outbox: Mutex::new(None),
            generation: AtomicU64::new(0),
            last_used: Mutex::new(HashMap::new()),
            usage: Mutex::new(None),
            last_used_writes: AtomicU64::new(0),
        }
    }

    /// The cache, when it may be used right now.
    fn live_cache(&self) -> Option<&RwLock<HashMap<TokenId, Arc<Known>>>> {
        let trusted = !self.shared || self.listening.load(Ordering::SeqCst);
        self.cache.as_ref().filter(|_| trusted)
    }

    pub fn count(&self, outcome: AuthOutcome) {
        self.outcomes[outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Authentications so far, by outcome label.
    pub fn outcome_counts(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        AuthOutcome::LABELS.iter().copied().zip(self.outcomes.iter().map(|n| n.load(Ordering::Relaxed)))
    }

    /// Is the cache in use right now (on, and, with several instances, hearing their changes)?
    pub fn cache_live(&self) -> bool {
        self.live_cache().is_some()
    }

    pub fn needs_invalidation_channel(&self) -> bool {
        self.cache.is_some() && self.shared
    }

    /// The invalidation channel is (dis)connected. Either way the cache starts empty: changes may have
    /// been missed while it was down.
    pub fn set_listening(&self, listening: bool) {
        self.clear_local();
        self.listening.store(listening, Ordering::SeqCst);
    }

    pub fn set_outbox(&self, outbox: tokio::sync::mpsc::UnboundedSender<Invalidation>) {
        *self.outbox.lock() = Some(outbox);
    }

    fn publish(&self, change: Invalidation) {
        if let Some(outbox) = self.outbox.lock().as_ref() {
            let _ = outbox.send(change);
        }
    }

    /// A change announced by another instance.
    pub fn apply_remote(&self, change: Invalidation) {
        match change {
            Invalidation::Token(id) => self.remove_local(id),
            Invalidation::All => self.clear_local(),
        }
    }

    fn remove_local(&self, token: TokenId) {
        if let Some(cache) = &self.cache {
            let mut entries = cache.write();
            self.generation.fetch_add(1, Ordering::SeqCst);
            entries.remove(&token);
        }
    }

    fn clear_local(&self) {
        if let Some(cache) = &self.cache {
            let mut entries = cache.write();
            self.generation.fetch_add(1, Ordering::SeqCst);
            entries.clear();
        }
    }

    pub fn cached_tokens(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.read().len())
    }

    /// Forgets one token (it was deleted), here and on the other instances.
    pub fn invalidate(&self, token: TokenId) {
        self.remove_local(token);
        self.publish(Invalidation::Token(token));
    }

    /// Forgets every token (a membership changed: roles and memberships are cached with the tokens).
    pub fn invalidate_all(&self) {
        self.clear_local();
        self.publish(Invalidation::All);
    }

    /// Where usage records go; set once at start-up by the task that writes them.
    pub fn set_usage_sink(&self, sink: tokio::sync::mpsc::Sender<Usage>) {
        *self.usage.lock() = Some(sink);
    }

    /// Notes a successful use; at most once a minute per token it is queued for the database.
    fn note_use(&self, token_id: TokenId, at: Timestamp, ip: IpAddr, user_agent: Option<&str>) {
        {
            let mut last = self.last_used.lock();
            let previous = last.get(&token_id).copied();
            if previous.is_some_and(|p| at.millis() - p < LAST_USED_EVERY_MS) {
                return;
            }
            last.insert(token_id, at.millis());
        }
        let user_agent = user_agent.map(|ua| ua.chars().take(USER_AGENT_CHARS).collect());
        if let Some(sink) = self.usage.lock().as_ref()
            && sink.try_send(Usage { token_id, at, ip, user_agent }).is_err()
        {
            tracing::debug!("last-used queue full; the next use will record it");
        }
    }
}

/// Checks the two header values and returns who is calling.
pub async fn verify(
    state: &AppState,
    id: Option<&str>,
    secret: Option<&str>,
    client_ip: IpAddr,
    user_agent: Option<&str>,
) -> Result<ApiIdentity, AuthFailure> {
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(AuthFailure::Missing);
    };
    let token_id: TokenId = id.trim().parse().map_err(|_| AuthFailure::MalformedId)?;
    let secret = secret.trim();
    check_shape(&state.settings.token_prefix, secret).map_err(AuthFailure::MalformedSecret)?;
    let auth = &state.token_auth;

    let known = match auth.live_cache().and_then(|c| c.read().get(&token_id).cloned()) {
        Some(hit) => hit,
        None => {
            let generation = auth.generation.load(Ordering::SeqCst);
            let known = Arc::new(lookup(state, token_id).await?.ok_or(AuthFailure::UnknownId)?);
            if let Some(cache) = auth.live_cache()
                && !known.deleted
                && known.member.is_some()
            {
                let mut entries = cache.write();
                if auth.generation.load(Ordering::SeqCst) == generation {
                    entries.insert(token_id, known.clone());
                }
            }
            known
        }
    };

    if !state.key.verify(secret.as_bytes(), &known.digest) {
        return Err(AuthFailure::WrongSecret);
    }
    if known.deleted {
        return Err(AuthFailure::Deleted);
    }
    let now = state.clock.now();
    if now >= known.expires_at {
        return Err(AuthFailure::Expired);
    }
    let member = known.member.clone().ok_or(AuthFailure::NotMember)?;
    auth.note_use(token_id, now, client_ip, user_agent);
    Ok(ApiIdentity {
        token_id,
        token_name: known.name.clone(),
        expires_at: known.expires_at,
        expires_header: known.expires_header.clone(),
        member,
    })
}

async fn lookup(state: &AppState, token_id: TokenId) -> Result<Option<Known>, AuthFailure> {
    let row = sqlx::query(
        "SELECT t.secret_hash, t.name, t.expires_at, t.deleted_at, t.created_by, t.org_id, \
                o.name AS org_name, u.email, m.role \
         FROM api_tokens t \
         JOIN organizations o ON o.id = t.org_id \
         JOIN users u ON u.id = t.created_by \
         LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.created_by \
         WHERE t.id = $1",
    )
    .bind(token_id.to_string())
    .fetch_optional(state.db.pool())
    .await
    .map_err(|e| {
        db_error(e);
        AuthFailure::Unavailable
    })?;
    let Some(row) = row else { return Ok(None) };
    let corrupt = |_| AuthFailure::Unavailable;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(row.get::<String, _>("secret_hash"), &mut digest).map_err(|_| AuthFailure::Unavailable)?;
    let member = match row.get::<Option<String>, _>("role") {
        Some(role) => Some(Arc::new(Member {
            user_id: parse_id::<UserId>(row.get("created_by")).map_err(corrupt)?,
            email: row.get("email"),
            org_id: parse_id::<OrgId>(row.get("org_id")).map_err(corrupt)?,
            org_name: row.get("org_name"),
            role: role.parse::<Role>().map_err(|_| AuthFailure::Unavailable)?,
        })),
        None => None,
    };
    let expires_at = Timestamp(row.get("expires_at"));
    Ok(Some(Known {
        digest,
        name: row.get::<Option<String>, _>("name").map(Arc::from),
        expires_at,
        expires_header: axum::http::HeaderValue::from_str(&expires_at.rfc3339())
            .map_err(|_| AuthFailure::Unavailable)?,
        deleted: row.get::<Option<i64>, _>("deleted_at").is_some(),
        member,
    }))
}

/// Writes usage records as they come: last used time, address and user agent.
pub async fn record_usage(state: AppState, mut usage: tokio::sync::mpsc::Receiver<Usage>) {
    while let Some(used) = usage.recv().await {
        let written = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1, last_used_ip = $2, last_used_user_agent = $3 WHERE id = $4",
        )
        .bind(used.at.millis())
        .bind(used.ip.to_string())
        .bind(used.user_agent)
        .bind(used.token_id.to_string())
        .execute(state.db.pool())
        .await;
        match written {
            Ok(_) => {
                state.token_auth.last_used_writes.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(token = %used.token_id, error = %e, "could not record token use"),
        }
    }
}

/// The channel instances use to tell each other of token changes (PostgreSQL LISTEN/NOTIFY).
pub const INVALIDATION_CHANNEL: &str = "tessera_token_changes";

/// Keeps this instance's cache in step with the others: publishes local changes with NOTIFY and applies
/// theirs from LISTEN. While the listening connection is down the cache is not used at all.
pub async fn sync_invalidations(state: AppState, database_url: String) {
    use sqlx::postgres::PgListener;
    let (outbox, mut changes) = tokio::sync::mpsc::unbounded_channel::<Invalidation>();
    state.token_auth.set_outbox(outbox);
    let publish = |change: Invalidation| {
        let state = state.clone();
        async move {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(INVALIDATION_CHANNEL)
                .bind(change.encode())
                .execute(state.db.pool())
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not announce a token change to the other instances");
            }
        }
    };
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&database_url).await?;
            listener.listen(INVALIDATION_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match connected.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "token cache paused: cannot listen for other instances' changes; retrying");
                // Changes made here meanwhile still go out.
                let retry = tokio::time::sleep(std::time::Duration::from_secs(1));
                tokio::pin!(retry);
                loop {
                    tokio::select! {
                        () = &mut retry => break,
                        Some(change) = changes.recv() => publish(change).await,
                    }
                }
                continue;
            }
        };
        state.token_auth.set_listening(true);
        tracing::info!("token cache on: listening for other instances' changes");
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => state.token_auth.apply_remote(Invalidation::decode(notification.payload())),
                    Ok(None) | Err(_) => break,
                },
                Some(change) = changes.recv() => publish(change).await,
            }
        }
        state.token_auth.set_listening(false);
        tracing::warn!("token cache paused: lost the connection that listens for changes; reconnecting");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_limited_per_address_per_minute() {
        let limiter = FailureLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t = Timestamp(10 * MINUTE_MS + 15_000);
        for _ in 0..3 {
            assert_eq!(limiter.blocked(a, t), None);
            limiter.record(a, t);
        }
        assert_eq!(limiter.blocked(a, t), Some(45));
        assert_eq!(limiter.blocked(b, t), None, "another address is not affected");
        assert_eq!(limiter.blocked(a, Timestamp(11 * MINUTE_MS)), None, "the next minute starts afresh");
        assert_eq!(FailureLimiter::new(0).blocked(a, t), None);
    }

    #[test]
    fn every_outcome_has_its_own_counter() {
        let auth = TokenAuth::new(false, false, 0);
        auth.count(AuthOutcome::Ok);
        auth.count(AuthOutcome::Failed(AuthFailure::MalformedId));
        auth.count(AuthOutcome::Failed(AuthFailure::MalformedSecret(MalformedSecret::Checksum)));
        auth.count(AuthOutcome::Failed(AuthFailure::Unavailable));
        let counts: HashMap<_, _> = auth.outcome_counts().collect();
        assert_eq!((counts["ok"], counts["malformed"], counts["unavailable"], counts["expired"]), (1, 2, 1, 0));
    }

    #[test]
    fn invalidations_round_trip_and_fail_safe() {
        let id = TokenId::new_random();
        assert_eq!(Invalidation::decode(&Invalidation::Token(id).encode()), Invalidation::Token(id));
        assert_eq!(Invalidation::decode(&Invalidation::All.encode()), Invalidation::All);
        assert_eq!(Invalidation::decode("token:garbage"), Invalidation::All);
        assert_eq!(Invalidation::decode(""), Invalidation::All);
    }
}
