//! Instants: unix milliseconds everywhere (database, wire, clock), so that every comparison compares
//! integers and SQLite and PostgreSQL agree. Dates are shown in UTC so server rendering and hydration match.

use serde::{Deserialize, Serialize};

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

#[cfg(feature = "server")]
crate::sql_types::integer_type!(Timestamp);

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
    #[cfg(feature = "server")]
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        chrono::DateTime::parse_from_rfc3339(raw.trim()).ok().map(|t| Self(t.timestamp_millis()))
    }

    /// Year, month (1-12), day, hour, minute, second in UTC, without a calendar library (so the
    /// browser bundle carries none). Howard Hinnant's `civil_from_days`.
    fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(SECOND_MS);
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day, (rest / 3600) as u32, (rest / 60 % 60) as u32, (rest % 60) as u32)
    }

    /// "Dec 29, 2026"
    pub fn date(self) -> String {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let (y, m, d, ..) = self.civil();
        format!("{} {d}, {y}", MONTHS[(m - 1) as usize])
    }

    /// "Dec 29, 2026, 14:05 UTC"
    pub fn date_time(self) -> String {
        let (.., h, min, _) = self.civil();
        format!("{}, {h:02}:{min:02} UTC", self.date())
    }

    /// RFC 3339 with second precision, for machine-readable places (`<time datetime>`, API bodies).
    pub fn rfc3339(self) -> String {
        let (y, m, d, h, min, s) = self.civil();
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
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
    fn the_calendar_agrees_with_chrono() {
        for ms in [0i64, 951_782_400_000, 1_798_502_400_000, 4_102_444_800_000, 1_709_164_800_123, -86_400_000] {
            let t = Timestamp(ms);
            let expected = chrono::DateTime::from_timestamp_millis(ms).unwrap();
            assert_eq!(t.rfc3339(), expected.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "{ms}");
            assert_eq!(t.date(), expected.format("%b %-d, %Y").to_string(), "{ms}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_instant_formats_as_chrono_does(ms in -62_135_596_800_000i64..253_402_300_799_000) {
            let expected = chrono::DateTime::from_timestamp_millis(ms).unwrap();
            proptest::prop_assert_eq!(Timestamp(ms).rfc3339(), expected.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
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
