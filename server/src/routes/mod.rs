//! The HTTP surface: pages and server functions (Leptos), health checks, and the middleware around them.

mod health;

use crate::middleware;
use app::{App, platform::state::AppState, shell};
use axum::{Router, routing::get};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

pub fn router(state: AppState) -> Router {
    let page_routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes_with_context(&state, page_routes, context.clone(), render)
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(middleware::trace_layer())
        .with_state(state)
}
