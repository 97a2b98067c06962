//! Settings → API Tokens: the server functions (thin adapters over the core's token service) and the page,
//! one component per file: the page ([`page`]) renders one island ([`island`]) whose state is in
//! [`state`]; its parts are the create form, the reveal panel, the banners, the lists and their rows, the
//! row's dialogs and the danger zone.

mod banners;
mod create_form;
mod danger_zone;
mod dialogs;
mod expiry;
mod island;
mod list;
mod names;
mod page;
mod reveal;
mod row;
mod state;

pub use expiry::ExpiryField;
pub use island::TokensArea;
pub use page::TokensPage;
pub use state::{Cursors, Initial, PageQuery, Posted};

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use tessera_core::{
    domain::policy::TokenPolicy,
    ids::TokenId,
    time::Timestamp,
    views::{Page, TokenEntry, TokenListing},
};

/// Everything the tokens page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensPageData {
    pub active: Page<TokenListing>,
    pub expired: Page<TokenListing>,
    pub revoked: Page<TokenListing>,
    pub policy: TokenPolicy,
    pub expiring_soon: Vec<TokenEntry>,
    pub over_policy: i64,
    pub now: Timestamp,
}

/// The answer to creating (or rotating to) a token: the only time its secret is ever shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: TokenId,
    pub name: Option<String>,
    pub secret: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Where this Tessera answers, and the header names it reads, for the ready-to-paste example.
    pub base_url: String,
    pub id_header: String,
    pub secret_header: String,
}

impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken").field("id", &self.id).field("secret", &"[redacted]").finish_non_exhaustive()
    }
}

/// A rotation: the successor (shown once) and until when the old secret still works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedToken {
    pub old_id: TokenId,
    pub old_valid_until: Timestamp,
    pub successor: CreatedToken,
}

#[cfg(feature = "ssr")]
mod adapt {
    use super::CreatedToken;
    use crate::request::{Cx, public_base_url};
    use tessera_core::{
        domain::{paging::Cursor, paging::PageSize},
        error::Error,
        ids::TokenId,
        services::tokens::IssuedToken,
    };

    pub fn created(cx: &Cx, token: IssuedToken) -> CreatedToken {
        let (id_header, secret_header) = cx.state.web.header_labels();
        CreatedToken {
            id: token.id,
            name: token.name,
            secret: token.secret.expose().to_owned(),
            created_at: token.created_at,
            expires_at: token.expires_at,
            base_url: public_base_url(&cx.state, &cx.parts),
            id_header,
            secret_header,
        }
    }

    pub fn cursor(field: &'static str, raw: &Option<String>) -> Result<Option<Cursor<TokenId>>, Error> {
        raw.as_deref().filter(|a| !a.is_empty()).map(Cursor::parse).transpose().map_err(|m| Error::invalid(field, m))
    }

    pub fn token_id(raw: &str) -> Result<TokenId, Error> {
        raw.parse().map_err(|_| tessera_core::services::tokens::token_not_found())
    }

    pub const PAGE: PageSize = PageSize::DEFAULT;
}

/// The page's data: the three lists (each a page at a time), the policy, and what needs attention.
#[server(prefix = "/rpc", endpoint = "tokens/overview")]
pub async fn tokens_overview(
    #[server(default)] after: Option<String>,
    #[server(default)] expired_after: Option<String>,
    #[server(default)] revoked_after: Option<String>,
) -> Result<TokensPageData, AppError> {
    use tessera_core::{services::tokens, store::tokens::Listing};
    crate::request::serve_member(|cx, caller| async move {
        let core = cx.core();
        let active = tokens::list(core, &caller, Listing::Active, adapt::cursor("after", &after)?, adapt::PAGE).await?;
        let expired =
            tokens::list(core, &caller, Listing::Expired, adapt::cursor("expired_after", &expired_after)?, adapt::PAGE)
                .await?;
        let revoked =
            tokens::list(core, &caller, Listing::Revoked, adapt::cursor("revoked_after", &revoked_after)?, adapt::PAGE)
                .await?;
        let overview = tokens::overview(core, &caller.member).await?;
        Ok(TokensPageData {
            now: active.now,
            active,
            expired,
            revoked,
            policy: overview.policy,
            expiring_soon: overview.expiring_soon,
            over_policy: overview.over_policy,
        })
    })
    .await
}

