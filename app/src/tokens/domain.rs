//! Token input as people type it, parsed into values that can't be wrong.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A token's optional, human-chosen name: trimmed, at most 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenName(String);

impl TokenName {
    pub const MAX_CHARS: usize = 100;

    /// An empty (or all-blank) name means "no name".
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Ok(None);
        }
        let chars = name.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "A token name has at most {} characters; this one has {chars}. Shorten it.",
                Self::MAX_CHARS
            ));
        }
        if name.chars().any(char::is_control) {
            return Err("A token name can't contain control characters such as line breaks or tabs.".into());
        }
        Ok(Some(Self(name.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many days a new token lives: 1 to 365, 30 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct ExpiryDays(u16);

impl ExpiryDays {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 365;
    pub const DEFAULT: ExpiryDays = ExpiryDays(30);
    /// The quick choices the dashboard offers.
    pub const PRESETS: [i64; 5] = [7, 30, 60, 90, 365];

    pub fn new(days: i64) -> Result<Self, String> {
        if (Self::MIN..=Self::MAX).contains(&days) {
            Ok(Self(days as u16))
        } else {
            Err(format!("Expiration must be between {} and {} days; {days} is out of range.", Self::MIN, Self::MAX))
        }
    }

    /// Parses form or JSON input. Absent or blank means the default of 30 days.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(Self::DEFAULT);
        }
        match raw.parse::<i64>() {
            Ok(days) => Self::new(days),
            Err(_) => Err(format!(
                "Expiration must be a whole number of days between {} and {}, not \u{201c}{}\u{201d}.",
                Self::MIN,
                Self::MAX,
                truncate(raw, 20)
            )),
        }
    }

    pub fn days(self) -> i64 {
        i64::from(self.0)
    }
}

impl Default for ExpiryDays {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<i64> for ExpiryDays {
    type Error = String;
    fn try_from(days: i64) -> Result<Self, Self::Error> {
        Self::new(days)
    }
}

impl From<ExpiryDays> for i64 {
    fn from(days: ExpiryDays) -> i64 {
        days.days()
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { s.chars().take(max).chain(['\u{2026}']).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_bounds() {
        assert_eq!(ExpiryDays::parse(None).unwrap().days(), 30);
        assert_eq!(ExpiryDays::parse(Some("  ")).unwrap().days(), 30);
        assert_eq!(ExpiryDays::parse(Some("1")).unwrap().days(), 1);
        assert_eq!(ExpiryDays::parse(Some("365")).unwrap().days(), 365);
        for bad in ["0", "366", "-1", "abc", "7.5", "1e3", "99999999999999999999"] {
            assert!(ExpiryDays::parse(Some(bad)).is_err(), "{bad} was accepted");
        }
        assert!(ExpiryDays::parse(Some("abc")).unwrap_err().contains("whole number"));
        assert!(ExpiryDays::parse(Some("366")).unwrap_err().contains("between 1 and 365"));
    }

    #[test]
    fn expiry_deserialises_only_valid_values() {
        assert!(serde_json::from_str::<ExpiryDays>("0").is_err());
        assert_eq!(serde_json::from_str::<ExpiryDays>("7").unwrap().days(), 7);
    }

    proptest::proptest! {
        /// Anything typed into the form parses to a valid value or a message, never a panic; valid
        /// values obey their bounds.
        #[test]
        fn form_input_never_panics(raw in "\\PC{0,300}") {
            if let Ok(Some(name)) = TokenName::parse(&raw) {
                proptest::prop_assert!(name.as_str().chars().count() <= TokenName::MAX_CHARS);
                proptest::prop_assert!(!name.as_str().chars().any(char::is_control));
            }
            if let Ok(days) = ExpiryDays::parse(Some(&raw)) {
                proptest::prop_assert!((1..=365).contains(&days.days()));
            }
        }
    }

    #[test]
    fn names() {
        assert_eq!(TokenName::parse("  CI/CD Pipeline ").unwrap().unwrap().as_str(), "CI/CD Pipeline");
        assert_eq!(TokenName::parse("   ").unwrap(), None);
        assert!(TokenName::parse(&"x".repeat(100)).unwrap().is_some());
        assert!(TokenName::parse(&"x".repeat(101)).is_err());
        assert!(TokenName::parse(&"x".repeat(10_000)).unwrap_err().contains("10000"));
        assert!(TokenName::parse("tab\there").is_err());
        // Markup is just text: it is escaped where it is shown, not refused.
        assert!(TokenName::parse("<script>alert(1)</script>").unwrap().is_some());
    }
}
