//! Instants: unix milliseconds everywhere (database, wire, clock), so that every comparison compares
//! integers and SQLite and PostgreSQL agree. Dates are shown in UTC so server rendering and hydration match.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

#[cfg(feature = "server")]
crate::db::integer_type!(Timestamp);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    pub fn plus_days(self, days: i64) -> Self {
        self.plus_ms(days.saturating_mul(DAY_MS))
    }

    pub fn minus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_sub(ms))
    }

    /// Parses RFC 3339 (`2026-12-29T00:00:00Z`), as people and programs write instants.
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw.trim()).ok().map(|t| Self(t.timestamp_millis()))
    }

    fn utc(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.0)
    }

    /// "Dec 29, 2026"
    pub fn date(self) -> String {
        self.utc().map(|t| t.format("%b %-d, %Y").to_string()).unwrap_or_default()
    }

    /// "Dec 29, 2026, 14:05 UTC"
    pub fn date_time(self) -> String {
        self.utc().map(|t| t.format("%b %-d, %Y, %H:%M UTC").to_string()).unwrap_or_default()
    }

    /// RFC 3339 with second precision, for machine-readable places (`<time datetime>`, API bodies).
    pub fn rfc3339(self) -> String {
        self.utc().map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
    }

    /// Whole days from `now` until this instant, rounded up: a token expiring in 36 hours has 2 days left.
    pub fn days_after(self, now: Timestamp) -> i64 {
        let ms = self.0 - now.0;
        if ms <= 0 { 0 } else { (ms + DAY_MS - 1) / DAY_MS }
    }
}

/// "expires in 3 days", "expires tomorrow", "expired".
pub fn expires_phrase(expires_at: Timestamp, now: Timestamp) -> String {
    if expires_at <= now {
        return "expired".into();
    }
    let ms = expires_at.0 - now.0;
    if ms < HOUR_MS {
        return "expires in less than an hour".into();
    }
    if ms < DAY_MS {
        let hours = ms / HOUR_MS;
        return format!("expires in {hours} hour{}", if hours == 1 { "" } else { "s" });
    }
    let days = expires_at.days_after(now);
    format!("expires in {days} day{}", if days == 1 { "" } else { "s" })
}

/// "3 minutes ago", "2 days ago", "just now".
pub fn ago_phrase(then: Timestamp, now: Timestamp) -> String {
    let ms = (now.0 - then.0).max(0);
    let (n, unit) = if ms < MINUTE_MS {
        return "just now".into();
    } else if ms < HOUR_MS {
        (ms / MINUTE_MS, "minute")
    } else if ms < DAY_MS {
        (ms / HOUR_MS, "hour")
    } else {
        (ms / DAY_MS, "day")
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_utc() {
        let t = Timestamp(1_798_502_400_000); // 2026-12-29T00:00:00Z
        assert_eq!(t.date(), "Dec 29, 2026");
        assert_eq!(t.rfc3339(), "2026-12-29T00:00:00Z");
        assert_eq!(t.plus_ms(14 * HOUR_MS + 5 * MINUTE_MS).date_time(), "Dec 29, 2026, 14:05 UTC");
    }

    #[test]
    fn phrases() {
        let now = Timestamp(1_000_000_000_000);
        assert_eq!(expires_phrase(now, now), "expired");
        assert_eq!(expires_phrase(now.plus_ms(30 * MINUTE_MS), now), "expires in less than an hour");
        assert_eq!(expires_phrase(now.plus_ms(HOUR_MS), now), "expires in 1 hour");
        assert_eq!(expires_phrase(now.plus_days(1), now), "expires in 1 day");
        assert_eq!(expires_phrase(now.plus_days(30), now), "expires in 30 days");
        assert_eq!(expires_phrase(now.plus_ms(36 * HOUR_MS), now), "expires in 2 days");
        assert_eq!(ago_phrase(now, now.plus_ms(59 * SECOND_MS)), "just now");
        assert_eq!(ago_phrase(now, now.plus_ms(2 * DAY_MS)), "2 days ago");
    }
}
