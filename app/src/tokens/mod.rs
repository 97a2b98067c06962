//! API tokens.

pub mod domain;
#[cfg(feature = "ssr")]
pub mod secret;

use leptos::prelude::*;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! { <h1>"API Tokens"</h1> }
}
