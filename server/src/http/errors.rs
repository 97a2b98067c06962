//! Every error Tessera answers over HTTP is the core's [`ErrorBody`] as JSON, with its status, mapped
//! here once. Rejections of axum's own extractors (a query that doesn't parse, a path that isn't an id,
//! a body too large) get the same body.

use axum::{
    extract::{FromRequestParts, rejection::QueryRejection},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;
use tessera_core::{Error, ErrorBody, ErrorKind};

/// A core error on its way to the wire.
#[derive(Debug)]
pub struct ApiError(pub Error);

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

/// A query string, parsed, or the JSON error that says which parameter is wrong.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(query_error(rejection))),
        }
    }
}

fn query_error(rejection: QueryRejection) -> Error {
    // serde_urlencoded says "invalid digit found in string" or "unknown variant"; name the parameter
    // when it says which, and never echo the input.
    let text = rejection.body_text();
    let field =
        ["limit", "after", "type", "token_id", "member_id"].into_iter().find(|f| text.contains(f)).unwrap_or("");
    Error::invalid(field, "The query string is not valid: check each parameter against the API documentation.")
}

/// Body-size and method refusals from the router and tower-http, as JSON.
pub async fn fallback_status(status: StatusCode) -> Response {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            error_of(ErrorKind::TooLarge, "The request is too large: bodies are limited to 64 KiB.")
        }
        StatusCode::METHOD_NOT_ALLOWED => error_of(
            ErrorKind::MethodNotAllowed,
            "This address does not accept that method. See the API documentation at /api/v1/openapi.json.",
        ),
        _ => error_of(ErrorKind::NotFound, "That API endpoint was not found. See /api/v1/openapi.json."),
    }
}
