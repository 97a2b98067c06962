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
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{what} was not found.")]
    NotFound { what: String },
    /// Bad input: `field` names the form field (as labelled in the UI) so forms can show it in place.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict { message: String },
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    #[error("The server is busy. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. Try again, and contact your administrator if it keeps happening.")]
    Internal,
    /// The browser could not reach the server, or could not understand its answer.
    #[error("Could not reach Tessera. Check your connection and try again.")]
    Network,
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into() }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound { what: what.to_owned() }
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

    /// The message for the given form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
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
