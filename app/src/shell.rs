//! The HTML document, the router and the page frame around every route.

use crate::{auth, home::HomePage, orgs, tokens, ui};
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The document the server renders for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::platform::headers::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    ui::provide_hydrated();

    // Runs only in the browser, after hydration: end-to-end tests wait for this marker.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="tessera" href="/pkg/tessera.css" />
        <Link rel="icon" href="/favicon.ico" />
        <Title formatter=|title: String| if title.is_empty() { "Tessera".to_owned() } else { format!("{title} · Tessera") } />
        <Router>
            <Frame />
        </Router>
    }
}

/// Everything inside the router: the session (its actions read errors that plain-HTML form posts left
/// in the URL, which the router provides), the header and the page.
#[component]
fn Frame() -> impl IntoView {
    auth::provide_session_context();
    view! {
            <ui::Header />
            <main class="page" id="main">
                <Routes fallback=ui::NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=auth::SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=auth::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:code") view=auth::InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/app") view=ui::GoToSettings />
                    <Route path=path!("/app/settings") view=ui::GoToSettings />
                    <Route path=path!("/app/settings/api") view=tokens::TokensPage ssr=SsrMode::Async />
                    <Route path=path!("/app/settings/members") view=orgs::MembersPage ssr=SsrMode::Async />
                </Routes>
            </main>
    }
}
