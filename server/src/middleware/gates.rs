//! Where a browser may go: before first-run setup, every page leads to `/setup`; afterwards `/setup` is
//! gone; `/app/…` needs a session. These are real redirects, so they work without JavaScript too.

use app::{
    auth::{service::needs_setup, session},
    platform::state::AppState,
};
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use std::sync::atomic::Ordering;

/// Paths that are never pages: assets, health checks, APIs.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with("/rpc/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/favicon.ico"))
}

pub async fn page_gates(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !is_page(path) || !matches!(*request.method(), Method::GET | Method::HEAD | Method::POST) {
        return next.run(request).await;
    }
    match setup_complete(&state).await {
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Ok(false) if path != "/setup" => return Redirect::to("/setup").into_response(),
        Ok(false) => return next.run(request).await,
        Ok(true) if path == "/setup" => return Redirect::to("/login").into_response(),
        Ok(true) => {}
    }
    if path.starts_with("/app") || path == "/login" {
        let signed_in = match session::from_headers(&state, request.headers()).await {
            Ok(found) => found.is_some(),
            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        };
        if path == "/login" && signed_in {
            return Redirect::to("/app/settings/api").into_response();
        }
        if path.starts_with("/app") && !signed_in {
            let target = request.uri().path_and_query().map_or(path, |p| p.as_str());
            return Redirect::to(&format!("/login?next={}", urlencode(target))).into_response();
        }
    }
    next.run(request).await
}

async fn setup_complete(state: &AppState) -> Result<bool, app::error::AppError> {
    if state.setup_complete.load(Ordering::Relaxed) {
        return Ok(true);
    }
    let done = !needs_setup(state).await?;
    if done {
        state.setup_complete.store(true, Ordering::Relaxed);
    }
    Ok(done)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
