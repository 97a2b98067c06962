//! The request behind a server function or a page render, and the one helper every server function
//! goes through ([`serve`]): it finds the state and the request's context (resolved once per request by
//! the server's gate), runs the work, and maps a core error to the wire once (status, `Retry-After`, log).

use crate::{error::AppError, state::AppState};
use http::{HeaderValue, StatusCode, header, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::sync::Arc;
use tessera_core::{
    context::Core,
    error::Error,
    identity::{Caller, Member, Origin},
    services::sessions::Identity,
};

/// Who is asking and from where, resolved once per request by the server's gate (session lookup and
/// client address) and kept in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub identity: Option<Arc<Identity>>,
    pub origin: Origin,
}

impl RequestContext {
    pub fn identity(&self) -> Result<&Identity, Error> {
        self.identity.as_deref().ok_or_else(Error::unauthorized)
    }

    /// The caller as a member of their current organization: 401 without a session, 403 without an
    /// organization.
    pub fn member(&self) -> Result<&Member, Error> {
        self.identity()?.current.as_ref().ok_or_else(|| {
            Error::forbidden("You are not a member of any organization. Ask an administrator to invite you.")
        })
    }

    pub fn caller(&self) -> Result<Caller, Error> {
        Ok(Caller::dashboard(self.member()?.clone(), self.origin.clone()))
    }
}

/// What a server function works with.
pub struct Cx {
    pub state: AppState,
    pub request: RequestContext,
    pub parts: Parts,
}

impl Cx {
    pub fn core(&self) -> &Core {
        &self.state.core
    }

    pub fn member(&self) -> Result<&Member, Error> {
        self.request.member()
    }

    pub fn caller(&self) -> Result<Caller, Error> {
        self.request.caller()
    }

    pub fn identity(&self) -> Result<&Identity, Error> {
        self.request.identity()
    }

    /// Sudo mode: for actions that create access, the session proved who it is recently, or the
    /// `reauthentication_required` error that asks again.
    pub fn sudo(&self) -> Result<(), Error> {
        tessera_core::services::two_factor::require_recent(self.core(), self.identity()?)
    }

    fn current() -> Result<Self, Error> {
        let state =
            use_context::<AppState>().ok_or_else(|| Error::internal("AppState missing from the Leptos context"))?;
        let parts =
            use_context::<Parts>().ok_or_else(|| Error::internal("request parts missing from the Leptos context"))?;
        let request = parts.extensions.get::<RequestContext>().cloned().unwrap_or_default();
        Ok(Self { state, request, parts })
    }
}

/// Runs a server function's work: the only place its result meets HTTP.
pub async fn serve<T, F, Fut>(work: F) -> Result<T, AppError>
where
    F: FnOnce(Cx) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let result = match Cx::current() {
        Ok(cx) => work(cx).await,
        Err(e) => Err(e),
    };
    result.map_err(|error| {
        set_error_status(&error);
        AppError::from(error)
    })
}

/// [`serve`] for work done as a member of the current organization: the session and the membership are
/// checked first (401 / 403), before any input is looked at.
pub async fn serve_member<T, F, Fut>(work: F) -> Result<T, AppError>
where
    F: FnOnce(Cx, Caller) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    serve(|cx| async move {
        let caller = cx.caller()?;
        work(cx, caller).await
    })
    .await
}

/// Gives the response the error's status (and `Retry-After`), for JavaScript and program callers.
fn set_error_status(error: &Error) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        if let Some(secs) = error.retry_after_secs() {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

pub fn append_set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(value)) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Sends the browser to `path` after this request (a same-site path; never user input unchecked).
pub fn redirect(path: &str) {
    let path = tessera_core::domain::redirect::safe_next(Some(path));
    leptos_axum::redirect(&path);
}

/// Where this Tessera is reached: the configured public URL, or else the host the request was sent to
/// (already checked against loopback and the listen address by the gate).
pub fn public_base_url(state: &AppState, parts: &Parts) -> String {
    match &state.web.public_origin {
        Some(origin) => origin.clone(),
        None => {
            let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// The value of cookie `name` in the request, if it was sent.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
