//! Forms that work without JavaScript. Each form posts to the page it is on, with a hidden `action`
//! naming the server function to run; the server runs it exactly as a JavaScript call would, then renders
//! the page with the outcome in it (how a one-time secret reaches a browser without JavaScript: in the
//! response to the post itself, and nowhere else). Errors are never read from the URL.

use crate::error::AppError;
use leptos::{prelude::*, server_fn::ServerFn};
use serde::de::DeserializeOwned;

/// The outcome of a plain-HTML form post, provided while the page renders.
#[derive(Debug, Clone)]
pub struct PostedOutcome {
    pub fn_path: &'static str,
    pub json: String,
    /// When the post failed: what was typed, so the form comes back filled in (passwords, secrets and
    /// codes never are).
    pub kept: Vec<(String, String)>,
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
}

/// What was typed into field `name` of a form whose post failed (`None` after a success).
pub fn kept_value(name: &str) -> Option<String> {
    use_context::<PostedOutcome>().and_then(|p| p.kept.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
}

/// The outcome of `S`, if the page is being rendered in answer to a post of its form.
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

/// The hidden field that names the server function a form runs.
#[component]
pub fn Action(path: &'static str) -> impl IntoView {
    view! { <input type="hidden" name="action" value=path /> }
}
