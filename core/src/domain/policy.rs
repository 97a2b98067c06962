//! An organization's token policy, set by its owners.

use super::token::ExpiryDays;
use crate::time::{DAY_MS, Timestamp};
use serde::{Deserialize, Serialize};

/// What every token of an organization must satisfy, and the defaults its creation form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPolicy {
    /// No token may live longer; lowering it refuses existing tokens whose remaining lifetime exceeds it.
    pub max_lifetime: ExpiryDays,
    /// What the creation form proposes. At most `max_lifetime`.
    pub default_lifetime: ExpiryDays,
    /// Tokens unused (since creation or last use) for this many days are revoked. `None`: never.
    pub revoke_unused_after: Option<ExpiryDays>,
    /// May a token rotate itself through the API? Its creator always may, in the dashboard.
    pub api_rotation: bool,
    /// When to warn about a token's expiry, in days before it (0: when it expires).
    #[serde(default)]
    pub expiry_warnings: ExpiryWarnings,
}

/// Days before expiry at which a token's creator is warned, most distant first (`30,7,1,0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExpiryWarnings(Vec<u16>);

impl Default for ExpiryWarnings {
    fn default() -> Self {
        Self(vec![30, 7, 1, 0])
    }
}

impl ExpiryWarnings {
    pub const MAX_THRESHOLDS: usize = 8;

    /// `30, 7, 1, 0` (any order, duplicates dropped); blank means none.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut days = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<u16>() {
                Ok(d) if i64::from(d) <= ExpiryDays::MAX => days.push(d),
                _ => {
                    let shown: String = part.chars().take(12).collect();
                    return Err(format!(
                        "Expiry warnings are days before expiry from 0 to {}, separated by commas, like 30, 7, 1, 0; \u{201c}{shown}\u{201d} is not one.",
                        ExpiryDays::MAX
                    ));
                }
            }
        }
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        if days.len() > Self::MAX_THRESHOLDS {
            return Err(format!("At most {} expiry warnings.", Self::MAX_THRESHOLDS));
        }
        Ok(Self(days))
    }

    pub fn days(&self) -> &[u16] {
        &self.0
    }
}

impl std::fmt::Display for ExpiryWarnings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u16::to_string).collect();
        f.write_str(&parts.join(", "))
    }
}

impl TryFrom<String> for ExpiryWarnings {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<ExpiryWarnings> for String {
    fn from(w: ExpiryWarnings) -> String {
        w.to_string()
    }
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            max_lifetime: ExpiryDays::LONGEST,
            default_lifetime: ExpiryDays::DEFAULT,
            revoke_unused_after: None,
            api_rotation: false,
            expiry_warnings: ExpiryWarnings::default(),
        }
    }
}

