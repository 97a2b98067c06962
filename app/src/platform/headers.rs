//! Content-Security-Policy for rendered pages. The other security headers are set by the server's
//! middleware for every response; pages need a per-response nonce, which only the renderer knows.

use axum::http::{HeaderValue, header};
use leptos::prelude::use_context;

/// The policy for HTML pages: scripts only from this origin or carrying this response's nonce
/// (Leptos's hydration and resource scripts), WebAssembly allowed to compile, nothing framed or embedded.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// The policy for everything that is not a page (API answers, assets).
pub const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Called while a page renders: puts this response's nonce into its CSP header.
pub fn set_page_csp() {
    if let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
        && let Ok(value) = HeaderValue::from_str(&page_csp(&nonce))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}
