//! Per-token rate limits (issue 25): requests per token per minute, counted in memory.
//!
//! The minute is a fixed window (`now - now % 60 s`): a token with a limit of N gets N requests in each
//! clock minute; the next minute starts afresh.
//!
//! - **One instance** (SQLite): the count is this process's, exact. Nothing is written anywhere.
//! - **Several instances** (PostgreSQL): each instance takes a *lease* of requests from the token's row
//!   in `token_rate_windows` ([`crate::store::tokens::claim_rate_lease`]), a twentieth of the limit at a
//!   time (at least 1), and counts it down in memory. The database hands out at most the limit per
//!   minute in all, so the instances together **never admit more than the limit**; what they may admit
//!   fewer is what other instances leased and didn't use: at most `(instances − 1) × lease` (5 % of the
//!   limit per other instance). A request writes nothing until its instance's lease runs out: at most
//!   20 leases per token and minute across all instances, plus one refused claim per instance, however
//!   many requests come (measured in `server/tests/api/restrictions.rs`).
//!
//! Memory is bounded: only tokens that authenticated have counters, and beyond [`MAX_TOKENS`] the
//! counters of past minutes are dropped (or all of them, if all are current).

use crate::{ids::TokenId, time::Timestamp};
use parking_lot::Mutex;
use std::collections::HashMap;

pub const WINDOW_MS: i64 = 60_000;
const MAX_TOKENS: usize = 100_000;
/// A lease is this fraction of the limit.
pub const LEASES_PER_WINDOW: u32 = 20;

/// Where a request left its token's minute: what the `RateLimit` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the minute ends.
    pub reset_secs: u32,
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    window: i64,
    used: u32,
    /// Requests this instance may admit in this window (the limit with one instance, its leases with several).
    allowance: u32,
    /// Several instances: the requests all instances had leased as of this instance's last claim.
    leased_everywhere: u32,
    /// Several instances: the database had nothing more to lease for this window.
    exhausted: bool,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Allowed(RateState),
    Limited {
        retry_after: u32,
    },
    /// Several instances: this instance's lease is used up; claim another, then count again.
    NeedLease {
        window: i64,
        want: u32,
    },
}

#[derive(Debug)]
pub struct RateCounters {
    counters: Mutex<HashMap<TokenId, Counter, super::RandomIdHash>>,
    shared: bool,
    /// One lease claim at a time on this instance: requests that find the lease used up wait for the
    /// claim in flight instead of each taking one, so an instance never holds more than one lease it
    /// hasn't started on (the tolerance depends on it). Claims are rare: at most 20 per token and minute.
    pub claiming: tokio::sync::Mutex<()>,
}

fn window_of(now: Timestamp) -> i64 {
    now.millis() - now.millis().rem_euclid(WINDOW_MS)
}

fn secs_left(window: i64, now: Timestamp) -> u32 {
    let left = window + WINDOW_MS - now.millis();
    ((left + 999) / 1000).clamp(1, 60) as u32
}

/// A lease: a twentieth of the limit, at least one request.
pub fn lease_size(limit: u32) -> u32 {
    limit.div_ceil(LEASES_PER_WINDOW).max(1)
}

impl RateCounters {
    pub fn new(shared: bool) -> Self {
        Self { counters: Mutex::new(HashMap::default()), shared, claiming: tokio::sync::Mutex::new(()) }
    }