/// Where a policy's input went wrong: the form field, and what to do.
pub type PolicyError = (&'static str, String);

/// [`TokenPolicy::rotation_lifetime`] in days, for a policy whose maximum is `max_days`.
pub fn rotation_days(created_at: Timestamp, expires_at: Timestamp, max_days: i64) -> i64 {
    let days = (expires_at.millis() - created_at.millis()).max(0).unsigned_abs().div_ceil(DAY_MS.unsigned_abs());
    i64::try_from(days).unwrap_or(i64::MAX).clamp(ExpiryDays::MIN, max_days.max(ExpiryDays::MIN))
}

impl TokenPolicy {
    /// What a rotation in the dashboard gives the successor unless its creator chooses otherwise: the
    /// lifetime the token was created with, in whole days, within what the policy allows now.
    pub fn rotation_lifetime(&self, created_at: Timestamp, expires_at: Timestamp) -> ExpiryDays {
        ExpiryDays::new(rotation_days(created_at, expires_at, self.max_lifetime.days()))
            .unwrap_or(self.default_lifetime)
    }

    /// Parses the owners' form. Blank `max` and `default` mean 365 and 30; blank `unused` means off.
    pub fn parse(
        max: Option<&str>,
        default: Option<&str>,
        unused: Option<&str>,
        api_rotation: bool,
    ) -> Result<Self, PolicyError> {
        let max_lifetime = ExpiryDays::parse_or(max, ExpiryDays::LONGEST).map_err(|m| ("max_lifetime_days", m))?;
        let default_lifetime = ExpiryDays::parse_or(default, ExpiryDays::DEFAULT.min(max_lifetime))
            .map_err(|m| ("default_lifetime_days", m))?;
        if default_lifetime > max_lifetime {
            return Err((
                "default_lifetime_days",
                format!(
                    "The default lifetime ({default_lifetime}) can't be longer than the maximum ({max_lifetime}). Lower it."
                ),
            ));
        }
        let revoke_unused_after = match unused.map(str::trim).filter(|u| !u.is_empty() && *u != "off") {
            None => None,
            Some(raw) => Some(
                ExpiryDays::parse(Some(raw))
                    .map_err(|m| ("revoke_unused_after_days", m.replace("Expiration", "The unused-token period")))?,
            ),
        };
        Ok(Self {
            max_lifetime,
            default_lifetime,
            revoke_unused_after,
            api_rotation,
            expiry_warnings: ExpiryWarnings::default(),
        })
    }

    /// The same policy with other expiry warnings (from the form's `expiry_warning_days`).
    pub fn with_warnings(self, raw: Option<&str>) -> Result<Self, PolicyError> {
        match raw {
            None => Ok(self),
            Some(raw) => Ok(Self {
                expiry_warnings: ExpiryWarnings::parse(raw).map_err(|m| ("expiry_warning_days", m))?,
                ..self
            }),
        }
    }

    /// The lifetime a new token gets: what was asked, or the default; never beyond the maximum.
    pub fn lifetime(&self, asked: Option<ExpiryDays>) -> Result<ExpiryDays, String> {
        let days = asked.unwrap_or(self.default_lifetime);
        if days > self.max_lifetime {
            return Err(format!(
                "This organization's policy allows tokens of at most {}; choose {} or fewer.",
                self.max_lifetime,
                self.max_lifetime.days()
            ));
        }
        Ok(days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_keeps_the_original_lifetime_within_the_policy() {
        let created = Timestamp(1_000_000);
        let mut p = TokenPolicy::parse(None, None, None, false).unwrap();
        assert_eq!(p.rotation_lifetime(created, created.plus_days(90)).days(), 90);
        assert_eq!(p.rotation_lifetime(created, created.plus_days(1)).days(), 1);
        // A part of a day counts as a day, and nothing is shorter than a day.
        assert_eq!(p.rotation_lifetime(created, created.plus_ms(DAY_MS + 1)).days(), 2);
        assert_eq!(p.rotation_lifetime(created, created).days(), 1);
        p.max_lifetime = ExpiryDays::new(60).unwrap();
        assert_eq!(p.rotation_lifetime(created, created.plus_days(90)).days(), 60);
    }

    #[test]
    fn defaults_and_bounds() {
        let p = TokenPolicy::parse(None, None, None, false).unwrap();
        assert_eq!(p, TokenPolicy::default());
        let p = TokenPolicy::parse(Some("90"), Some("30"), Some("180"), true).unwrap();
        assert_eq!(
            (p.max_lifetime.days(), p.default_lifetime.days(), p.revoke_unused_after.map(ExpiryDays::days)),
            (90, 30, Some(180))
        );
        // A low maximum pulls the blank default down with it.
        assert_eq!(TokenPolicy::parse(Some("7"), None, None, false).unwrap().default_lifetime.days(), 7);
        assert_eq!(TokenPolicy::parse(Some("30"), Some("60"), None, false).unwrap_err().0, "default_lifetime_days");
        assert_eq!(TokenPolicy::parse(Some("0"), None, None, false).unwrap_err().0, "max_lifetime_days");
        assert_eq!(TokenPolicy::parse(None, None, Some("x"), false).unwrap_err().0, "revoke_unused_after_days");
        assert_eq!(TokenPolicy::parse(None, None, Some("off"), false).unwrap().revoke_unused_after, None);
    }

    #[test]
    fn expiry_warnings() {
        assert_eq!(ExpiryWarnings::parse("1, 30,7,0,7").unwrap().days(), [30, 7, 1, 0]);
        assert!(ExpiryWarnings::parse("").unwrap().days().is_empty());
        for bad in ["x", "-1", "366", "1,2,3,4,5,6,7,8,9"] {
            assert!(ExpiryWarnings::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ExpiryWarnings::default().to_string(), "30, 7, 1, 0");
    }

    #[test]
    fn lifetimes_respect_the_maximum() {
        let p = TokenPolicy::parse(Some("90"), Some("14"), None, false).unwrap();
        assert_eq!(p.lifetime(None).unwrap().days(), 14);
        assert_eq!(p.lifetime(Some(ExpiryDays::new(90).unwrap())).unwrap().days(), 90);
        assert!(p.lifetime(Some(ExpiryDays::new(91).unwrap())).unwrap_err().contains("at most 90 days"));
    }
}
