//! Typed identifiers: a token id can't be passed where a user id is expected. In the database they are
//! TEXT (a hyphenated UUID), bound and decoded as themselves (see [`crate::sql_types::text_type!`]).

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// Why a string is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a UUID")]
pub struct BadId;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            /// Only the canonical 36-character form (any case): ids come from URLs and headers, and one
            /// spelling per id keeps logs, caches and comparisons simple.
            fn from_str(s: &str) -> Result<Self, BadId> {
                let s = s.trim();
                if s.len() != 36 {
                    return Err(BadId);
                }
                Uuid::try_parse(s).map(Self).map_err(|_| BadId)
            }
        }

        #[cfg(feature = "server")]
        crate::sql_types::text_type!($name);
    };
}

id_type!(
    /// A person's account.
    UserId
);
id_type!(
    /// An organization.
    OrgId
);
id_type!(
    /// An API token's public identifier (safe to log and display).
    TokenId
);
id_type!(
    /// A token and every token that replaced it by rotation share one family.
    FamilyId
);
id_type!(
    /// An invitation to join an organization (not its secret code).
    InvitationId
);
id_type!(
    /// One audit event. Version 7 UUIDs: they sort by creation time.
    EventId
);
id_type!(
    /// A webhook endpoint an organization registered.
    WebhookId
);
id_type!(
    /// One message waiting in the outbox (an email, a webhook delivery).
    MessageId
);

#[cfg(feature = "server")]
mod random {
    use super::*;

    macro_rules! random_v4 {
        ($($name:ident),*) => {$(
            impl $name {
                pub fn new_random() -> Self {
                    Self(Uuid::new_v4())
                }
            }
        )*};
    }
    random_v4!(UserId, OrgId, TokenId, FamilyId, InvitationId, WebhookId, MessageId);

    impl EventId {
        /// Time-ordered, so events sort by id within the same millisecond too.
        pub fn new_at(at: crate::time::Timestamp) -> Self {
            let ts = uuid::Timestamp::from_unix(
                uuid::NoContext,
                at.millis().max(0) as u64 / 1000,
                (at.millis().max(0) % 1000) as u32 * 1_000_000,
            );
            Self(Uuid::new_v7(ts))
        }
    }

    impl From<TokenId> for FamilyId {
        /// A family is named after its first token.
        fn from(first: TokenId) -> Self {
            Self(first.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_form_parses() {
        let id: TokenId = "0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d".parse().unwrap();
        assert_eq!(id.to_string(), "0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d");
        assert_eq!(" 0B6F2C4E-1D3A-4F5B-8C7D-9E0F1A2B3C4D ".parse::<TokenId>().unwrap(), id);
        for bad in ["", "0b6f2c4e1d3a4f5b8c7d9e0f1a2b3c4d", "{0b6f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4d}", "x"] {
            assert!(bad.parse::<TokenId>().is_err(), "{bad}");
        }
    }
}
