//! Plain-HTML form posts to dashboard pages (no JavaScript). The form's server function runs exactly as
//! it would for a JavaScript call, then the page is rendered with the outcome in it: this is how the
//! one-time token secret or invitation link reaches a browser without JavaScript, in the response to the
//! post itself, and nowhere else.

use app::{error::AppError, platform::state::AppState, shell, ui::PostedOutcome};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use leptos::{
    prelude::provide_context,
    reactive::{computed::ScopedFuture, owner::Owner},
    server_fn::ServerFn,
};
use leptos_axum::ResponseOptions;
use serde::{Serialize, de::DeserializeOwned};

/// Form bodies are small: the largest field, a token name, is 100 characters.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub async fn post<S>(State(state): State<AppState>, request: Request) -> Response
where
    S: ServerFn<Error = AppError> + DeserializeOwned + Send + 'static,
    S::Output: Serialize + Send + 'static,
{
    let (parts, body) = request.into_parts();
    let outcome: Result<S::Output, AppError> = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => match serde_urlencoded::from_bytes::<S>(&bytes) {
            Ok(input) => {
                let (state, parts) = (state.clone(), parts.clone());
                Owner::new()
                    .with(|| {
                        ScopedFuture::new(async move {
                            provide_context(parts);
                            provide_context(ResponseOptions::default());
                            provide_context(state);
                            input.run_body().await
                        })
                    })
                    .await
            }
            Err(_) => Err(AppError::invalid("", "The form was incomplete. Reload the page and try again.")),
        },
        Err(_) => Err(AppError::invalid("", "The form was too large.")),
    };
    let posted =
        PostedOutcome { fn_path: S::PATH, json: serde_json::to_string(&outcome).unwrap_or_else(|_| "null".into()) };
    // Rendered as the GET of the same page, with the outcome in context.
    let mut page = Request::from_parts(parts, Body::empty());
    *page.method_mut() = Method::GET;
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(state.clone());
            provide_context(posted.clone());
        },
        move || shell(options.clone()),
    );
    let mut response = render(page).await.into_response();
    // The page may hold a secret shown once: never store it anywhere.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
