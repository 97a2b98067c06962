//! Limits on failed API authentications: per client address (IPv6 per /64) and per Token ID.
//!
//! Only failing requests are limited: a valid token is always served, whatever other clients behind the
//! same address do, and whatever anyone sends with its (public) Token ID. What failures must not do is
//! cost much, so the limiter is a fixed table of atomic counters (a count-min sketch over one-minute
//! windows): O(1) per request, no lock, and the same memory whether one address fails or ten million.
//! Keys are hashed with a per-process random key, so nobody can aim collisions at someone else's slot;
//! a collision can only make a failing request get 429 instead of 401.

use std::{
    hash::{BuildHasher, Hash, RandomState},
    sync::atomic::{AtomicU64, Ordering},
};

/// Slots per table (each 8 bytes): 1 MiB per table.
const SLOTS: usize = 1 << 17;
const MINUTE_MS: i64 = 60_000;

pub struct FailureLimiter {
    per_minute: u32,
    slots: Box<[AtomicU64]>,
    hashers: [RandomState; 2],
}

impl std::fmt::Debug for FailureLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureLimiter").field("per_minute", &self.per_minute).finish_non_exhaustive()
    }
}

/// A slot holds the minute it counts (high 32 bits) and the count (low 32 bits).
fn pack(minute: u32, count: u32) -> u64 {
    (u64::from(minute) << 32) | u64::from(count)
}

fn unpack(v: u64) -> (u32, u32) {
    ((v >> 32) as u32, v as u32)
}

impl FailureLimiter {
    /// `per_minute` failures per key and minute; 0 turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        let slots = if per_minute == 0 { 0 } else { SLOTS };
        Self {
            per_minute,
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            hashers: [RandomState::new(), RandomState::new()],
        }
    }

    fn indexes<K: Hash>(&self, key: &K) -> [usize; 2] {
        self.hashers.each_ref().map(|h| (h.hash_one(key) as usize) % SLOTS)
    }

    fn minute(now_ms: i64) -> u32 {
        (now_ms.max(0) / MINUTE_MS) as u32
    }

    /// Seconds until the current window ends, if `key` has used up its failures in it.
    pub fn blocked<K: Hash>(&self, key: &K, now_ms: i64) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        let minute = Self::minute(now_ms);
        let estimate = self
            .indexes(key)
            .iter()
            .map(|&i| match unpack(self.slots[i].load(Ordering::Relaxed)) {
                (m, count) if m == minute => count,
                _ => 0,
            })
            .min()
            .unwrap_or(0);
        (estimate >= self.per_minute).then(|| {
            let ends = (i64::from(minute) + 1) * MINUTE_MS;
            ((ends - now_ms).max(1_000) as u64).div_ceil(1_000)
        })
    }

    /// Counts one failure for `key`.
    pub fn record<K: Hash>(&self, key: &K, now_ms: i64) {
        if self.per_minute == 0 {
            return;
        }
        let minute = Self::minute(now_ms);
        for i in self.indexes(key) {
            let slot = &self.slots[i];
            let _ = slot.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| match unpack(v) {
                (m, count) if m == minute => Some(pack(m, count.saturating_add(1))),
                _ => Some(pack(minute, 1)),
            });
        }
    }

    /// Memory the tables take, in bytes (constant).
    pub fn memory_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<AtomicU64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    const T: i64 = 10 * MINUTE_MS + 15_000;

    #[test]
    fn failures_are_limited_per_key_per_minute() {
        let limiter = FailureLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.blocked(&a, T), None);
            limiter.record(&a, T);
        }
        assert_eq!(limiter.blocked(&a, T), Some(45));
        assert_eq!(limiter.blocked(&b, T), None, "another address is not affected");
        assert_eq!(limiter.blocked(&a, 11 * MINUTE_MS), None, "the next minute starts afresh");
        assert_eq!(FailureLimiter::new(0).blocked(&a, T), None);
    }

    /// A flood of distinct addresses, far beyond what any map could hold: memory stays what it was, and
    /// an address that failed only a little is not limited because of the others.
    #[test]
    fn a_flood_of_distinct_addresses_costs_constant_memory() {
        let limiter = FailureLimiter::new(30);
        let before = limiter.memory_bytes();
        let started = std::time::Instant::now();
        for i in 0..1_000_000u32 {
            limiter.record(&IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761))), T);
        }
        let per_op = started.elapsed() / 1_000_000;
        assert_eq!(limiter.memory_bytes(), before);
        assert!(before <= 1 << 20, "{before} bytes");
        // 1M failures, each counted in 2 of 131,072 slots, is ~15 per slot: below the limit of 30 for an innocent address.
        let innocent: IpAddr = "198.51.100.77".parse().unwrap();
        limiter.record(&innocent, T);
        assert_eq!(limiter.blocked(&innocent, T), None);
        // Not a timing assertion for CI: just a record of the order of magnitude when run by hand.
        eprintln!("failure limiter: {per_op:?} per record over 1,000,000 distinct addresses");
    }
}
