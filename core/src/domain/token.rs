//! API tokens as people configure them: a name, a lifetime, a grace period for rotation, and why a
//! token stopped working.

use super::text::check_visible;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The request header that carries a token's ID unless configured otherwise (ZeroPath's name, so
/// existing clients keep working).
pub const DEFAULT_TOKEN_ID_HEADER: &str = "X-ZeroPath-API-Token-Id";
/// The request header that carries a token's secret unless configured otherwise.
pub const DEFAULT_TOKEN_SECRET_HEADER: &str = "X-ZeroPath-API-Token-Secret";

/// Tokens expiring sooner than this get a warning (banner, badge, email).
pub const EXPIRING_SOON_DAYS: i64 = 7;

/// A token's optional, human-chosen name: trimmed, at most 100 characters, nothing invisible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
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
        check_visible(name, "A token name")?;
        Ok(Some(Self(name.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TokenName {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)?.ok_or_else(|| "A token name can't be blank.".to_owned())
    }
}

impl From<TokenName> for String {
    fn from(name: TokenName) -> String {
        name.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A number of days from 1 to 365: a token's lifetime, or a limit on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct ExpiryDays(u16);

impl ExpiryDays {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 365;
    pub const DEFAULT: ExpiryDays = ExpiryDays(30);
    pub const LONGEST: ExpiryDays = ExpiryDays(Self::MAX as u16);
    /// The quick choices the dashboard offers.
    pub const PRESETS: [i64; 5] = [7, 30, 60, 90, 365];

    pub fn new(days: i64) -> Result<Self, String> {
        if (Self::MIN..=Self::MAX).contains(&days) {
            Ok(Self(days as u16))
        } else {
            Err(format!("Expiration must be between {} and {} days; {days} is out of range.", Self::MIN, Self::MAX))
        }
    }

    /// Parses form or JSON input. Absent or blank means `default`.
    pub fn parse_or(raw: Option<&str>, default: ExpiryDays) -> Result<Self, String> {
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(default);
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

    /// Parses form or JSON input. Absent or blank means the default of 30 days.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        Self::parse_or(raw, Self::DEFAULT)
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

impl fmt::Display for ExpiryDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} day{}", self.0, if self.0 == 1 { "" } else { "s" })
    }
}

/// How long a rotated-away secret keeps working beside its successor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GracePeriod {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl GracePeriod {
    pub const ALL: [GracePeriod; 4] =
        [GracePeriod::None, GracePeriod::OneHour, GracePeriod::OneDay, GracePeriod::SevenDays];
    pub const DEFAULT: GracePeriod = GracePeriod::OneDay;

    pub fn millis(self) -> i64 {
        use crate::time::{DAY_MS, HOUR_MS};
        match self {
            GracePeriod::None => 0,
            GracePeriod::OneHour => HOUR_MS,
            GracePeriod::OneDay => DAY_MS,
            GracePeriod::SevenDays => 7 * DAY_MS,
        }
    }

    /// The form and API value: `none`, `1h`, `24h`, `7d`.
    pub fn as_str(self) -> &'static str {
        match self {
            GracePeriod::None => "none",
            GracePeriod::OneHour => "1h",
            GracePeriod::OneDay => "24h",
            GracePeriod::SevenDays => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GracePeriod::None => "None: the old secret stops now",
            GracePeriod::OneHour => "1 hour",
            GracePeriod::OneDay => "24 hours",
            GracePeriod::SevenDays => "7 days",
        }
    }

    /// Blank means the default of 24 hours.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim).unwrap_or("") {
            "" => Ok(Self::DEFAULT),
            "none" | "0" => Ok(GracePeriod::None),
            "1h" => Ok(GracePeriod::OneHour),
            "24h" | "1d" => Ok(GracePeriod::OneDay),
            "7d" => Ok(GracePeriod::SevenDays),
            other => Err(format!(
                "The grace period must be none, 1h, 24h or 7d, not \u{201c}{}\u{201d}.",
                truncate(other, 20)
            )),
        }
    }
}

/// Why a token no longer works (besides expiring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// Deleted by a person or by the token itself.
    Deleted,
    /// Its creator left or was removed from the organization.
    MemberRemoved,
    /// Replaced by rotation; the old secret's grace period is over.
    Rotated,
    /// A rotated-away secret was used after its grace period, or a rotated token was rotated again:
    /// someone holds a copy who shouldn't, so the whole family was revoked.
    ReuseDetected,
    /// All of a member's tokens were revoked.
    MemberTokensRevoked,
    /// All of the organization's tokens were revoked.
    OrganizationTokensRevoked,
    /// Unused for longer than the organization's policy allows.
    Unused,
    /// Its secret (or that of a token of its rotation family) was reported leaked.
    Exposed,
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(RevokeReason);

impl RevokeReason {
    pub const ALL: [RevokeReason; 8] = [
        RevokeReason::Deleted,
        RevokeReason::MemberRemoved,
        RevokeReason::Rotated,
        RevokeReason::ReuseDetected,
        RevokeReason::MemberTokensRevoked,
        RevokeReason::OrganizationTokensRevoked,
        RevokeReason::Unused,
        RevokeReason::Exposed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Deleted => "deleted",
            RevokeReason::MemberRemoved => "member_removed",
            RevokeReason::Rotated => "rotated",
            RevokeReason::ReuseDetected => "reuse_detected",
            RevokeReason::MemberTokensRevoked => "member_tokens_revoked",
            RevokeReason::OrganizationTokensRevoked => "organization_tokens_revoked",
            RevokeReason::Unused => "unused",
            RevokeReason::Exposed => "exposed",
        }
    }

    /// For the dashboard's list of revoked tokens.
    pub fn explanation(self) -> &'static str {
        match self {
            RevokeReason::Deleted => "Deleted",
            RevokeReason::MemberRemoved => "Its creator was removed from the organization",
            RevokeReason::Rotated => "Replaced by rotation",
            RevokeReason::ReuseDetected => "Revoked: a replaced secret was used again, so it may have leaked",
            RevokeReason::MemberTokensRevoked => "Revoked with all of its creator's tokens",
            RevokeReason::OrganizationTokensRevoked => "Revoked with every token in the organization",
            RevokeReason::Unused => "Revoked after going unused for longer than the policy allows",
            RevokeReason::Exposed => "Exposed: its secret was reported leaked, so it was revoked",
        }
    }
}

