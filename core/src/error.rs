//! The one error contract. Services return [`Error`]; every adapter turns it into the same JSON body
//! ([`ErrorBody`]) with the status of its [`ErrorKind`], once: REST handlers, server functions, the
//! cross-site refusal and the page gates alike. (API authentication keeps its single uniform 401.)
//!
//! Which constructor to use:
//! - [`Error::invalid`]: the input is wrong; name the form field and say what to type instead (422).
//! - [`Error::forbidden`]: the caller may not do this; say who may (403).
//! - [`Error::not_found`]: it does not exist *for this caller*, including another organization's (404).
//! - [`Error::conflict`]: the input is fine but the current state refuses it (409).
//! - [`Error::rate_limited`]: too many attempts (429 with `Retry-After`).
//! - [`Error::unavailable`] / [`Error::internal`]: our side failed (503 / 500). The user sees a generic
//!   sentence; the cause is kept for the log line and never reaches the wire. `?` on a `sqlx::Error`
//!   picks the right one of the two.
//!
//! Messages are written for the person reading them: what happened and what to do. Never SQL, paths or
//! other internal text.

use serde::{Deserialize, Serialize};
use std::{borrow::Cow, fmt};

/// What went wrong, as programs see it: a stable code and an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Unauthorized,
    Forbidden,
    /// An unsafe request from another site (CSRF defence).
    CrossSiteRequest,
    NotFound,
    MethodNotAllowed,
    Conflict,
    TooLarge,
    Invalid,
    RateLimited,
    Internal,
    Unavailable,
    /// Browser side only: the server could not be reached or its answer not understood.
    Network,
    /// Sudo mode: the action creates or widens access, and the session last proved who it is too long
    /// ago. Confirm the password (and the authentication code when 2FA is on), then retry.
    ReauthenticationRequired,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::CrossSiteRequest,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::Conflict,
        ErrorKind::TooLarge,
        ErrorKind::Invalid,
        ErrorKind::RateLimited,
        ErrorKind::Internal,
        ErrorKind::Unavailable,
        ErrorKind::Network,
        ErrorKind::ReauthenticationRequired,
    ];

    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden | ErrorKind::CrossSiteRequest | ErrorKind::ReauthenticationRequired => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict => 409,
            ErrorKind::TooLarge => 413,
            ErrorKind::Invalid => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::Internal => 500,
            ErrorKind::Network => 502,
            ErrorKind::Unavailable => 503,
        }
    }

    /// The stable code in the body's `error` field.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::CrossSiteRequest => "cross_site_request",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Invalid => "invalid",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Internal => "internal",
            ErrorKind::Network => "network",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::ReauthenticationRequired => "reauthentication_required",
        }
    }

    /// The sentence for kinds whose message is always the same.
    fn default_message(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "Your session has ended. Sign in again to continue.",
            ErrorKind::Forbidden => "Your role in this organization doesn't allow that.",
            ErrorKind::CrossSiteRequest => {
                "This request came from another site and was refused. Submit the form from Tessera itself."
            }
            ErrorKind::NotFound => "That was not found.",
            ErrorKind::MethodNotAllowed => "This address does not accept that method. See the API documentation.",
            ErrorKind::Conflict => "That conflicts with the current state. Reload and try again.",
            ErrorKind::TooLarge => "The request is too large.",
            ErrorKind::Invalid => "The form was incomplete. Reload the page and try again.",
            ErrorKind::RateLimited => "Too many attempts. Try again later.",
            ErrorKind::Internal => {
                "Something went wrong on our side. Try again, and contact your administrator if it keeps happening."
            }
            ErrorKind::Network => "Could not reach Tessera. Check your connection and try again.",
            ErrorKind::Unavailable => "Tessera is temporarily unavailable. Try again in a moment.",
            ErrorKind::ReauthenticationRequired => {
                "Confirm it is you: this action creates access, and you last signed in a while ago."
            }
        }
    }
}

