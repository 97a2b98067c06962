//! Cross-site request forgery defence for everything a browser session can reach (pages and server
//! functions; the token-authenticated `/api/` is exempt: browsers can't attach its headers cross-site).
//!
//! An unsafe method (POST, PUT, PATCH, DELETE) passes only when the browser says it comes from this site
//! (`Sec-Fetch-Site: same-origin` or `none`), or, from browsers that don't send that header, when
//! `Origin` is this site. Requests with neither header are not from a browser and pass. (OWASP CSRF
//! cheat sheet, "Fetch Metadata".) Session cookies are also `SameSite=Strict`.

use app::platform::{state::AppState, state::Settings};
use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || request.uri().path().starts_with("/api/") || is_same_site(request.headers(), &state.settings) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-site request refused");
    (
        StatusCode::FORBIDDEN,
        Json(json!({
            "error": "cross_site_request",
            "message": "This request came from another site and was refused. Submit the form from Tessera itself.",
        })),
    )
        .into_response()
}

pub fn is_same_site(headers: &HeaderMap, settings: &Settings) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    match &settings.public_origin {
        Some(public) => origin == public,
        // Without a configured public URL, the origin must name the host the request was sent to.
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            origin.split_once("://").is_some_and(|(_, rest)| !host.is_empty() && rest == host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let s = Settings::default();
        assert!(is_same_site(&headers(&[("sec-fetch-site", "same-origin")]), &s));
        assert!(is_same_site(&headers(&[("sec-fetch-site", "none")]), &s));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "cross-site")]), &s));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "same-site")]), &s));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://x")]), &s));
    }

    #[test]
    fn origin_is_compared_without_fetch_metadata() {
        let s = Settings::default();
        assert!(is_same_site(&headers(&[("origin", "http://t.local:3000"), ("host", "t.local:3000")]), &s));
        assert!(!is_same_site(&headers(&[("origin", "http://evil.example"), ("host", "t.local:3000")]), &s));
        assert!(!is_same_site(&headers(&[("origin", "null"), ("host", "t.local:3000")]), &s));
        let public = Settings { public_origin: Some("https://t.example.com".into()), ..Settings::default() };
        assert!(is_same_site(&headers(&[("origin", "https://t.example.com")]), &public));
        assert!(!is_same_site(&headers(&[("origin", "http://t.example.com")]), &public));
        // Not a browser: no Origin, no Fetch Metadata.
        assert!(is_same_site(&HeaderMap::new(), &s));
    }
}
