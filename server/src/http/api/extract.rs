//! The API's extractors. Each hands a handler parsed input or rejects with the one JSON error body
//! ([`ApiError`]), never axum's plain-text rejections.

use crate::http::errors::{ApiError, too_large};
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Query, Request, rejection::BytesRejection},
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;
use std::str::FromStr;
use tessera_core::{
    Error,
    ids::{TokenId, UserId},
    services::tokens::token_not_found,
};
use utoipa::{
    ToSchema,
    openapi::{RefOr, Schema},
};

/// A query string, parsed, or the JSON error that says which parameter is wrong.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                // serde_urlencoded says "invalid digit found in string" or "unknown variant"; name the
                // parameter when it says which, and never echo the input.
                let text = rejection.body_text();
                let field = ["limit", "after", "type", "token_id", "member_id"]
                    .into_iter()
                    .find(|f| text.contains(f))
                    .unwrap_or("");
                let message = "The query string is not valid: check each parameter against the API documentation.";
                Err(ApiError(Error::invalid(field, message)))
            }
        }
    }
}

/// An id in the path. One that isn't an id is the same 404 as an id that names nothing.
pub struct ApiPath<T>(pub T);

/// Ids the API takes in its paths, and what is not found when they name nothing.
pub trait PathId: FromStr {
    fn not_found() -> Error;
}

impl PathId for TokenId {
    fn not_found() -> Error {
        token_not_found()
    }
}

impl PathId for UserId {
    fn not_found() -> Error {
        Error::not_found("That member")
    }
}

impl<S: Send + Sync, T: PathId> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Ok(Path(raw)) = Path::<String>::from_request_parts(parts, state).await else {
            return Err(ApiError(T::not_found()));
        };
        raw.parse().map(Self).map_err(|_| ApiError(T::not_found()))
    }
}

/// An optional JSON body: empty means the defaults. Any content type is read as JSON (clients such as
/// `curl -d` send forms' type). A body over the size limit is 413, sent with or without a length.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default + ToSchema> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await.map_err(|r| ApiError(unread(&r)))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut json)
            .map_err(|e| ApiError(not_json(documented_field::<T>(e.path()))))?;
        json.end().map_err(|_| ApiError(not_json(String::new())))?;
        Ok(Self(value))
    }
}

/// A body that could not be read: too large (the gate's limit cut it off), or broken off.
fn unread(rejection: &BytesRejection) -> Error {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        Error::invalid("", "The request body could not be read. Send it again.")
    }
}

fn not_json(field: String) -> Error {
    Error::invalid(field, "The body must be a JSON object as the API documentation shows.")
}

/// The top-level field an error is about, when the document names it (the input's own keys are never
/// echoed).
fn documented_field<T: ToSchema>(path: &serde_path_to_error::Path) -> String {
    let Some(serde_path_to_error::Segment::Map { key }) = path.iter().next() else { return String::new() };
    let RefOr::T(Schema::Object(schema)) = T::schema() else { return String::new() };
    schema.properties.into_keys().find(|name| name == key).unwrap_or_default()
}
