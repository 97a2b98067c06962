//! Pages (rendered by Leptos on the server), the server functions, and the built site's files.
//!
//! Forms post to their server functions; a browser's form post is answered Post/Redirect/Get, its
//! outcome shown once by the page it returns to ([`super::forms`]).

use super::{ServerState, forms::FormsLayer};
use app::{App, forms::PostedOutcome, shell};
use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::OnceLock;
use tower_http::{compression::CompressionLayer, services::ServeDir};

/// The page routes. Generating them renders the app once with resource loading suppressed through a
/// process-wide flag in leptos_server; a page render whose resource starts meanwhile (in another server
/// of the same process) would wait forever (leptos issue #4773). Generating them once per process means
/// no render can ever overlap it.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: &ServerState) -> Router<ServerState> {
    let app = state.app.clone();
    let context = move || {
        provide_context(app.clone());
        // A form's outcome, carried to this page by its flash cookie (read by `super::forms`).
        if let Some(outcome) = use_context::<Parts>().and_then(|p| p.extensions.get::<PostedOutcome>().cloned()) {
            provide_context(outcome);
        }
    };
    let render = {
        let options = state.app.leptos.clone();
        move || shell(options.clone())
    };
    Router::new()
        .leptos_routes_with_context(state, page_routes(), context, render)
        // Forms posted without JavaScript: Post/Redirect/Get (inside compression: it reads answers).
        .layer(FormsLayer::new(state))
        // Pages and server-function answers are compressed when the browser asks (br or gzip).
        .layer(CompressionLayer::new().br(true).gzip(true).quality(tower_http::CompressionLevel::Fastest))
}

/// The built site: `pkg/` (WebAssembly, JavaScript, CSS) and `favicon.ico`. Files are sent
/// precompressed when the browser accepts it (`.br`, `.gz` beside them); the gate sets their caching.
/// Anything else is the app's "page not found".
pub fn static_files(state: &ServerState) -> ServeDir<axum::routing::MethodRouter> {
    let root = state.app.leptos.site_root.to_string();
    ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(axum::routing::any(not_found_page).with_state(state.clone()))
}

/// The site inside the binary ([`super::site`]), with the same fallback.
pub async fn embedded_files(State(state): State<ServerState>, request: Request) -> Response {
    match super::site::respond(request.method(), request.uri().path(), request.headers()) {
        Some(response) => response,
        None => not_found_page(State(state), request).await,
    }
}

/// Anything else: the app's "page not found".
async fn not_found_page(State(state): State<ServerState>, request: Request) -> Response {
    let app = state.app.clone();
    let options = state.app.leptos.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || provide_context(app.clone()),
        move || shell(options.clone()),
    );
    let mut response = handler(request).await.into_response();
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
