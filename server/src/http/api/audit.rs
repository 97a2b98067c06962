//! The organization's audit trail.

use super::{
    auth::ApiCaller,
    extract::ApiQuery,
    json::{AuditEvent, AuditPage, AuditQuery, ErrorJson},
};
use crate::http::{Json, ServerState, errors::ApiResult};
use axum::extract::State;
use tessera_core::services::audit as audit_service;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new().routes(routes!(audit))
}

/// The organization's audit trail, newest first (admins and owners).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn audit(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let query = audit_service::Query::parse(
        q.r#type.as_deref(),
        q.token_id.as_deref(),
        q.member_id.as_deref(),
        q.after.as_deref(),
        q.limit.as_deref(),
    )?;
    let page = audit_service::list(&state.app.core, &caller.identity.member, query).await?;
    Ok(Json(AuditPage { events: page.items.into_iter().map(AuditEvent::from).collect(), next: page.next }))
}
