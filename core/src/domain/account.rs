//! Accounts: email addresses and passwords.

use super::text::check_visible;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        if email.len() > Self::MAX_LEN {
            return Err(format!("An email address has at most {} characters.", Self::MAX_LEN));
        }
        check_visible(&email, "An email address")?;
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            let shown: String = raw.trim().chars().take(60).collect();
            return Err(format!("\u{201c}{shown}\u{201d} is not an email address, like name@example.com."));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed, 8 to 1024 bytes. Its `Debug` never shows it; on the server it is wiped from
/// memory when dropped.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: String) -> Result<Self, String> {
        if raw.len() < Self::MIN_BYTES {
            return Err(format!("Use a password of at least {} characters.", Self::MIN_BYTES));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!("A password has at most {} bytes.", Self::MAX_BYTES));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(feature = "server")]
impl Drop for Password {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "ada@@example.com",
            "ada@.com",
            "ada@example.",
            "ad\u{202E}a@example.com",
            "ada\u{200B}@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn password_length_is_bounded_in_bytes() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        assert!(Password::parse("x".repeat(1024)).is_ok());
        assert!(Password::parse("x".repeat(1025)).is_err());
        // 4-byte characters: 257 of them are 1028 bytes.
        assert!(Password::parse("\u{1F600}".repeat(257)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn email_parsing_never_panics_and_keeps_its_promises(raw in "\\PC{0,300}") {
            if let Ok(email) = Email::parse(&raw) {
                proptest::prop_assert!(email.as_str().len() <= Email::MAX_LEN);
                proptest::prop_assert_eq!(email.as_str().matches('@').count(), 1);
                proptest::prop_assert!(check_visible(email.as_str(), "x").is_ok());
            }
        }
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("correct horse battery".into()).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
