//! Keyset pagination: a page starts just after the row with this instant and id (newest first). The
//! cursor travels through URLs and API queries, so it is parsed like any other untrusted input.

use crate::time::Timestamp;
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor<Id> {
    pub at: Timestamp,
    pub id: Id,
}

impl<Id: FromStr> Cursor<Id> {
    /// `<unix milliseconds>_<id>`; anything else is refused with a message for the `field` it came in.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let invalid = || "That page link is not valid. Start from the first page.".to_owned();
        let (at, id) = raw.trim().split_once('_').ok_or_else(invalid)?;
        if at.is_empty() || at.len() > 19 || !at.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        Ok(Self { at: Timestamp(at.parse().map_err(|_| invalid())?), id: id.parse().map_err(|_| invalid())? })
    }
}

impl<Id: fmt::Display> fmt::Display for Cursor<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.at.millis(), self.id)
    }
}

/// How many rows a page holds: 1 to 100, 25 unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u8);

impl PageSize {
    pub const DEFAULT: PageSize = PageSize(25);
    pub const MAX: u8 = 100;

    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(Self::DEFAULT);
        }
        match raw.parse::<u64>() {
            Ok(n) if (1..=u64::from(Self::MAX)).contains(&n) => Ok(Self(n as u8)),
            _ => Err(format!(
                "limit must be a whole number from 1 to {}, not \u{201c}{}\u{201d}.",
                Self::MAX,
                super::token::truncate(raw, 20)
            )),
        }
    }

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TokenId;

    #[test]
    fn cursors_round_trip() {
        let id: TokenId = "0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d".parse().unwrap();
        let cursor = Cursor { at: Timestamp(1_700_000_000_000), id };
        assert_eq!(Cursor::<TokenId>::parse(&cursor.to_string()).unwrap(), cursor);
        for bad in [
            "",
            "_",
            "12_",
            "_abc",
            "x_0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d",
            "12_not-a-uuid",
            "-1_0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d",
            "99999999999999999999_0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d",
        ] {
            assert!(Cursor::<TokenId>::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_sizes() {
        assert_eq!(PageSize::parse(None).unwrap().get(), 25);
        assert_eq!(PageSize::parse(Some("100")).unwrap().get(), 100);
        for bad in ["0", "101", "-1", "abc", "1.5", "18446744073709551616"] {
            assert!(PageSize::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Page links come from the URL: anything at all is refused cleanly or parsed.
        #[test]
        fn cursor_parsing_never_panics(raw in "\\PC{0,120}") {
            if let Ok(cursor) = Cursor::<TokenId>::parse(&raw) {
                proptest::prop_assert_eq!(Cursor::<TokenId>::parse(&cursor.to_string()).unwrap(), cursor);
            }
        }
    }
}
