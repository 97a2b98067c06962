//! The endpoints. Each is thin: the identity comes from the [`ApiCaller`] extractor, the rules from the
//! same services the dashboard uses, and every answer carries the token's expiry.

use super::{ApiError, ErrorBody, auth::ApiCaller};
use app::{
    error::AppError,
    ids::{OrgId, TokenId, UserId},
    orgs::domain::Role,
    orgs::service as orgs,
    platform::state::AppState,
    time::Timestamp,
    tokens::{TokenView, service as tokens},
};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn rfc3339(t: Timestamp) -> String {
    t.rfc3339()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo<'a> {
    /// The Token ID.
    #[schema(value_type = String, format = Uuid)]
    pub id: TokenId,
    pub name: Option<&'a str>,
    /// RFC 3339; the token is refused from this instant on.
    pub expires_at: &'a str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// The token creator's role there, which is what the token may do.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRef<'a> {
    #[schema(value_type = String, format = Uuid)]
    pub id: OrgId,
    pub name: &'a str,
    /// The token creator's role there, which is what the token may do.
    #[schema(value_type = String)]
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User<'a> {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub email: &'a str,
}

/// Borrowed from the verified identity: answering allocates little.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI<'a> {
    pub token: TokenInfo<'a>,
    pub organization: OrganizationRef<'a>,
    /// The token's creator, on whose behalf it acts.
    pub user: User<'a>,
    /// The creator's current role in the organization: owner, admin, member or viewer.
    #[schema(value_type = String)]
    pub role: Role,
}

/// Who is calling: the token, its organization, its creator and their role right now.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "identity",
    responses(
        (status = 200, description = "The caller", body = WhoAmI),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 429, description = "Too many failed authentications from this address", body = ErrorBody),
    )
)]
pub async fn whoami(caller: ApiCaller) -> Response {
    let m = &caller.member;
    caller.respond(Json(WhoAmI {
        token: TokenInfo {
            id: caller.token_id,
            name: caller.token_name.as_deref(),
            expires_at: caller.expires_header.to_str().unwrap_or_default(),
        },
        organization: OrganizationRef { id: m.org_id, name: &m.org_name, role: m.role },
        user: User { id: m.user_id, email: &m.email },
        role: m.role,
    }))
}

fn organization_of(caller: &ApiCaller) -> Vec<Organization> {
    let m = &caller.member;
    vec![Organization { id: m.org_id.to_string(), name: m.org_name.clone(), role: m.role.to_string() }]
}

/// The organizations the token can reach: exactly its own.
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    tag = "organizations",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = ErrorBody))
)]
pub async fn organizations(caller: ApiCaller) -> Response {
    caller.respond(Json(organization_of(&caller)))
}

/// The same as `GET /api/v1/organizations`, for ZeroPath clients.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/list",
    tag = "organizations",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = ErrorBody))
)]
pub async fn orgs_list(caller: ApiCaller) -> Response {
    caller.respond(Json(organization_of(&caller)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub joined_at: String,
}

/// The organization's members and their roles.
#[utoipa::path(
    get,
    path = "/api/v1/members",
    tag = "organizations",
    responses((status = 200, body = Vec<Member>), (status = 401, body = ErrorBody))
)]
pub async fn members(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let members = orgs::list_members(&state, &caller.member).await.map(|members| {
        Json(
            members
                .into_iter()
                .map(|m| Member {
                    user_id: m.user_id.to_string(),
                    email: m.email,
                    role: m.role.to_string(),
                    joined_at: rfc3339(m.joined_at),
                })
                .collect::<Vec<_>>(),
        )
    });
    caller.respond(members.map_err(ApiError::from))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub name: Option<String>,
    /// Email of the creator.
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    /// Whether the calling token may delete this one.
    pub can_delete: bool,
}

