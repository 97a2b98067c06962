//! The page frame and small components every page uses.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Redirect};

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <A href="/" attr:class="brand" attr:aria-label="Tessera home">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Tessera"</span>
            </A>
            <nav class="topnav" aria-label="Main">
                <A href="/app/settings/api">"API Tokens"</A>
                <A href="/app/settings/members">"Members"</A>
            </nav>
        </header>
    }
}

/// `/app` and `/app/settings` lead to the first settings page.
#[component]
pub fn GoToSettings() -> impl IntoView {
    view! { <Redirect path="/app/settings/api" /> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="empty-page">
            <h1>"Page not found"</h1>
            <p class="muted">"The page you asked for does not exist, or has moved."</p>
            <A href="/" attr:class="button">"Go to the home page"</A>
        </section>
    }
}