impl fmt::Display for RevokeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RevokeReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown revocation reason {s:?}"))
    }
}

/// Where a leak report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakIntake {
    /// GitHub secret scanning (the partner endpoint).
    Github,
    /// A GitLab instance's secret detection (the Token Revocation API).
    Gitlab,
    /// Someone holding the secret (`POST /api/v1/credentials/revoke`).
    Possession,
    /// A member through the REST API.
    Api,
    /// A member in the dashboard.
    Dashboard,
    /// The operator on the command line.
    Cli,
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(LeakIntake);

impl LeakIntake {
    pub const ALL: [LeakIntake; 6] = [
        LeakIntake::Github,
        LeakIntake::Gitlab,
        LeakIntake::Possession,
        LeakIntake::Api,
        LeakIntake::Dashboard,
        LeakIntake::Cli,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeakIntake::Github => "github",
            LeakIntake::Gitlab => "gitlab",
            LeakIntake::Possession => "possession",
            LeakIntake::Api => "api",
            LeakIntake::Dashboard => "dashboard",
            LeakIntake::Cli => "cli",
        }
    }

    /// For people: "GitHub secret scanning".
    pub fn label(self) -> &'static str {
        match self {
            LeakIntake::Github => "GitHub secret scanning",
            LeakIntake::Gitlab => "GitLab secret detection",
            LeakIntake::Possession => "someone holding the secret",
            LeakIntake::Api => "a member, through the API",
            LeakIntake::Dashboard => "a member, in the dashboard",
            LeakIntake::Cli => "the operator, on the command line",
        }
    }
}

impl fmt::Display for LeakIntake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LeakIntake {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown leak intake {s:?}"))
    }
}

/// Where a leak was found, as reported: a URL (at most 2,000 characters) and a kind of place (at most
/// 100). Reports come from outside, so both are cut to length and stripped of control characters, never
/// refused: a report with an odd location still revokes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakLocation {
    pub url: Option<String>,
    pub source: Option<String>,
}

impl LeakLocation {
    pub const MAX_URL: usize = 2000;
    pub const MAX_SOURCE: usize = 100;

    pub fn new(url: Option<&str>, source: Option<&str>) -> Self {
        Self { url: clean(url, Self::MAX_URL), source: clean(source, Self::MAX_SOURCE) }
    }
}

fn clean(raw: Option<&str>, max: usize) -> Option<String> {
    let text: String = raw?.chars().filter(|c| !c.is_control()).take(max).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { s.chars().take(max).chain(['\u{2026}']).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_bounds() {
        assert_eq!(ExpiryDays::parse(None).unwrap().days(), 30);
        assert_eq!(ExpiryDays::parse(Some("  ")).unwrap().days(), 30);
        assert_eq!(ExpiryDays::parse_or(Some(""), ExpiryDays::new(7).unwrap()).unwrap().days(), 7);
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

    #[test]
    fn grace_periods() {
        for grace in GracePeriod::ALL {
            assert_eq!(GracePeriod::parse(Some(grace.as_str())).unwrap(), grace);
        }
        assert_eq!(GracePeriod::parse(None).unwrap(), GracePeriod::OneDay);
        assert!(GracePeriod::parse(Some("2h")).is_err());
    }

    #[test]
    fn leak_locations_are_cut_and_cleaned() {
        let location = LeakLocation::new(Some(&format!(" https://x/\u{7}{}", "a".repeat(3000))), Some("\n"));
        assert_eq!(location.url.as_ref().unwrap().chars().count(), LeakLocation::MAX_URL - 1);
        assert!(location.url.unwrap().starts_with("https://x/a"));
        assert_eq!(location.source, None);
        for intake in LeakIntake::ALL {
            assert_eq!(intake.as_str().parse::<LeakIntake>().unwrap(), intake);
        }
    }

    #[test]
    fn reasons_round_trip() {
        for reason in RevokeReason::ALL {
            assert_eq!(reason.as_str().parse::<RevokeReason>().unwrap(), reason);
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
    }

    proptest::proptest! {
        /// Anything typed into the form parses to a valid value or a message, never a panic; valid
        /// values obey their bounds.
        #[test]
        fn form_input_never_panics(raw in "\\PC{0,300}") {
            if let Ok(Some(name)) = TokenName::parse(&raw) {
                proptest::prop_assert!(name.as_str().chars().count() <= TokenName::MAX_CHARS);
                proptest::prop_assert!(check_visible(name.as_str(), "x").is_ok());
                proptest::prop_assert_eq!(name.as_str(), raw.trim());
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
        assert!(TokenName::parse("evil\u{202E}txt.exe").is_err());
        assert!(TokenName::parse("zero\u{200B}width").is_err());
        // Markup is just text: it is escaped where it is shown, not refused.
        assert!(TokenName::parse("<script>alert(1)</script>").unwrap().is_some());
    }
}
