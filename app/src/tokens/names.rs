//! What the page calls things: a token in text and in its actions' accessible names, and its three lists.

use tessera_core::{ids::TokenId, views::TokenEntry};

/// The first 8 characters of a token's id: enough to tell tokens apart on a page.
pub fn short_id(id: &TokenId) -> String {
    id.to_string().chars().take(8).collect()
}

/// How a token is called in text: its name, or without one its short id (not a word like "Unnamed",
/// which would also match a search for a token called that).
pub fn display_name(token: &TokenEntry) -> String {
    token.name.clone().unwrap_or_else(|| format!("token {}", short_id(&token.id)))
}

/// How a token is called in its actions' accessible names: unique on the page ("CI (1a2b3c4d)").
pub fn action_name(token: &TokenEntry) -> String {
    match &token.name {
        Some(name) => format!("{name} ({})", short_id(&token.id)),
        None => format!("token {}", short_id(&token.id)),
    }
}

/// The three lists of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Active,
    Expired,
    Revoked,
}

impl ListKind {
    pub fn paging(self) -> &'static str {
        match self {
            ListKind::Active => "after",
            ListKind::Expired => "expired_after",
            ListKind::Revoked => "revoked_after",
        }
    }

    pub fn test_id(self) -> &'static str {
        match self {
            ListKind::Active => "tokens-list",
            ListKind::Expired => "expired-list",
            ListKind::Revoked => "revoked-list",
        }
    }
}
