//! The REST API under `/api/v1`, for programs: CI pipelines, CLIs, IDE extensions, MCP servers.
//!
//! Every endpoint is declared once, with `#[utoipa::path]`, and registered through `OpenApiRouter`, so
//! the router and the OpenAPI document at `/api/v1/openapi.json` can't disagree. One module per
//! resource, each with its `router()`, merged here; the wire types are in [`json`].
//!
//! Handlers are thin: the identity comes from the [`auth::ApiCaller`] extractor, ids and bodies from
//! [`extract`], the rules from the same services the dashboard uses; they return
//! `ApiResult<Json<T>>`, and every error is the one JSON body. The token's expiry header and the log
//! line's note are added by the gate from what `ApiCaller` found, so a handler never adds them.

pub mod audit;
pub mod auth;
pub mod extract;
pub mod identity;
pub mod json;
pub mod leaks;
pub mod orgs;
pub mod tokens;

use super::{ServerState, errors::fallback_status};
use axum::{
    Router,
    http::{StatusCode, header},
    response::IntoResponse,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

struct TokenHeaders {
    id: String,
    secret: String,
}

impl Modify for TokenHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = |name: &str, description: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(name, description)))
        };
        components.add_security_scheme(
            "token_id",
            scheme(&self.id, "The Token ID (a UUID), shown when the token was created and in the token list."),
        );
        components.add_security_scheme(
            "token_secret",
            scheme(&self.secret, "The Token Secret (tsr_…), shown once when the token was created."),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera API",
        description = "Organization-scoped API tokens. Send both token headers with every request; a token acts \
                       with its creator's current role in the token's organization. Every error is \
                       `{\"error\": code, \"message\": sentence, \"field\"?: name}`.",
    ),
    security(("token_id" = [], "token_secret" = [])),
    tags(
        (name = "identity", description = "Who is calling"),
        (name = "organizations", description = "The token's organization and its members"),
        (name = "tokens", description = "The organization's API tokens"),
        (name = "audit", description = "The organization's audit trail"),
        (name = "forward-auth", description = "For reverse proxies protecting other services"),
        (name = "leaks", description = "Leak response: secret scanners and anyone holding a secret report leaked secrets, which are revoked at once"),
    ),
)]
struct ApiDoc;

fn parts() -> (Router<ServerState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(identity::router())
        .merge(orgs::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(leaks::router())
        .split_for_parts()
}

/// The OpenAPI document (3.1) with the configured header names, as served at `/api/v1/openapi.json`.
pub fn openapi(id_header: &str, secret_header: &str) -> utoipa::openapi::OpenApi {
    let mut doc = parts().1;
    TokenHeaders { id: id_header.to_owned(), secret: secret_header.to_owned() }.modify(&mut doc);
    doc
}

/// The API's routes. Authentication is the [`auth::ApiCaller`] extractor each endpoint takes; anything
/// else under `/api/` is a JSON 404 (or 405 for a known path with another method).
pub fn router() -> Router<ServerState> {
    let (authenticated, _) = parts();
    Router::new()
        .merge(authenticated)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(|axum::extract::State(state): axum::extract::State<ServerState>| async move {
                ([(header::CONTENT_TYPE, "application/json")], state.openapi.to_string()).into_response()
            }),
        )
        .route("/api/{*rest}", axum::routing::any(|| fallback_status(StatusCode::NOT_FOUND)))
        .method_not_allowed_fallback(|| fallback_status(StatusCode::METHOD_NOT_ALLOWED))
}

#[cfg(test)]
mod tests {
    use tessera_core::domain::{paging::PageSize, token::ExpiryDays};

    /// utoipa takes bounds only as literals: the document's must be the constants' that the API enforces.
    #[test]
    fn the_documented_bounds_are_the_enforced_ones() {
        let doc = serde_json::to_value(super::openapi("id", "secret")).unwrap();
        let days = &doc["components"]["schemas"]["RotateRequest"]["properties"]["expires_in_days"];
        assert_eq!(
            (days["minimum"].as_i64(), days["maximum"].as_i64()),
            (Some(ExpiryDays::MIN), Some(ExpiryDays::MAX))
        );
        let mut limits = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for operation in item.as_object().unwrap().values() {
                for limit in operation["parameters"].as_array().into_iter().flatten().filter(|p| p["name"] == "limit") {
                    let schema = &limit["schema"];
                    assert_eq!(
                        (schema["minimum"].as_u64(), schema["maximum"].as_u64()),
                        (Some(1), Some(u64::from(PageSize::MAX))),
                        "{path}"
                    );
                    let said = format!("1 to {} (default {})", PageSize::MAX, PageSize::DEFAULT.get());
                    assert!(limit["description"].as_str().unwrap().contains(&said), "{path}: {limit}");
                    limits += 1;
                }
            }
        }
        assert!(limits >= 2, "the paged endpoints document their limit");
    }
}