/// The JSON body of every error Tessera answers: `{"error": "invalid", "message": "…", "field": "email"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable.
    pub error: ErrorKind,
    /// What happened and what to do, for a person.
    pub message: String,
    /// The input field the error is about (as named in the form or the query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `rate_limited`: seconds to wait (also in the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl ErrorBody {
    pub fn status(&self) -> u16 {
        self.error.status()
    }

    /// The message for the given form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<&str> {
        (self.error == ErrorKind::Invalid && self.field.as_deref() == Some(name)).then_some(self.message.as_str())
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A service's refusal or failure. See the module documentation for which constructor to use.
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    retry_after_secs: Option<u64>,
    /// Why our side failed, for the log. Never sent to the caller.
    cause: Option<Cause>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, message: message.into(), field: None, retry_after_secs: None, cause: None }
    }

    /// Of the given kind, with its standard message.
    pub fn of(kind: ErrorKind) -> Self {
        Self::new(kind, kind.default_message())
    }

    pub fn unauthorized() -> Self {
        Self::of(ErrorKind::Unauthorized)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    /// "{what} was not found."
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} was not found."))
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Bad input in `field` ("" when it is about the whole form).
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        let field = field.into();
        Self { field: (!field.is_empty()).then_some(field), ..Self::new(ErrorKind::Invalid, message) }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let message = format!("Too many attempts. Try again in {}.", wait_phrase(retry_after_secs));
        Self { retry_after_secs: Some(retry_after_secs), ..Self::new(ErrorKind::RateLimited, message) }
    }

    /// Our side can't do it right now (the database is away, a queue is full): try again soon.
    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        Self { cause: Some(cause.into()), ..Self::of(ErrorKind::Unavailable) }
    }

    /// Our side failed in a way that retrying won't fix.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self { cause: Some(cause.into()), ..Self::of(ErrorKind::Internal) }
    }

    /// The same error with another message (kind, field and cause unchanged).
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }

    /// Why our side failed, for the log line.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// The wire form. The cause stays behind.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.kind,
            message: self.message.to_string(),
            field: self.field.as_ref().map(|f| f.to_string()),
            retry_after_secs: self.retry_after_secs,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(field) = &self.field {
            d.field("field", field);
        }
        if let Some(cause) = &self.cause {
            d.field("cause", &format_args!("{cause}"));
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl From<ErrorBody> for Error {
    fn from(body: ErrorBody) -> Self {
        Self {
            kind: body.error,
            message: body.message.into(),
            field: body.field.map(Into::into),
            retry_after_secs: body.retry_after_secs,
            cause: None,
        }
    }
}

/// "30 seconds", "a minute", "15 minutes", "3 hours".
pub fn wait_phrase(secs: u64) -> String {
    match secs {
        0..=1 => "a second".to_owned(),
        2..=59 => format!("{secs} seconds"),
        60 => "a minute".to_owned(),
        61..=5_400 => format!("{} minutes", secs.div_ceil(60)),
        _ => format!("{} hours", secs.div_ceil(3_600)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code_and_a_status() {
        let codes: std::collections::HashSet<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert!((400..600).contains(&kind.status()), "{kind:?}");
            // The serde name is the code.
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.code());
        }
    }

    #[test]
    fn the_body_carries_no_cause() {
        let error = Error::internal("SELECT * FROM secrets failed at /var/lib/x");
        let json = serde_json::to_string(&error.body()).unwrap();
        assert!(!json.contains("SELECT") && !json.contains("/var/lib"), "{json}");
        assert_eq!(error.status(), 500);
        assert!(format!("{error:?}").contains("SELECT"), "the cause is kept for the log");
    }

    #[test]
    fn bodies_round_trip() {
        let body = Error::invalid("name", "too long").body();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json, serde_json::json!({"error": "invalid", "message": "too long", "field": "name"}));
        assert_eq!(serde_json::from_value::<ErrorBody>(json).unwrap(), body);
        assert_eq!(body.for_field("name"), Some("too long"));
        assert_eq!(body.for_field("other"), None);
        let limited = Error::rate_limited(90).body();
        assert_eq!(limited.message, "Too many attempts. Try again in 2 minutes.");
        assert_eq!(limited.retry_after_secs, Some(90));
        assert_eq!(Error::invalid("", "whole form").body().field, None);
    }
}
