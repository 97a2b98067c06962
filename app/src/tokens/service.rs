//! Creating, listing and deleting API tokens. The dashboard's server functions and the REST API both
//! call these, so the role rules and the "other organization's token is not found" rule live here once.

use super::{
    TokenList, TokenView,
    domain::{ExpiryDays, TokenName},
    secret::TokenSecret,
};
use crate::{
    auth::session::parse_id,
    error::AppError,
    ids::TokenId,
    orgs::{
        domain::{Action, action_for_token_delete, allows},
        service::Member,
    },
    platform::{request::db_error, state::AppState},
    time::Timestamp,
};
use sqlx::Row;

/// Rows per page of the token list.
pub const PAGE_SIZE: usize = 25;

/// Which of an organization's (not deleted) tokens to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Active,
    Expired,
}

/// Where a page of the list starts: just after the token with this creation time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    created_at: i64,
    id: String,
}

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let invalid = || AppError::invalid("after", "That page link is not valid. Start from the first page.");
        let (created_at, id) = raw.split_once('_').ok_or_else(invalid)?;
        let id: TokenId = id.parse().map_err(|_| invalid())?;
        Ok(Self { created_at: created_at.parse().map_err(|_| invalid())?, id: id.to_string() })
    }

    fn encode(created_at: i64, id: &str) -> String {
        format!("{created_at}_{id}")
    }
}

/// A token just created: the only moment its secret exists in plain text.
#[derive(Debug)]
pub struct NewToken {
    pub id: TokenId,
    pub name: Option<TokenName>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub secret: TokenSecret,
}

pub async fn create(
    state: &AppState,
    actor: &Member,
    name: Option<TokenName>,
    days: ExpiryDays,
) -> Result<NewToken, AppError> {
    actor.require(Action::CreateToken)?;
    let id = TokenId::new_random();
    let secret = TokenSecret::generate(&state.settings.token_prefix);
    let now = state.clock.now();
    let expires_at = now.plus_days(days.days());
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, created_by, name, secret_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(actor.org_id.to_string())
    .bind(actor.user_id.to_string())
    .bind(name.as_ref().map(TokenName::as_str))
    .bind(secret.digest_hex(&state.key))
    .bind(now.millis())
    .bind(expires_at.millis())
    .execute(state.db.pool())
    .await
    .map_err(db_error)?;
    tracing::info!(token = %id, org = %actor.org_id, by = %actor.user_id, days = days.days(), "API token created");
    Ok(NewToken { id, name, created_at: now, expires_at, secret })
}

const COLUMNS: &str = "t.id, t.name, t.created_by, u.email AS creator, t.created_at, t.expires_at, \
                       t.last_used_at, t.last_used_ip, t.last_used_user_agent";

fn view_of(row: &sqlx::any::AnyRow, viewer: &Member) -> Result<TokenView, AppError> {
    let created_by: String = row.get("created_by");
    let yours = created_by == viewer.user_id.to_string();
    Ok(TokenView {
        id: parse_id(row.get("id"))?,
        name: row.get("name"),
        created_by: row.get("creator"),
        yours,
        can_delete: allows(viewer.role, action_for_token_delete(yours)),
        created_at: Timestamp(row.get("created_at")),
        expires_at: Timestamp(row.get("expires_at")),
        last_used_at: row.get::<Option<i64>, _>("last_used_at").map(Timestamp),
        last_used_ip: row.get("last_used_ip"),
        last_used_user_agent: row.get("last_used_user_agent"),
    })
}

