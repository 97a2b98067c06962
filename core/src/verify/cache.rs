//! Verified tokens kept in memory.
//!
//! The cache holds only tokens that were valid when read, with their creator's role and the
//! organization's policy. Every change that can affect a token empties the matching entries before the
//! change is acknowledged (deleting a token removes it; membership and policy changes empty everything),
//! and on PostgreSQL the other instances hear of it through LISTEN/NOTIFY (see [`super::bus`]).
//!
//! Two more guards bound how stale an entry can be when something goes wrong:
//! - a generation counter: a lookup that read the database before an invalidation can't put its
//!   (possibly stale) row back afterwards;
//! - a time to live: no entry is used longer than `ttl` after it was read, even if a notification was
//!   lost. With several instances, the cache is not used at all while the listener is disconnected.

use crate::{ids::TokenId, time::Timestamp};
use parking_lot::RwLock;
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

/// At most this many tokens are kept; beyond it, inserting empties the cache first (tokens in use come
/// back on their next request). Bounded memory whatever the traffic.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
pub struct TokenCache<T> {
    entries: RwLock<HashMap<TokenId, (Timestamp, Arc<T>), super::RandomIdHash>>,
    generation: AtomicU64,
    ttl_ms: i64,
    /// With several instances: trusted only while this instance hears the others' changes.
    shared: bool,
    listening: AtomicBool,
}

/// Taken before reading the database; an insert with a ticket older than the last invalidation is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl<T> TokenCache<T> {
    pub fn new(ttl_ms: i64, shared: bool) -> Self {
        Self {
            entries: RwLock::new(HashMap::default()),
            generation: AtomicU64::new(0),
            ttl_ms,
            shared,
            listening: AtomicBool::new(false),
        }
    }

    /// May the cache be used right now?
    pub fn is_live(&self) -> bool {
        !self.shared || self.listening.load(Ordering::SeqCst)
    }

    /// The entry, if it is live, was read less than `ttl` ago, and the cache may be used.
    pub fn get(&self, id: TokenId, now: Timestamp) -> Option<Arc<T>> {
        if !self.is_live() {
            return None;
        }
        let entries = self.entries.read();
        let (read_at, entry) = entries.get(&id)?;
        (now.millis() - read_at.millis() < self.ttl_ms).then(|| entry.clone())
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::SeqCst))
    }

    /// Keeps `entry`, read at `read_at`, unless something was invalidated since `ticket` was taken.
    pub fn insert(&self, ticket: Ticket, id: TokenId, read_at: Timestamp, entry: Arc<T>) -> bool {
        if !self.is_live() {
            return false;
        }
        let mut entries = self.entries.write();
        // Checked under the write lock: invalidations bump the generation under the same lock.
        if self.generation.load(Ordering::SeqCst) != ticket.0 {
            return false;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id, (read_at, entry));
        true
    }

    pub fn remove(&self, id: TokenId) {
        let mut entries = self.entries.write();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.remove(&id);
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    /// The invalidation listener (dis)connected. Either way the cache starts empty: changes may have
    /// been missed while it was down.
    pub fn set_listening(&self, listening: bool) {
        self.clear();
        self.listening.store(listening, Ordering::SeqCst);
    }

    pub fn len(&self) -> usize {
        self.entries.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> TokenId {
        TokenId::new_random()
    }

    #[test]
    fn a_lookup_that_started_before_an_invalidation_cannot_put_stale_data_back() {
        let cache = TokenCache::new(60_000, false);
        let token = id();
        // A request reads the token from the database (still valid there)...
        let ticket = cache.ticket();
        // ...meanwhile the token is deleted and the cache told...
        cache.remove(token);
        // ...then the first request finishes its lookup: its row is stale and must not be kept.
        assert!(!cache.insert(ticket, token, Timestamp(0), Arc::new("stale")));
        assert!(cache.get(token, Timestamp(1)).is_none());
        // A lookup that starts afterwards is kept.
        assert!(cache.insert(cache.ticket(), token, Timestamp(0), Arc::new("fresh")));
        assert_eq!(*cache.get(token, Timestamp(1)).unwrap(), "fresh");
    }

    #[test]
    fn entries_expire_after_their_time_to_live() {
        let cache = TokenCache::new(1_000, false);
        let token = id();
        assert!(cache.insert(cache.ticket(), token, Timestamp(10_000), Arc::new(1)));
        assert!(cache.get(token, Timestamp(10_999)).is_some());
        assert!(cache.get(token, Timestamp(11_000)).is_none(), "used at most ttl after it was read");
    }

    #[test]
    fn a_shared_cache_is_used_only_while_listening() {
        let cache = TokenCache::new(60_000, true);
        let token = id();
        assert!(!cache.insert(cache.ticket(), token, Timestamp(0), Arc::new(1)), "not listening yet");
        cache.set_listening(true);
        assert!(cache.insert(cache.ticket(), token, Timestamp(0), Arc::new(1)));
        assert!(cache.get(token, Timestamp(1)).is_some());
        cache.set_listening(false);
        assert!(cache.get(token, Timestamp(1)).is_none());
        cache.set_listening(true);
        assert!(cache.get(token, Timestamp(1)).is_none(), "reconnecting starts empty: changes may have been missed");
    }

    #[test]
    fn memory_is_bounded() {
        let cache = TokenCache::new(60_000, false);
        for _ in 0..MAX_ENTRIES + 10 {
            cache.insert(cache.ticket(), id(), Timestamp(0), Arc::new(()));
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
