//! Pages (rendered by Leptos on the server), their plain-HTML form posts, and the built site's files.
//!
//! A form posts to the page it is on, with a hidden `action` naming a server function. The function
//! runs exactly as it would for a JavaScript call; then either its redirect is followed (signing in),
//! or the page is rendered with the outcome in it. This is how the one-time token secret reaches a
//! browser without JavaScript: in the response to the post itself, and nowhere else.

use super::{MAX_BODY_BYTES, ServerState};
use app::{App, error::AppError, forms::PostedOutcome, shell, state::AppState};
use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use leptos::{
    prelude::provide_context,
    reactive::{computed::ScopedFuture, owner::Owner},
    server_fn::ServerFn,
};
use leptos_axum::{AxumRouteListing, LeptosRoutes, ResponseOptions, generate_route_list};
use serde::{Serialize, de::DeserializeOwned};
use std::sync::OnceLock;
use tessera_core::ErrorKind;
use tower_http::{compression::CompressionLayer, services::ServeDir};

/// The page routes. Generating them renders the app once with resource loading suppressed through a
/// process-wide flag in leptos_server; a page render whose resource starts meanwhile (in another server
/// of the same process) would wait forever (leptos issue #4773). Generating them once per process means
/// no render can ever overlap it.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Where forms post besides the pages themselves.
const FORM_ENDPOINTS: [&str; 2] = [app::routes::LOGOUT_URL, app::routes::SWITCH_ORG_URL];

pub fn router(state: &ServerState) -> Router<ServerState> {
    let app = state.app.clone();
    let context = move || provide_context(app.clone());
    let render = {
        let options = state.app.leptos.clone();
        move || shell(options.clone())
    };
    let mut router = Router::new();
    for path in app::PAGES.iter().chain(FORM_ENDPOINTS.iter()) {
        router = router.route(path, post(form_post));
    }
    router
        .leptos_routes_with_context(state, page_routes(), context, render)
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

async fn form_post(State(state): State<ServerState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return super::errors::error_of(ErrorKind::TooLarge, "The form was too large."),
    };
    let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).unwrap_or_default();
    let action = fields.iter().find(|(k, _)| k == "action").map(|(_, v)| v.clone()).unwrap_or_default();
    let action = if shown_elsewhere(&action, parts.uri.path()) { "" } else { action.as_str() };
    let (mut outcome, response_options) = run_action(&state.app, action, &parts, &bytes).await;
    if outcome.json.starts_with("{\"Err\"") {
        outcome.kept = PostedOutcome::keep(&fields);
    }
    let response_parts = response_options.0.read().map(|p| p.clone()).unwrap_or_default();

    // A redirect (signed in, signed out, switched): follow it, with its cookies.
    if let Some(location) = response_parts.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()) {
        let mut response = Redirect::to(location).into_response();
        for cookie in response_parts.headers.get_all(header::SET_COOKIE) {
            response.headers_mut().append(header::SET_COOKIE, cookie.clone());
        }
        return response;
    }

    // Otherwise the page, as its GET renders it, with the outcome in it.
    parts.method = Method::GET;
    let status = response_parts.status.unwrap_or(StatusCode::OK);
    let app = state.app.clone();
    let options = state.app.leptos.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(app.clone());
            provide_context(outcome.clone());
        },
        move || shell(options.clone()),
    );
    let mut response = render(Request::from_parts(parts, Body::empty())).await.into_response();
    for cookie in response_parts.headers.get_all(header::SET_COOKIE) {
        response.headers_mut().append(header::SET_COOKIE, cookie.clone());
    }
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// Whether `action` reveals a secret that only another page shows: posted anywhere else, it would
/// create a credential whose secret nobody sees (and a rotation's old secret would then be "reused").
fn shown_elsewhere(action: &str, page: &str) -> bool {
    use app::{
        routes::{TOKENS_URL, WEBHOOKS_URL},
        tokens::{CreateToken, RotateToken},
        webhooks::AddWebhook,
    };
    let shown_on = match action {
        a if a == CreateToken::PATH || a == RotateToken::PATH => TOKENS_URL,
        a if a == AddWebhook::PATH => WEBHOOKS_URL,
        _ => return false,
    };
    page != shown_on
}

/// Runs the server function a form names. Only the dashboard's own functions can be named.
async fn run_action(
    state: &AppState,
    action: &str,
    parts: &axum::http::request::Parts,
    bytes: &[u8],
) -> (PostedOutcome, ResponseOptions) {
    use app::{auth::*, orgs::*, policy::*, session::*, tokens::*, webhooks::*};
    macro_rules! dispatch {
        ($($f:ty),* $(,)?) => {
            $(if action == <$f>::PATH { return run::<$f>(state, parts, bytes).await; })*
        };
    }
    dispatch!(
        Setup,
        Login,
        Logout,
        AcceptInvitation,
        SwitchOrg,
        InviteMember,
        RevokeInvitation,
        ResendInvitation,
        ChangeRole,
        RemoveMember,
        RevokeMemberTokens,
        CreateToken,
        RotateToken,
        DeleteToken,
        RevokeAllTokens,
        SetPolicy,
        AddWebhook,
        RemoveWebhook,
        ResumeWebhook,
        ResendDelivery,
    );
    let refusal: Result<(), AppError> =
        Err(AppError::of(ErrorKind::Invalid, "The form was incomplete. Reload the page and try again."));
    let options = ResponseOptions::default();
    options.set_status(StatusCode::UNPROCESSABLE_ENTITY);
    (
        PostedOutcome { fn_path: "", json: serde_json::to_string(&refusal).unwrap_or_default(), kept: Vec::new() },
        options,
    )
}

async fn run<S>(state: &AppState, parts: &axum::http::request::Parts, bytes: &[u8]) -> (PostedOutcome, ResponseOptions)
where
    S: ServerFn<Error = AppError> + DeserializeOwned + Send + 'static,
    S::Output: Serialize + Send + 'static,
{
    let options = ResponseOptions::default();
    let outcome: Result<S::Output, AppError> = match serde_urlencoded::from_bytes::<S>(bytes) {
        Ok(input) => {
            let (state, parts, response) = (state.clone(), parts.clone(), options.clone());
            Owner::new()
                .with(|| {
                    ScopedFuture::new(async move {
                        provide_context(parts);
                        provide_context(response);
                        provide_context(state);
                        input.run_body().await
                    })
                })
                .await
        }
        Err(_) => Err(AppError::of(ErrorKind::Invalid, "The form was incomplete. Reload the page and try again.")),
    };
    let json = serde_json::to_string(&outcome).unwrap_or_else(|_| "null".into());
    (PostedOutcome { fn_path: S::PATH, json, kept: Vec::new() }, options)
}
