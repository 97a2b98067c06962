//! Every error Tessera answers over HTTP is the core's [`ErrorBody`] as JSON, with its status, mapped
//! here once. The API's extractors ([`super::api::extract`]) reject with it too: a query that doesn't
//! parse, a path that isn't an id, a body too large or not JSON.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tessera_core::{Error, ErrorBody, ErrorKind};

/// A core error on its way to the wire.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// What a REST handler returns: its answer, or the error body.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        app::error::log_failure(&self.0);
        error_response(&self.0.body())
    }
}

/// The response for an error body: its status, the JSON, and `Retry-After` when it has one.
pub fn error_response(body: &ErrorBody) -> Response {
    let status = StatusCode::from_u16(body.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match serde_json::to_vec(body) {
        Ok(json) => super::json_response(status, json),
        Err(_) => status.into_response(),
    };
    if let Some(secs) = body.retry_after_secs {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

pub fn error_of(kind: ErrorKind, message: impl Into<String>) -> Response {
    error_response(&ErrorBody { error: kind, message: message.into(), field: None, retry_after_secs: None })
}

/// The router's refusals (an unknown API path, a method a path doesn't take), as JSON.
pub async fn fallback_status(status: StatusCode) -> Response {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => error_of(
            ErrorKind::MethodNotAllowed,
            "This address does not accept that method. See the API documentation at /api/v1/openapi.json.",
        ),
        _ => error_of(ErrorKind::NotFound, "That API endpoint was not found. See /api/v1/openapi.json."),
    }
}

/// A request body over [`super::MAX_BODY_BYTES`], however it was sent.
pub fn too_large() -> Error {
    too_large_at(super::MAX_BODY_BYTES)
}

/// A body over `max` bytes (where a route takes more than [`super::MAX_BODY_BYTES`]).
pub fn too_large_at(max: usize) -> Error {
    Error::of(ErrorKind::TooLarge).with_message(format!("The request body is too large: at most {} KiB.", max / 1024))
}
