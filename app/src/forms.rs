//! Forms that work without JavaScript. Every form posts to its server function's own URL (`S::url()`,
//! as Leptos's `ActionForm` does). For a browser without JavaScript the server answers Post/Redirect/Get:
//! it runs the function as a JavaScript call would, then answers `303 See Other` back to the page (or to
//! where the function sends the browser), and the outcome travels to that one GET in a one-time,
//! encrypted, path-scoped cookie (`server/src/http/forms.rs`). The page reads it here, as the
//! [`PostedOutcome`] context, and a reload shows nothing again. Outcomes are never read from the URL.

use crate::error::AppError;
use leptos::{prelude::*, server_fn::ServerFn};
use serde::de::DeserializeOwned;
use std::fmt;

/// The outcome of a plain-HTML form post, provided while the page it came back to renders.
#[derive(Clone, PartialEq, Eq)]
pub struct PostedOutcome {
    /// The server function's path (`S::PATH`).
    pub fn_path: String,
    /// `{"Ok": output}` or `{"Err": error}`, as JSON.
    pub json: String,
    /// When the post failed: what was typed, so the form comes back filled in (passwords, secrets and
    /// codes never are).
    pub kept: Vec<(String, String)>,
}

/// The outcome may hold a one-time secret: Debug output names the function only.
impl fmt::Debug for PostedOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostedOutcome")
            .field("fn_path", &self.fn_path)
            .field("json", &"[redacted]")
            .field("kept", &self.kept.len())
            .finish()
    }
}

impl PostedOutcome {
    /// The fields of a failed post worth giving back: none whose name says it holds a secret.
    pub fn keep(fields: &[(String, String)]) -> Vec<(String, String)> {
        fields
            .iter()
            .filter(|(name, _)| name != "action" && !["password", "secret", "code"].iter().any(|s| name.contains(s)))
            .cloned()
            .collect()
    }

    /// Did the function fail?
    pub fn failed(&self) -> bool {
        self.json.starts_with("{\"Err\"")
    }
}

/// What was typed into field `name` of a form whose post failed (`None` after a success).
pub fn kept_value(name: &str) -> Option<String> {
    use_context::<PostedOutcome>().and_then(|p| p.kept.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
}

/// The outcome of `S`, if the page is being rendered right after a post of its form.
pub fn posted<S>() -> Option<Result<S::Output, AppError>>
where
    S: ServerFn,
    S::Output: DeserializeOwned,
{
    use_context::<PostedOutcome>()
        .filter(|p| p.fn_path == S::PATH)
        .and_then(|p| serde_json::from_str::<Result<S::Output, AppError>>(&p.json).ok())
}

/// The error of `S`'s posted outcome, if it failed.
pub fn posted_error<S>() -> Option<AppError>
where
    S: ServerFn,
    S::Output: DeserializeOwned,
{
    posted::<S>().and_then(Result::err)
}
