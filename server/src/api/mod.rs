//! The REST API under `/api/v1`, for programs: CI pipelines, CLIs, IDE extensions, MCP servers.
//!
//! Every endpoint is declared once, with `#[utoipa::path]`, and registered through `OpenApiRouter`, so the
//! router and the OpenAPI document at `/api/v1/openapi.json` can't disagree.

pub mod auth;
mod handlers;

use app::{error::AppError, platform::state::AppState};
use axum::{
    Json, Router,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The body of every error: a stable code and a sentence that says what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `unauthorized`, `forbidden`, `not_found`, `invalid`, `rate_limited`…
    pub error: String,
    pub message: String,
}

#[derive(Debug)]
pub enum ApiError {
    /// Every authentication failure: one status, one body.
    Unauthorized,
    RateLimited(u64),
    App(AppError),
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError::App(error)
    }
}

pub const UNAUTHORIZED_MESSAGE: &str = "A valid API token is required: send its Token ID and Token Secret in the \
     X-ZeroPath-API-Token-Id and X-ZeroPath-API-Token-Secret headers. Tokens are created in the dashboard \
     under Settings \u{2192} API Tokens.";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message, retry_after) = match self {
            ApiError::Unauthorized => {
                (StatusCode::UNAUTHORIZED, "unauthorized".to_owned(), UNAUTHORIZED_MESSAGE.to_owned(), None)
            }
            ApiError::RateLimited(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited".to_owned(),
                format!("Too many failed authentications from this address. Try again in {secs} seconds."),
                Some(secs),
            ),
            ApiError::App(error) => {
                let retry_after = match error {
                    AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
                    _ => None,
                };
                let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, error.code(), error.to_string(), retry_after)
            }
        };
        let mut response = (status, Json(ErrorBody { error, message })).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

struct TokenHeaders;

impl Modify for TokenHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let header = |name: &str, description: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(name, description)))
        };
        components.add_security_scheme(
            "token_id",
            header(
                "X-ZeroPath-API-Token-Id",
                "The Token ID (a UUID), shown when the token was created and in the token list.",
            ),
        );
        components.add_security_scheme(
            "token_secret",
            header("X-ZeroPath-API-Token-Secret", "The Token Secret (tsr_…), shown once when the token was created."),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera API",
        description = "Organization-scoped API tokens. Send both token headers with every request; a token acts \
                       with its creator's current role in the token's organization.",
    ),
    modifiers(&TokenHeaders),
    security(("token_id" = [], "token_secret" = [])),
    tags(
        (name = "identity", description = "Who is calling"),
        (name = "organizations", description = "The token's organization and its members"),
        (name = "tokens", description = "The organization's API tokens"),
        (name = "forward-auth", description = "For reverse proxies protecting other services"),
    ),
)]
struct ApiDoc;

/// The API's routes (authenticated) and its OpenAPI document, built together.
fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(handlers::whoami))
        .routes(routes!(handlers::organizations))
        .routes(routes!(handlers::orgs_list))
        .routes(routes!(handlers::members))
        .routes(routes!(handlers::list_tokens, handlers::create_token))
        .routes(routes!(handlers::revoke_current_token))
        .routes(routes!(handlers::get_token, handlers::delete_token))
        .routes(routes!(handlers::verify))
        .split_for_parts()
}

/// The OpenAPI document (3.1), as served at `/api/v1/openapi.json`.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| parts().1)
}

/// The API's routes. Authentication is the [`auth::ApiCaller`] extractor each endpoint takes.
pub fn router() -> Router<AppState> {
    let (authenticated, _) = parts();
    Router::new()
        .merge(authenticated)
        .route("/api/v1/openapi.json", axum::routing::get(|| async { Json(openapi().clone()) }))
        .route("/api/{*rest}", axum::routing::any(|| async { ApiError::App(AppError::not_found("That API endpoint")) }))
}
