//! The parts of API-token verification, wired once at start-up by [`Verifier::new`]: the verified-token
//! cache ([`cache`]), the invalidation bus between instances ([`bus`]), coalesced database lookups
//! ([`lookup`]), last-used recording ([`usage`]), and the outcome counters. The verification itself is
//! a service ([`crate::services::authenticate`]); limiting failures per client is HTTP policy and lives
//! in the server.

pub mod bus;
pub mod cache;
pub mod lookup;
pub mod rate;
pub mod usage;

use crate::{
    domain::restriction::Restrictions,
    identity::Member,
    ids::{FamilyId, TokenId},
    secret::MalformedSecret,
    time::Timestamp,
};
use bus::Invalidation;
use cache::TokenCache;
use lookup::{LookupWorker, Lookups};
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};
use usage::{UsageRecorder, UsageWriter};

/// Who is calling: the token, and its creator as a member of the token's organization right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiIdentity {
    pub token_id: TokenId,
    pub family_id: FamilyId,
    pub token_name: Option<Arc<str>>,
    pub expires_at: Timestamp,
    /// `expires_at` in RFC 3339, ready for the response header that tells clients when the token lapses.
    pub expires_rfc3339: Arc<str>,
    pub member: Arc<Member>,
    /// Rotated away, in its grace period: plain use only (see [`crate::identity::ActingToken`]).
    pub replaced: bool,
    /// The token's restrictions (issue 25), `None` for a token without any: `member.role` already
    /// has the ceiling applied.
    pub restrictions: Option<Arc<Restrictions>>,
    /// With a rate limit: where this request left the token's minute.
    pub rate: Option<rate::RateState>,
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
    #[error("token revoked")]
    Revoked,
    #[error("rotated-away secret used after its grace period")]
    RotatedAway,
    #[error("token creator is no longer a member of its organization")]
    NotMember,
    #[error("token lifetime exceeds the organization's policy")]
    OverPolicy,
    #[error("database unavailable")]
    Unavailable,
    #[error("request from an address outside the token's allowlist")]
    AddressNotAllowed,
    #[error("token over its rate limit")]
    OverRateLimit { limit: u32, retry_after: u32 },
}

/// How an API authentication ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    RateLimited,
    Failed(AuthFailure),
}

impl Outcome {
    /// Every label, in counter order.
    pub const LABELS: [&'static str; 14] = [
        "ok",
        "rate_limited",
        "missing",
        "malformed",
        "unknown",
        "wrong_secret",
        "expired",
        "revoked",
        "rotated_away",
        "not_member",
        "over_policy",
        "unavailable",
        "address_not_allowed",
        "over_token_rate_limit",
    ];

    fn index(self) -> usize {
        match self {
            Outcome::Ok => 0,
            Outcome::RateLimited => 1,
            Outcome::Failed(failure) => match failure {
                AuthFailure::Missing => 2,
                AuthFailure::MalformedId | AuthFailure::MalformedSecret(_) => 3,
                AuthFailure::UnknownId => 4,
                AuthFailure::WrongSecret => 5,
                AuthFailure::Expired => 6,
                AuthFailure::Revoked => 7,
                AuthFailure::RotatedAway => 8,
                AuthFailure::NotMember => 9,
                AuthFailure::OverPolicy => 10,
                AuthFailure::Unavailable => 11,
                AuthFailure::AddressNotAllowed => 12,
                AuthFailure::OverRateLimit { .. } => 13,
            },
        }
    }

    /// A short label for logs and metrics.
    pub fn label(self) -> &'static str {
        Self::LABELS[self.index()]
    }
}

/// A token as verification needs it, as cached.
#[derive(Debug)]
pub struct Known {
    pub digest: [u8; 32],
    pub name: Option<Arc<str>>,
    pub family_id: FamilyId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub expires_rfc3339: Arc<str>,
    pub revoked: bool,
    /// Revoked the moment it was rotated away (no grace period): presenting it is reuse.
    pub rotated_away: bool,
    /// Rotated away: the secret works until then.
    pub grace_until: Option<Timestamp>,
    /// `None`: the creator is no longer in the token's organization.
    pub member: Option<Arc<Member>>,
    /// The organization's maximum lifetime, and since when it applies.
    pub max_lifetime: Option<(i64, Timestamp)>,
    /// The first refusal for expiry (or under the current policy) is already in the audit trail.
    pub expiry_recorded: AtomicBool,
    pub policy_refusal_recorded: AtomicBool,
    /// Parsed once when read (never per request); `None` without restrictions. `member.role` is
    /// already capped by the ceiling.
    pub restrictions: Option<Arc<Restrictions>>,
}

impl Known {
    /// Worth keeping in memory: it can authenticate now.
    pub fn cacheable(&self) -> bool {
        !self.revoked && self.member.is_some() && self.grace_until.is_none()
    }
}

