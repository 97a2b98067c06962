//! The organization's API tokens: list, read, delete, rotate, and the incident-response revocations.

use super::{
    auth::ApiCaller,
    extract::{ApiJson, ApiPath, ApiQuery},
    json::{
        ErrorJson, PaginationQuery, RevokeAllRequest, RevokedJson, RotateRequest, RotatedTokenJson, Token, TokenPage,
    },
};
use crate::http::{Json, ServerState, errors::ApiResult};
use axum::{extract::State, http::StatusCode};
use tessera_core::{
    Error,
    domain::{
        paging::{Cursor, PageSize},
        token::{ExpiryDays, GracePeriod},
    },
    ids::TokenId,
    services::tokens,
    store::tokens::Listing,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_all_tokens))
        .routes(routes!(revoke_current_token))
        .routes(routes!(rotate_current_token))
        .routes(routes!(get_token, delete_token))
        .routes(routes!(rotate_token))
}

/// The organization's active tokens, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(PaginationQuery),
    responses((status = 200, body = TokenPage), (status = 401, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn list_tokens(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<PaginationQuery>,
) -> ApiResult<Json<TokenPage>> {
    let limit = PageSize::parse(query.limit.as_deref()).map_err(|m| Error::invalid("limit", m))?;
    let after = query
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(Cursor::parse)
        .transpose()
        .map_err(|m| Error::invalid("after", m))?;
    let page = tokens::list(&state.app.core, &caller.caller(), Listing::Active, after, limit).await?;
    Ok(Json(TokenPage { tokens: page.items.into_iter().map(Token::from).collect(), next: page.next }))
}

/// Refused: tokens are created in the dashboard only, so a leaked token can't mint successors.
/// (Rotation replaces a token; it never adds one.)
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 403, description = "Always", body = ErrorJson), (status = 401, body = ErrorJson)))]
pub async fn create_token(_caller: ApiCaller) -> ApiResult<StatusCode> {
    Err(Error::forbidden(
        "API tokens can't create API tokens, so that a leaked token can't create others. \
         Create tokens in the dashboard, under Settings \u{2192} API Tokens.",
    )
    .into())
}

/// One token of the organization (whatever its state). Another organization's token is 404.
#[utoipa::path(get, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    responses((status = 200, body = Token), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn get_token(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<TokenId>,
) -> ApiResult<Json<Token>> {
    Ok(Json(Token::from(tokens::get(&state.app.core, &caller.caller(), id).await?)))
}

/// Deletes a token: own tokens for members, any for admins and owners. It stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn delete_token(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<TokenId>,
) -> ApiResult<StatusCode> {
    tokens::delete(&state.app.core, &caller.caller(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling token deletes itself, for example when it has leaked.
#[utoipa::path(delete, path = "/api/v1/tokens/current", tag = "tokens",
    responses((status = 204, description = "Deleted; the token no longer works"), (status = 401, body = ErrorJson)))]
pub async fn revoke_current_token(State(state): State<ServerState>, caller: ApiCaller) -> ApiResult<StatusCode> {
    tokens::revoke_self(&state.app.core, &caller.caller()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A token rotates itself (if the organization allows API rotation): `{id}` must be the calling token's
/// own ID (another token, even the same creator's, is 403). The successor has a new ID and secret,
/// shown once, and expires no later than the rotated token; the old secret keeps working for the grace
/// period, for plain use only. A second rotation of the same token is refused (409) and changes nothing.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/rotate", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    request_body(content = RotateRequest, description = "Optional"),
    responses((status = 200, body = RotatedTokenJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson), (status = 409, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn rotate_token(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<TokenId>,
    ApiJson(request): ApiJson<RotateRequest>,
) -> ApiResult<Json<RotatedTokenJson>> {
    rotate(&state, &caller, id, request).await
}

/// The calling token rotates itself (if the organization allows API rotation): the same as
/// `/api/v1/tokens/{id}/rotate` with its own ID.
#[utoipa::path(post, path = "/api/v1/tokens/current/rotate", tag = "tokens",
    request_body(content = RotateRequest, description = "Optional"),
    responses((status = 200, body = RotatedTokenJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 409, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn rotate_current_token(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<RotateRequest>,
) -> ApiResult<Json<RotatedTokenJson>> {
    rotate(&state, &caller, caller.identity.token_id, request).await
}

async fn rotate(
    state: &ServerState,
    caller: &ApiCaller,
    id: TokenId,
    request: RotateRequest,
) -> ApiResult<Json<RotatedTokenJson>> {
    let grace = GracePeriod::parse(request.grace.as_deref()).map_err(|m| Error::invalid("grace", m))?;
    let days =
        request.expires_in_days.map(ExpiryDays::new).transpose().map_err(|m| Error::invalid("expires_in_days", m))?;
    let rotated = tokens::rotate(&state.app.core, &caller.caller(), id, grace, days).await?;
    Ok(Json(RotatedTokenJson::from(rotated)))
}

/// Incident response (owners): every token of the organization stops working, on every instance.
#[utoipa::path(post, path = "/api/v1/tokens/revoke-all", tag = "tokens", request_body = RevokeAllRequest,
    responses((status = 200, body = RevokedJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn revoke_all_tokens(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<RevokeAllRequest>,
) -> ApiResult<Json<RevokedJson>> {
    let confirmation = request.confirm.as_deref().unwrap_or("");
    let revoked = tokens::revoke_org_tokens(&state.app.core, &caller.caller(), confirmation).await?;
    Ok(Json(RevokedJson::from(revoked)))
}
