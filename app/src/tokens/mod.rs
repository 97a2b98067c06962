//! API tokens: what they look like on the wire, the dashboard's server functions, and the page.

#[cfg(feature = "ssr")]
pub mod auth;
mod copy;
pub mod domain;
mod page;
#[cfg(feature = "ssr")]
pub mod secret;
#[cfg(feature = "ssr")]
pub mod service;

pub use copy::CopyButton;
pub use page::TokensPage;

use crate::{error::AppError, ids::TokenId, time::Timestamp};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A token as listed: never its secret, never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: TokenId,
    pub name: Option<String>,
    /// The creator's email.
    pub created_by: String,
    /// Created by the person looking.
    pub yours: bool,
    /// The person looking may delete it (own tokens for members; any for admins and owners).
    pub can_delete: bool,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
}

/// A page of tokens, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
    /// Where the next (older) page starts, if there is one.
    pub next: Option<String>,
    /// The server's clock when the page was read: "expires in N days" is computed from it.
    pub now: Timestamp,
}

/// The answer to creating a token: the only time the secret is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: TokenId,
    pub name: Option<String>,
    pub secret: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Where this Tessera answers, for the ready-to-paste example.
    pub base_url: String,
}

#[cfg(feature = "ssr")]
fn cursor(after: &Option<String>) -> Result<Option<service::Cursor>, AppError> {
    after.as_deref().filter(|a| !a.is_empty()).map(service::Cursor::parse).transpose()
}

#[server(prefix = "/rpc", endpoint = "tokens/list")]
pub async fn list_tokens(#[server(default)] after: Option<String>) -> Result<TokenList, AppError> {
    use crate::{auth::session::require_member, platform::request::respond};
    respond(
        async {
            let (state, _, member) = require_member().await?;
            service::list(&state, &member, service::Listing::Active, cursor(&after)?.as_ref(), service::PAGE_SIZE).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "tokens/expired")]
pub async fn list_expired_tokens(#[server(default)] after: Option<String>) -> Result<TokenList, AppError> {
    use crate::{auth::session::require_member, platform::request::respond};
    respond(
        async {
            let (state, _, member) = require_member().await?;
            service::list(&state, &member, service::Listing::Expired, cursor(&after)?.as_ref(), service::PAGE_SIZE)
                .await
        }
        .await,
    )
}

/// Creates a token. `expires_in_days` is a number of days (1 to 365, default 30), or `custom` to take
/// the number from `custom_days`.
#[server(prefix = "/rpc", endpoint = "tokens/create")]
pub async fn create_token(
    #[server(default)] name: String,
    #[server(default)] expires_in_days: String,
    #[server(default)] custom_days: String,
) -> Result<CreatedToken, AppError> {
    use crate::{
        auth::session::require_member,
        platform::request::{self, respond},
    };
    use domain::{ExpiryDays, TokenName};
    respond(
        async {
            let (state, _, member) = require_member().await?;
            let name = TokenName::parse(&name).map_err(|m| AppError::invalid("name", m))?;
            let days = if expires_in_days.trim() == "custom" { &custom_days } else { &expires_in_days };
            let days = ExpiryDays::parse(Some(days)).map_err(|m| AppError::invalid("expires_in_days", m))?;
            let created = service::create(&state, &member, name, days).await?;
            let parts = request::parts()?;
            request::no_store();
            Ok(CreatedToken {
                id: created.id,
                name: created.name.map(|n| n.to_string()),
                secret: created.secret.expose().to_owned(),
                created_at: created.created_at,
                expires_at: created.expires_at,
                base_url: request::public_base_url(&parts, &state.settings),
            })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "tokens/delete")]
pub async fn delete_token(#[server(default)] id: String) -> Result<(), AppError> {
    use crate::{
        auth::session::require_member,
        platform::request::{self, respond},
    };
    respond(
        async {
            let (state, _, member) = require_member().await?;
            let id: TokenId = id.parse().map_err(|_| service::token_not_found())?;
            service::delete(&state, &member, id).await?;
            // A plain form post returns to the list, not to the confirmation it came from.
            if request::is_plain_form(&request::parts()?) {
                leptos_axum::redirect(page::TOKENS_URL);
            }
            Ok(())
        }
        .await,
    )
}