/// Whether verified tokens are kept in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheMode {
    Off,
    /// One instance owns the database (SQLite): every change happens here.
    Local {
        ttl_ms: i64,
    },
    /// Several instances share a PostgreSQL database: changes arrive by LISTEN/NOTIFY on `database_url`.
    Shared {
        ttl_ms: i64,
        database_url: String,
    },
}

/// What the server runs beside the requests for the verifier: the lookup worker, the last-used writer,
/// and with a shared cache the invalidation listener. Built together with the [`Verifier`], so nothing
/// is wired later.
pub struct Background {
    pub lookups: LookupWorker,
    pub usage: UsageWriter,
    pub listener: Option<Listener>,
}

pub struct Listener {
    database_url: String,
    cache: Arc<TokenCache<Known>>,
}

impl Listener {
    pub async fn run(self) {
        bus::listen(self.database_url, self.cache).await
    }
}

#[derive(Debug)]
pub struct Verifier {
    cache: Option<Arc<TokenCache<Known>>>,
    pub lookups: Lookups,
    pub usage: UsageRecorder,
    /// Requests per token and minute, for tokens with a rate limit.
    pub rates: rate::RateCounters,
    /// When this instance last recorded a refusal by allowlist, per token (once a minute at most).
    pub allowlist_refusals: rate::Throttle,
    outcomes: [AtomicU64; Outcome::LABELS.len()],
}

/// A commit ([`crate::db::WriteTx::commit`]) tells the verifier which cached tokens to drop.
impl crate::db::TokenCopies for Verifier {
    fn forget(&self, change: Invalidation) {
        Verifier::forget(self, change);
    }
}

impl Verifier {
    pub fn new(mode: CacheMode) -> (Self, Background) {
        Self::with_rates(mode, false)
    }

    /// [`Verifier::new`], choosing whether rate limits are shared through the database.
    pub fn with_rates(mode: CacheMode, shared_rates: bool) -> (Self, Background) {
        let (usage, writer) = UsageRecorder::new();
        let (lookups, worker) = Lookups::new();
        let (cache, listener) = match mode {
            CacheMode::Off => (None, None),
            CacheMode::Local { ttl_ms } => (Some(Arc::new(TokenCache::new(ttl_ms, false))), None),
            CacheMode::Shared { ttl_ms, database_url } => {
                let cache = Arc::new(TokenCache::new(ttl_ms, true));
                (Some(cache.clone()), Some(Listener { database_url, cache }))
            }
        };
        (
            Self {
                cache,
                lookups,
                usage,
                rates: rate::RateCounters::new(shared_rates),
                allowlist_refusals: rate::Throttle::default(),
                outcomes: Default::default(),
            },
            Background { lookups: worker, usage: writer, listener },
        )
    }

    pub fn cache(&self) -> Option<&TokenCache<Known>> {
        self.cache.as_deref()
    }

    /// Applies a change to this instance's cache (other instances hear of it through the bus).
    pub fn forget(&self, change: Invalidation) {
        if let Some(cache) = &self.cache {
            change.apply(cache);
        }
    }

    pub fn count(&self, outcome: Outcome) {
        self.outcomes[outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Authentications so far, by outcome label.
    pub fn outcome_counts(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Outcome::LABELS.iter().copied().zip(self.outcomes.iter().map(|n| n.load(Ordering::Relaxed)))
    }

    /// Is the cache in use right now (on, and with several instances, hearing their changes)?
    pub fn cache_live(&self) -> bool {
        self.cache.as_ref().is_some_and(|c| c.is_live())
    }

    pub fn cached_tokens(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_its_own_counter_and_label() {
        let (verifier, _) = Verifier::new(CacheMode::Off);
        verifier.count(Outcome::Ok);
        verifier.count(Outcome::Failed(AuthFailure::MalformedId));
        verifier.count(Outcome::Failed(AuthFailure::MalformedSecret(MalformedSecret::Checksum)));
        verifier.count(Outcome::Failed(AuthFailure::Unavailable));
        let counts: std::collections::HashMap<_, _> = verifier.outcome_counts().collect();
        assert_eq!((counts["ok"], counts["malformed"], counts["unavailable"], counts["expired"]), (1, 2, 1, 0));
        assert_eq!(Outcome::Failed(AuthFailure::OverPolicy).label(), "over_policy");
        assert_eq!(Outcome::RateLimited.label(), "rate_limited");
    }
}

/// Hashing for maps keyed by Token IDs that Tessera generated (random version 4 UUIDs, so their bits
/// are already uniform): the low 64 bits are the hash. Only for keys an attacker can't choose, which is
/// why the token cache and the usage recorder hold only tokens found in the database.
#[derive(Default, Clone, Copy)]
pub struct RandomIdHash;

#[derive(Default)]
pub struct RandomIdHasher(u64);

impl std::hash::BuildHasher for RandomIdHash {
    type Hasher = RandomIdHasher;
    fn build_hasher(&self) -> RandomIdHasher {
        RandomIdHasher(0)
    }
}

impl std::hash::Hasher for RandomIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // A UUID hashes as its 16 bytes (after a length prefix, for slices): keep the last 8 written.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(5) ^ n;
    }
}
