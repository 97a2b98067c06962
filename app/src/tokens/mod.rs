//! API tokens.

mod copy;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod secret;

pub use copy::CopyButton;

use leptos::prelude::*;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! { <h1>"API Tokens"</h1> }
}
