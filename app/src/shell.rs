//! The HTML document, the router (on the server: every navigation is a page load) and the page frame.

use crate::{account, audit, auth, home::HomePage, orgs, policy, routes, tokens, ui, webhooks};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// Every page, by path: the tests visit each.
pub const PAGES: [&str; 12] = [
    routes::HOME_URL,
    routes::SETUP_URL,
    routes::LOGIN_URL,
    routes::INVITE_URL,
    routes::TOKENS_URL,
    routes::MEMBERS_URL,
    routes::AUDIT_URL,
    routes::POLICY_URL,
    routes::WEBHOOKS_URL,
    routes::LOGIN_SECOND_STEP_URL,
    routes::ACCOUNT_SECURITY_URL,
    routes::CONFIRM_IDENTITY_URL,
];

/// The document the server renders for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <leptos_meta::HashedStylesheet options=options.clone() id="tessera" />
                <link rel="icon" href="/favicon.ico" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// A route's path: `path!` takes only a literal, so the literal sits next to the page's constant and the
/// two are compared when this compiles (`:code` in the route is `{code}` in the constant). The literal
/// is passed on as a `tt`: `path!` can't read a `literal` fragment.
macro_rules! route {
    ($page:ident, $literal:tt) => {{
        const _: () = assert!(
            routes::is_route_of(routes::$page, $literal),
            concat!("the route ", $literal, " is not ", stringify!($page))
        );
        path!($literal)
    }};
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|title: String| if title.is_empty() { "Tessera".to_owned() } else { format!("{title} · Tessera") } />
        <Router>
            <ui::Header />
            <main class="page" id="main">
                <Routes fallback=ui::NotFound>
                    <Route path=route!(HOME_URL, "/") view=HomePage ssr=SsrMode::Async />
                    <Route path=route!(SETUP_URL, "/setup") view=auth::SetupPage ssr=SsrMode::Async />
                    <Route path=route!(LOGIN_URL, "/login") view=auth::LoginPage ssr=SsrMode::Async />
                    <Route path=route!(LOGIN_SECOND_STEP_URL, "/login/two-factor") view=auth::SecondStepPage ssr=SsrMode::Async />
                    <Route path=route!(ACCOUNT_SECURITY_URL, "/app/account/security") view=account::SecurityPage ssr=SsrMode::Async />
                    <Route path=route!(CONFIRM_IDENTITY_URL, "/app/account/confirm") view=account::ConfirmIdentityPage ssr=SsrMode::Async />
                    <Route path=route!(INVITE_URL, "/invite/:code") view=auth::InvitePage ssr=SsrMode::Async />
                    <Route path=route!(SIGNED_IN_AREA, "/app") view=ui::GoToSettings />
                    <Route path=route!(SETTINGS_URL, "/app/settings") view=ui::GoToSettings />
                    <Route path=route!(TOKENS_URL, "/app/settings/api") view=tokens::TokensPage ssr=SsrMode::Async />
                    <Route path=route!(MEMBERS_URL, "/app/settings/members") view=orgs::MembersPage ssr=SsrMode::Async />
                    <Route path=route!(AUDIT_URL, "/app/settings/audit") view=audit::AuditPage ssr=SsrMode::Async />
                    <Route path=route!(POLICY_URL, "/app/settings/policy") view=policy::PolicyPage ssr=SsrMode::Async />
                    <Route path=route!(WEBHOOKS_URL, "/app/settings/webhooks") view=webhooks::WebhooksPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <ui::HydrationMarker />
        </Router>
    }
}

/// Puts this response's nonce into its Content-Security-Policy: scripts only from this origin or
/// carrying the nonce (Leptos's island loader), WebAssembly allowed to compile, nothing framed.
#[cfg(feature = "ssr")]
fn set_page_csp() {
    use http::{HeaderValue, header};
    if let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
        && let Ok(value) = HeaderValue::from_str(&page_csp(&nonce))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The policy for HTML pages.
#[cfg(feature = "ssr")]
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}
