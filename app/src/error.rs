//! The error every server function answers with: the core's [`ErrorBody`], as JSON, with its status.
//! It is the same body the REST API, the cross-site refusal and the page gates answer with.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use std::fmt;
use tessera_core::{ErrorBody, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppError(pub ErrorBody);

impl AppError {
    pub fn of(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(ErrorBody { error: kind, message: message.into(), field: None, retry_after_secs: None })
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.error
    }

    /// The message for the given form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<&str> {
        self.0.for_field(name)
    }

    /// Is this about one of `fields` (so the form shows it beside the field, not above the form)?
    pub fn is_about(&self, fields: &[&str]) -> bool {
        self.0.error == ErrorKind::Invalid && self.0.field.as_deref().is_some_and(|f| fields.contains(&f))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(feature = "ssr")]
impl From<tessera_core::Error> for AppError {
    fn from(error: tessera_core::Error) -> Self {
        log_failure(&error);
        Self(error.body())
    }
}

/// Our side's failures go to the log with their cause; refusals of a request don't.
#[cfg(feature = "ssr")]
pub fn log_failure(error: &tessera_core::Error) {
    match error.kind() {
        tessera_core::ErrorKind::Internal => tracing::error!(error = ?error, "request failed"),
        tessera_core::ErrorKind::Unavailable => tracing::warn!(error = ?error, "request failed: unavailable"),
        _ => {}
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request did not carry the fields the function takes: a form from an older page, or a
            // hand-made request. Say so without echoing the decoder's internals.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                Self::of(ErrorKind::Invalid, "The form was incomplete. Reload the page and try again.")
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                Self::of(ErrorKind::Network, "Could not reach Tessera. Check your connection and try again.")
            }
            _ => Self::of(
                ErrorKind::Internal,
                "Something went wrong on our side. Try again, and contact your administrator if it keeps happening.",
            ),
        }
    }
}