    /// Are leases taken from the database (several instances)?
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// Counts one request of `token` (limit `limit` a minute). No allocation once the token has a counter.
    pub fn count(&self, token: TokenId, limit: u32, now: Timestamp) -> Count {
        let window = window_of(now);
        let mut counters = self.counters.lock();
        if counters.len() >= MAX_TOKENS && !counters.contains_key(&token) {
            counters.retain(|_, c| c.window == window);
            if counters.len() >= MAX_TOKENS {
                counters.clear();
            }
        }
        let fresh = Counter {
            window,
            used: 0,
            allowance: if self.shared { 0 } else { limit },
            leased_everywhere: 0,
            exhausted: false,
        };
        let counter = counters.entry(token).or_insert(fresh);
        if counter.window != window {
            *counter = fresh;
        }
        if counter.used < counter.allowance.min(limit) {
            counter.used += 1;
            let remaining = if self.shared {
                // What this instance still holds, and what nobody has leased yet.
                (counter.allowance - counter.used) + limit.saturating_sub(counter.leased_everywhere)
            } else {
                limit - counter.used
            };
            return Count::Allowed(RateState { limit, remaining, reset_secs: secs_left(window, now) });
        }
        if self.shared && !counter.exhausted {
            return Count::NeedLease { window, want: lease_size(limit) };
        }
        Count::Limited { retry_after: secs_left(window, now) }
    }

    /// Adds a lease of `granted` requests (0: the minute is used up everywhere) to the token's counter,
    /// if it is still in `window`; `leased_everywhere` is the database's total after the claim.
    pub fn add_lease(&self, token: TokenId, window: i64, granted: u32, leased_everywhere: u32) {
        let mut counters = self.counters.lock();
        if let Some(counter) = counters.get_mut(&token)
            && counter.window == window
        {
            counter.allowance += granted;
            counter.leased_everywhere = counter.leased_everywhere.max(leased_everywhere);
            if granted == 0 {
                counter.exhausted = true;
            }
        }
    }
}

/// At most one event per token and minute, on this instance (the database makes it one across instances).
#[derive(Debug, Default)]
pub struct Throttle {
    last: Mutex<HashMap<TokenId, i64, super::RandomIdHash>>,
}

impl Throttle {
    /// True when nothing was let through for `token` in the last minute (and notes `now`).
    pub fn first_in_minute(&self, token: TokenId, now: Timestamp) -> bool {
        let mut last = self.last.lock();
        if last.len() >= MAX_TOKENS {
            last.retain(|_, at| now.millis() - *at < WINDOW_MS);
            if last.len() >= MAX_TOKENS {
                last.clear();
            }
        }
        match last.get(&token) {
            Some(&at) if now.millis() - at < WINDOW_MS => false,
            _ => {
                last.insert(token, now.millis());
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_instance_is_exact_per_minute() {
        let counters = RateCounters::new(false);
        let token = TokenId::new_random();
        let start = Timestamp(1_800_000_000_000 - 1_800_000_000_000 % WINDOW_MS + 10_000);
        for i in 0..3 {
            assert!(matches!(counters.count(token, 3, start), Count::Allowed(s) if s.remaining == 2 - i));
        }
        assert_eq!(counters.count(token, 3, start), Count::Limited { retry_after: 50 });
        assert!(matches!(counters.count(token, 3, Timestamp(start.millis() + 50_000)), Count::Allowed(_)));
    }

    #[test]
    fn several_instances_count_down_leases() {
        let counters = RateCounters::new(true);
        let token = TokenId::new_random();
        let now = Timestamp(120_000);
        let Count::NeedLease { window, want } = counters.count(token, 100, now) else { panic!() };
        assert_eq!((window, want), (120_000, 5));
        counters.add_lease(token, window, 5, 5);
        for _ in 0..5 {
            assert!(matches!(counters.count(token, 100, now), Count::Allowed(_)));
        }
        assert!(matches!(counters.count(token, 100, now), Count::NeedLease { .. }));
        counters.add_lease(token, window, 0, 100);
        assert_eq!(counters.count(token, 100, now), Count::Limited { retry_after: 60 });
    }

    #[test]
    fn the_throttle_lets_one_through_a_minute() {
        let throttle = Throttle::default();
        let token = TokenId::new_random();
        assert!(throttle.first_in_minute(token, Timestamp(0)));
        assert!(!throttle.first_in_minute(token, Timestamp(59_999)));
        assert!(throttle.first_in_minute(token, Timestamp(60_000)));
    }
}