impl From<TokenView> for Token {
    fn from(t: TokenView) -> Self {
        Token {
            id: t.id.to_string(),
            name: t.name,
            created_by: t.created_by,
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            last_used_at: t.last_used_at.map(rfc3339),
            last_used_ip: t.last_used_ip,
            can_delete: t.can_delete,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPage {
    /// Active tokens, newest first. Never a secret.
    pub tokens: Vec<Token>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// The `next` value of the previous page.
    pub after: Option<String>,
    /// Tokens per page, 1 to 100 (default 25).
    pub limit: Option<usize>,
}

/// The organization's active tokens, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    params(PageQuery),
    responses((status = 200, body = TokenPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list_tokens(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<PageQuery>) -> Response {
    let page = async {
        let limit = query.limit.unwrap_or(tokens::PAGE_SIZE);
        if !(1..=100).contains(&limit) {
            return Err(AppError::invalid("limit", format!("limit must be between 1 and 100, not {limit}.")));
        }
        let after = query.after.as_deref().filter(|a| !a.is_empty()).map(tokens::Cursor::parse).transpose()?;
        let page = tokens::list(&state, &caller.member, tokens::Listing::Active, after.as_ref(), limit).await?;
        Ok(Json(TokenPage { tokens: page.tokens.into_iter().map(Token::from).collect(), next: page.next }))
    };
    caller.respond(page.await.map_err(ApiError::from))
}

/// Refused: tokens are created in the dashboard only, so a leaked token can't mint successors.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    responses((status = 403, description = "Always", body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub async fn create_token(caller: ApiCaller) -> Response {
    caller.respond(ApiError::App(AppError::forbidden(
        "API tokens can't create API tokens, so that a leaked token can't create others. \
         Create tokens in the dashboard, under Settings \u{2192} API Tokens.",
    )))
}

fn token_id(raw: &str) -> Result<TokenId, ApiError> {
    raw.parse().map_err(|_| ApiError::App(tokens::token_not_found()))
}

/// One token of the organization. Another organization's token is 404.
#[utoipa::path(
    get,
    path = "/api/v1/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, description = "Token ID")),
    responses((status = 200, body = Token), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get_token(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<String>) -> Response {
    let token =
        async { Ok::<_, ApiError>(Json(Token::from(tokens::get(&state, &caller.member, token_id(&id)?).await?))) };
    caller.respond(token.await)
}

/// Deletes a token: own tokens for members, any for admins and owners. It stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, description = "Token ID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn delete_token(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<String>) -> Response {
    let deleted = async {
        tokens::delete(&state, &caller.member, token_id(&id)?).await?;
        Ok::<_, ApiError>(StatusCode::NO_CONTENT)
    };
    caller.respond(deleted.await)
}

/// The calling token deletes itself, for example when it has leaked.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/current",
    tag = "tokens",
    responses((status = 204, description = "Deleted; the token no longer works"), (status = 401, body = ErrorBody))
)]
pub async fn revoke_current_token(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let revoked = tokens::revoke_self(&state, &caller.member, caller.token_id).await.map(|()| StatusCode::NO_CONTENT);
    caller.respond(revoked.map_err(ApiError::from))
}

pub const ORG_HEADER: HeaderName = HeaderName::from_static("x-tessera-org-id");
pub const USER_HEADER: HeaderName = HeaderName::from_static("x-tessera-user-id");
pub const ROLE_HEADER: HeaderName = HeaderName::from_static("x-tessera-role");
pub const TOKEN_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-id");

/// Forward authentication for reverse proxies (nginx `auth_request`, Traefik ForwardAuth): 200 with
/// the caller in `X-Tessera-Org-Id`, `X-Tessera-User-Id`, `X-Tessera-Role` and `X-Tessera-Token-Id`, or 401.
#[utoipa::path(
    get,
    path = "/api/v1/auth/verify",
    tag = "forward-auth",
    responses((status = 200, description = "Authenticated; see the headers"), (status = 401, body = ErrorBody))
)]
pub async fn verify(caller: ApiCaller) -> Response {
    let m = &caller.member;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (ORG_HEADER, m.org_id.to_string()),
        (USER_HEADER, m.user_id.to_string()),
        (ROLE_HEADER, m.role.to_string()),
        (TOKEN_HEADER, caller.token_id.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    caller.respond((StatusCode::OK, headers))
}
