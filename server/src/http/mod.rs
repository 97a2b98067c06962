//! The HTTP surface, assembled once: pages and server functions (Leptos), forms posted without
//! JavaScript (Post/Redirect/Get, see [`forms`]), the REST API, health checks and metrics, all behind one
//! gate (see [`gate`]).

pub mod api;
pub mod client;
pub mod errors;
pub mod forms;
pub mod gate;
mod health;
mod layers;
pub mod limiter;
pub mod metrics;
mod pages;
pub mod reqlog;
pub mod site;

use app::state::AppState;
use axum::{
    Router,
    body::Body,
    extract::FromRef,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use client::Proxies;
use leptos::prelude::LeptosOptions;
use limiter::FailureLimiter;
use serde::Serialize;
use std::sync::Arc;

/// Nothing Tessera accepts is larger: forms and JSON bodies are a few kilobytes at most.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the HTTP layer adds to the application's state.
pub struct HttpParts {
    pub app: AppState,
    pub proxies: Proxies,
    /// Failed API authentications per client address (IPv6 /64) and per Token ID.
    pub failures_by_client: FailureLimiter,
    pub failures_by_token: FailureLimiter,
    pub metrics: metrics::Metrics,
    pub log: reqlog::RequestLog,
    /// The uniform 401 body, and the OpenAPI document, built once with the configured header names.
    pub unauthorized: api::auth::Unauthorized,
    pub openapi: Arc<str>,
    /// The leak intakes: GitHub's keys, the GitLab token, the per-address limits.
    pub leaks: api::leaks::Intakes,
    /// The site's files come from the binary (no `--site-root`).
    pub embedded_site: bool,
}

/// One `Arc`, cloned by the router for every request.
#[derive(Clone)]
pub struct ServerState(pub Arc<HttpParts>);

impl std::ops::Deref for ServerState {
    type Target = HttpParts;
    fn deref(&self) -> &HttpParts {
        &self.0
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.app.leptos.clone()
    }
}

/// A JSON answer whose header map already has room for what the gate adds on the way out (security
/// headers, caching, the token's expiry), so it is allocated once instead of grown and rehashed.
pub fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let mut headers = HeaderMap::with_capacity(gate::RESPONSE_HEADERS);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    *response.headers_mut() = headers;
    response
}

/// A JSON answer with status 200: what axum's `Json` does, built by [`json_response`] and serialised
/// into a buffer sized for a typical answer. A value that cannot be serialised is the internal error.
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(512);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => json_response(StatusCode::OK, body),
            Err(e) => errors::ApiError(tessera_core::Error::internal(e)).into_response(),
        }
    }
}

/// The whole HTTP surface: the router, inside the gate.
pub type Service = layers::GateService<Router>;

/// The gate wraps the finished router once, rather than through `Router::layer`, which would wrap every
/// route (and the fallback) in it separately, each behind one more boxed service per request.
pub fn router(state: ServerState) -> Service {
    let gate = layers::GateLayer::new(&state);
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::serve))
        .merge(api::router())
        .merge(pages::router(&state))
        .route_layer(layers::MetricsLayer::new(&state));
    let routes = if state.embedded_site {
        routes.fallback(pages::embedded_files)
    } else {
        routes.fallback_service(pages::static_files(&state))
    }
    .with_state(state);
    tower::Layer::layer(&gate, routes)
}
