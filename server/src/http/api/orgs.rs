//! The token's organization: itself, its members and its token policy.

use super::{
    auth::ApiCaller,
    extract::ApiPath,
    json::{ErrorJson, MemberJson, Organization, Policy, RevokedJson},
};
use crate::http::{Json, ServerState, errors::ApiResult};
use axum::extract::State;
use tessera_core::{
    ids::UserId,
    services::{members as members_service, policy as policy_service, tokens},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(organizations))
        .routes(routes!(orgs_list))
        .routes(routes!(members))
        .routes(routes!(revoke_member_tokens))
        .routes(routes!(policy))
}

/// The organizations the token can reach: exactly its own.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = ErrorJson)))]
pub async fn organizations(caller: ApiCaller) -> Json<[Organization; 1]> {
    Json([Organization::of(&caller.identity.member)])
}

/// The same as `GET /api/v1/organizations`, for ZeroPath clients.
#[utoipa::path(post, path = "/api/v1/orgs/list", tag = "organizations",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = ErrorJson)))]
pub async fn orgs_list(caller: ApiCaller) -> Json<[Organization; 1]> {
    Json([Organization::of(&caller.identity.member)])
}

/// The organization's members and their roles.
#[utoipa::path(get, path = "/api/v1/members", tag = "organizations",
    responses((status = 200, body = Vec<MemberJson>), (status = 401, body = ErrorJson)))]
pub async fn members(State(state): State<ServerState>, caller: ApiCaller) -> ApiResult<Json<Vec<MemberJson>>> {
    let roster = members_service::list(&state.app.core, &caller.identity.member).await?;
    Ok(Json(roster.members.into_iter().map(MemberJson::from).collect()))
}

/// Incident response: every token the member created in the organization stops working, on every
/// instance, before this answers. Admins and owners.
#[utoipa::path(post, path = "/api/v1/members/{id}/revoke-tokens", tag = "organizations",
    params(("id" = String, Path, description = "The member's user id")),
    responses((status = 200, body = RevokedJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn revoke_member_tokens(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiPath(member): ApiPath<UserId>,
) -> ApiResult<Json<RevokedJson>> {
    let revoked = tokens::revoke_member_tokens(&state.app.core, &caller.caller(), member).await?;
    Ok(Json(RevokedJson::from(revoked)))
}

/// The organization's token policy.
#[utoipa::path(get, path = "/api/v1/policy", tag = "organizations",
    responses((status = 200, body = Policy), (status = 401, body = ErrorJson)))]
pub async fn policy(State(state): State<ServerState>, caller: ApiCaller) -> ApiResult<Json<Policy>> {
    Ok(Json(Policy::from(policy_service::get(&state.app.core, &caller.identity.member).await?)))
}
