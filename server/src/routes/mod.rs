//! The HTTP surface: pages and server functions (Leptos), plain-form posts, health checks, and the
//! middleware around them.

mod forms;
mod health;

use crate::{api, metrics, middleware};
use app::{App, orgs::AddMember, platform::state::AppState, shell, tokens::CreateToken};
use axum::{
    Router,
    routing::{get, post},
};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::{Arc, OnceLock};
use tower_http::limit::RequestBodyLimitLayer;

/// Nothing Tessera accepts is larger: forms and JSON bodies are a few kilobytes at most.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The page routes. Generating them renders the app once with resource loading suppressed through a
/// process-wide flag in leptos_server; a page render whose resource starts meanwhile (in another server
/// of the same process) would wait forever (leptos issue #4773). Generating them once per process means
/// no render can ever overlap it.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let page_routes = page_routes();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };

    let metrics = Arc::new(metrics::Metrics::default());

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::serve))
        .merge(api::router())
        .route("/app/settings/members", post(forms::post::<AddMember>))
        .route("/app/settings/api", post(forms::post::<CreateToken>))
        .leptos_routes_with_context(&state, page_routes, context.clone(), render)
        .route_layer(axum::middleware::from_fn_with_state(metrics.clone(), metrics::track))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::Extension(metrics))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::page_gates))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::csrf))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(middleware::trace_layer())
        .with_state(state)
}
