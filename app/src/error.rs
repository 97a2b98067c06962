//! The one error type that crosses the wire between server functions and the browser.
//!
//! Every message here is written for the person using the product: it says what happened and what to do,
//! and never carries SQL, file paths or other internal text (those are logged on the server instead).

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", from = "WireError")]
pub enum AppError {
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    /// Bad input: `field` names the form field (as labelled in the UI) so forms can show it in place.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict { message: String },
    #[error("Too many attempts. Try again in {}.", wait_phrase(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error("Tessera is temporarily unavailable. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. Try again, and contact your administrator if it keeps happening.")]
    Internal,
    /// The browser could not reach the server, or could not understand its answer.
    #[error("Could not reach Tessera. Check your connection and try again.")]
    Network,
}

/// The JSON shape of every error Tessera answers, from server functions and the REST API alike:
/// `{"error": "invalid", "message": "…", "field": "email"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl From<AppError> for WireError {
    fn from(error: AppError) -> Self {
        let message = error.to_string();
        let (code, field, retry_after_secs) = match error {
            AppError::Unauthorized => ("unauthorized", None, None),
            AppError::Forbidden { .. } => ("forbidden", None, None),
            AppError::NotFound { .. } => ("not_found", None, None),
            AppError::Invalid { field, .. } => ("invalid", Some(field), None),
            AppError::Conflict { .. } => ("conflict", None, None),
            AppError::RateLimited { retry_after_secs } => ("rate_limited", None, Some(retry_after_secs)),
            AppError::Unavailable => ("unavailable", None, None),
            AppError::Internal => ("internal", None, None),
            AppError::Network => ("network", None, None),
        };
        WireError { error: code.to_owned(), message, field, retry_after_secs }
    }
}

impl From<WireError> for AppError {
    fn from(wire: WireError) -> Self {
        match wire.error.as_str() {
            "unauthorized" => AppError::Unauthorized,
            "forbidden" => AppError::Forbidden { message: wire.message },
            "not_found" => AppError::NotFound { message: wire.message },
            "invalid" => AppError::Invalid { field: wire.field.unwrap_or_default(), message: wire.message },
            "conflict" => AppError::Conflict { message: wire.message },
            "rate_limited" => AppError::RateLimited { retry_after_secs: wire.retry_after_secs.unwrap_or(60) },
            "unavailable" => AppError::Unavailable,
            "network" => AppError::Network,
            _ => AppError::Internal,
        }
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into() }
    }

    /// "{what} was not found."
    pub fn not_found(what: &str) -> Self {
        Self::NotFound { message: format!("{what} was not found.") }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict { message: message.into() }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::Invalid { .. } => 422,
            Self::Conflict { .. } => 409,
            Self::RateLimited { .. } => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
            Self::Network => 502,
        }
    }

    /// The machine-readable code (`"invalid"`, `"not_found"`…).
    pub fn code(&self) -> String {
        WireError::from(self.clone()).error
    }

    /// The message for the given form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }
}

/// "30 seconds", "1 minute", "15 minutes".
fn wait_phrase(secs: u64) -> String {
    match secs {
        0..=1 => "a second".to_owned(),
        2..=59 => format!("{secs} seconds"),
        60 => "a minute".to_owned(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request did not carry the fields the function takes: a form from an older page, or a
            // hand-made request. Say so without echoing the decoder's internals.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                Self::invalid("", "The form was incomplete. Reload the page and try again.")
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Network,
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_through_their_wire_form() {
        let all = [
            AppError::Unauthorized,
            AppError::forbidden("no"),
            AppError::not_found("That token"),
            AppError::invalid("name", "too long"),
            AppError::conflict("again"),
            AppError::RateLimited { retry_after_secs: 90 },
            AppError::Unavailable,
            AppError::Internal,
            AppError::Network,
        ];
        for error in all {
            let json = serde_json::to_value(&error).unwrap();
            assert_eq!(json["message"], error.to_string(), "{json}");
            assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), error);
        }
        let json = serde_json::to_value(AppError::invalid("name", "too long")).unwrap();
        assert_eq!(json, serde_json::json!({"error": "invalid", "message": "too long", "field": "name"}));
        assert_eq!(
            AppError::RateLimited { retry_after_secs: 90 }.to_string(),
            "Too many attempts. Try again in 2 minutes."
        );
    }
}