/// A page of the organization's tokens, newest first.
pub async fn list(
    state: &AppState,
    viewer: &Member,
    listing: Listing,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<TokenList, AppError> {
    viewer.require(Action::ViewTokens)?;
    let now = state.clock.now();
    let expiry = match listing {
        Listing::Active => "t.expires_at > $2",
        Listing::Expired => "t.expires_at <= $2",
    };
    let page = match after {
        Some(_) => "AND (t.created_at < $3 OR (t.created_at = $3 AND t.id < $4))",
        None => "",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by \
         WHERE t.org_id = $1 AND t.deleted_at IS NULL AND {expiry} {page} \
         ORDER BY t.created_at DESC, t.id DESC LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query(&sql).bind(viewer.org_id.to_string()).bind(now.millis());
    if let Some(cursor) = after {
        query = query.bind(cursor.created_at).bind(cursor.id.clone());
    }
    let mut rows = query.fetch_all(state.db.pool()).await.map_err(db_error)?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let tokens = rows.iter().map(|r| view_of(r, viewer)).collect::<Result<Vec<_>, _>>()?;
    let next =
        if more { tokens.last().map(|t| Cursor::encode(t.created_at.millis(), &t.id.to_string())) } else { None };
    Ok(TokenList { tokens, next, now })
}

/// One token of the viewer's organization. Another organization's token is "not found", never
/// "forbidden": its existence is not revealed.
pub async fn get(state: &AppState, viewer: &Member, id: TokenId) -> Result<TokenView, AppError> {
    viewer.require(Action::ViewTokens)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by \
         WHERE t.id = $1 AND t.org_id = $2 AND t.deleted_at IS NULL"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(viewer.org_id.to_string())
        .fetch_optional(state.db.pool())
        .await
        .map_err(db_error)?
        .ok_or_else(token_not_found)?;
    view_of(&row, viewer)
}

pub fn token_not_found() -> AppError {
    AppError::not_found("That API token")
}

/// Deletes a token: own tokens for members, any for admins and owners. It stops working at once.
pub async fn delete(state: &AppState, actor: &Member, id: TokenId) -> Result<(), AppError> {
    let creator = creator_of(state, actor, id).await?;
    actor.require(action_for_token_delete(creator == actor.user_id.to_string()))?;
    mark_deleted(state, actor, id).await
}

/// A token deleting itself (leak response): allowed whatever the role, as it only takes access away.
pub async fn revoke_self(state: &AppState, actor: &Member, id: TokenId) -> Result<(), AppError> {
    creator_of(state, actor, id).await?;
    actor.require(Action::RevokeCurrentToken)?;
    mark_deleted(state, actor, id).await
}

async fn creator_of(state: &AppState, actor: &Member, id: TokenId) -> Result<String, AppError> {
    let creator: Option<String> =
        sqlx::query_scalar("SELECT created_by FROM api_tokens WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL")
            .bind(id.to_string())
            .bind(actor.org_id.to_string())
            .fetch_optional(state.db.pool())
            .await
            .map_err(db_error)?;
    creator.ok_or_else(token_not_found)
}

async fn mark_deleted(state: &AppState, actor: &Member, id: TokenId) -> Result<(), AppError> {
    let deleted = sqlx::query(
        "UPDATE api_tokens SET deleted_at = $1, deleted_by = $2 WHERE id = $3 AND org_id = $4 AND deleted_at IS NULL",
    )
    .bind(state.clock.now().millis())
    .bind(actor.user_id.to_string())
    .bind(id.to_string())
    .bind(actor.org_id.to_string())
    .execute(state.db.pool())
    .await
    .map_err(db_error)?;
    if deleted.rows_affected() == 0 {
        return Err(token_not_found());
    }
    // Before this is acknowledged, no cached copy may accept the token again.
    state.token_auth.invalidate(id);
    tracing::info!(token = %id, org = %actor.org_id, by = %actor.user_id, "API token deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip() {
        let id = uuid::Uuid::new_v4().to_string();
        let cursor = Cursor::parse(&Cursor::encode(1_700_000_000_000, &id)).unwrap();
        assert_eq!(cursor, Cursor { created_at: 1_700_000_000_000, id });
        for bad in ["", "_", "12_", "_abc", "x_00000000-0000-0000-0000-000000000000", "12_not-a-uuid"] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Page links come from the URL: anything at all is refused cleanly or parsed.
        #[test]
        fn cursor_parsing_never_panics(raw in "\\PC{0,120}") {
            let _ = Cursor::parse(&raw);
        }
    }
}