/// Creates a token. `expires_in_days` is a number of days (1 to the policy's maximum; blank for the
/// organization's default), or `custom` to take the number from `custom_days`.
#[server(prefix = "/rpc", endpoint = "tokens/create")]
pub async fn create_token(
    #[server(default)] name: String,
    #[server(default)] expires_in_days: String,
    #[server(default)] custom_days: String,
) -> Result<CreatedToken, AppError> {
    use tessera_core::services::tokens;
    crate::request::serve_member(|cx, caller| async move {
        cx.sudo()?;
        let input = tokens::CreateInput::parse(&name, &expires_in_days, &custom_days)?;
        let created = tokens::create(cx.core(), &caller, input).await?;
        Ok(adapt::created(&cx, created))
    })
    .await
}

/// Rotates a token: a successor with a new secret; the old secret works for the grace period
/// (`none`, `1h`, `24h`, `7d`; default 24 hours).
#[server(prefix = "/rpc", endpoint = "tokens/rotate")]
pub async fn rotate_token(
    #[server(default)] id: String,
    #[server(default)] grace: String,
    #[server(default)] expires_in_days: String,
) -> Result<RotatedToken, AppError> {
    use tessera_core::{
        domain::token::{ExpiryDays, GracePeriod},
        error::Error,
        services::tokens,
    };
    crate::request::serve_member(|cx, caller| async move {
        cx.sudo()?;
        let id = adapt::token_id(&id)?;
        let grace = GracePeriod::parse(Some(&grace)).map_err(|m| Error::invalid("grace", m))?;
        let days = match expires_in_days.trim() {
            "" => None,
            raw => Some(ExpiryDays::parse(Some(raw)).map_err(|m| Error::invalid("expires_in_days", m))?),
        };
        let rotated = tokens::rotate(cx.core(), &caller, id, grace, days).await?;
        Ok(RotatedToken {
            old_id: rotated.old_id,
            old_valid_until: rotated.old_valid_until,
            successor: adapt::created(&cx, rotated.successor),
        })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "tokens/delete")]
pub async fn delete_token(#[server(default)] id: String) -> Result<(), AppError> {
    use tessera_core::services::tokens;
    crate::request::serve_member(
        |cx, caller| async move { tokens::delete(cx.core(), &caller, adapt::token_id(&id)?).await },
    )
    .await
}

/// "Report as leaked": revokes the token with its rotation family and marks it exposed, with where it
/// was found (both optional); its creator and the admins are told. Who may delete it may report it.
/// True when this report revoked it (false: it no longer worked, the report is recorded).
#[server(prefix = "/rpc", endpoint = "tokens/leaked")]
pub async fn report_leaked(
    #[server(default)] id: String,
    #[server(default)] url: String,
    #[server(default)] source: String,
) -> Result<bool, AppError> {
    use tessera_core::{
        domain::token::{LeakIntake, LeakLocation},
        services::leaks,
    };
    crate::request::serve_member(|cx, caller| async move {
        let location = LeakLocation::new(Some(&url), Some(&source));
        leaks::report_token(cx.core(), &caller, LeakIntake::Dashboard, adapt::token_id(&id)?, &location).await
    })
    .await
}

/// Owners: revokes every token of the organization; `confirm` must be the organization's name.
#[server(prefix = "/rpc", endpoint = "tokens/revoke-all")]
pub async fn revoke_all_tokens(#[server(default)] confirm: String) -> Result<usize, AppError> {
    use tessera_core::services::tokens;
    crate::request::serve_member(|cx, caller| async move {
        Ok(tokens::revoke_org_tokens(cx.core(), &caller, &confirm).await?.len())
    })
    .await
}
