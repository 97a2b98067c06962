//! Liveness and readiness for load balancers and orchestrators.

use super::ServerState;
use axum::{extract::State, http::StatusCode, response::Response};

/// The process is up and answering (a fixed body: nothing to compute).
pub async fn healthz() -> Response {
    super::json_response(StatusCode::OK, r#"{"status":"ok"}"#)
}

/// The process can do its work: the database answers. 503 otherwise, so a load balancer routes around it.
pub async fn readyz(State(state): State<ServerState>) -> Response {
    if state.app.core.db.is_ready().await {
        super::json_response(StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        tracing::warn!("readiness check failed: the database is not reachable");
        let body = tessera_core::Error::unavailable("database unreachable").body();
        super::errors::error_response(&body)
    }
}
