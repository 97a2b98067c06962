//! The one layer every request passes, in this order:
//!
//! 1. **Host check** (DNS rebinding): a state-changing request must name this server: the public URL's
//!    host, or without one a loopback name or the listen address.
//! 2. **Cross-site refusal** (CSRF) for everything a browser session can reach: an unsafe method
//!    passes only with `Sec-Fetch-Site: same-origin`, or, from browsers that don't send it, an `Origin`
//!    equal to this site; requests with neither are not from a browser and pass (OWASP CSRF cheat
//!    sheet, "Fetch Metadata"). The token-authenticated `/api/` is exempt: browsers can't attach its
//!    headers cross-site.
//! 3. **Who is asking**, resolved once for pages and server functions: the session (one lookup) and
//!    the client's address, handed on in the request's extensions.
//! 4. **Page gates**: before first-run setup every page leads to `/setup`; afterwards `/setup` is gone;
//!    `/app/…` needs a session. Real redirects, so they work without JavaScript.
//! 5. On the way out: an authenticated API answer's token expiry (from the request's
//!    [`AuthSlot`](super::api::auth::AuthSlot)),
//!    security headers, `Cache-Control`, the request's log line.

use super::{ServerState, api::auth, errors::error_of, reqlog::Line};
use app::{
    request::RequestContext,
    routes::{HOME_URL, LOGIN_URL, NEW_ORG_URL, SETTINGS_URL, SETUP_URL, SIGNED_IN_AREA, TOKENS_URL},
    session::cookies,
};
use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use std::{net::SocketAddr, sync::Arc, time::Instant};
use tessera_core::{ErrorKind, domain::redirect::login_then, identity::Origin, services::sessions};

/// The policy for everything that is not a page (API answers, assets); pages set their own, with a nonce.
pub const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Asset,
    Api,
    Health,
    ServerFn,
    Page,
}

pub fn classify(path: &str) -> Class {
    if path.starts_with("/api/") {
        Class::Api
    } else if path.starts_with("/pkg/") || path == "/favicon.ico" {
        Class::Asset
    } else if path.starts_with("/rpc/") {
        Class::ServerFn
    } else if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        Class::Health
    } else {
        Class::Page
    }
}

/// Room for the headers a response leaves with: its own few, and the ones [`finish`] adds.
pub const RESPONSE_HEADERS: usize = 16;

/// The rest of the stack, for the gate to call once ([`super::layers::GateService`] hands it over).
pub struct Next<S>(S);

impl<S> Next<S>
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    pub fn new(inner: S) -> Self {
        Self(inner)
    }

    pub async fn run(mut self, request: Request) -> Response {
        match self.0.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

pub async fn gate<S>(state: ServerState, mut request: Request, next: Next<S>) -> Response
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    let started = Instant::now();
    let class = classify(request.uri().path());
    let method = request.method().clone();
    let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
    let client_ip = state.proxies.client_ip(peer.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()), request.headers());
    let line = Line::start(&method, request.uri(), client_ip);
    let cross_origin = class == Class::Api && request.headers().contains_key(header::ORIGIN);
    let preflight = if cross_origin { cors_preflight(&request) } else { None };
    let mut note = None;
    let mut response = match preflight {
        Some(preflight) => preflight,
        None => match check(&state, &mut request, class, unsafe_method, client_ip).await {
            Err(refusal) => refusal,
            Ok(()) => match limit_body(&state, request) {
                // API authentication notes how it ended; the answer is stamped from that, whatever the
                // handler did.
                Ok(request) if class == Class::Api => {
                    let (response, noted) = auth::stamped(client_ip, next.run(request)).await;
                    note = noted;
                    response
                }
                Ok(request) => next.run(request).await,
                Err(too_large) => *too_large,
            },
        },
    };
    finish(&state, &mut response, class, cross_origin);
    state.log.write(line.finish(&response, started.elapsed(), note));
    response
}

/// Bodies are limited to [`super::MAX_BODY_BYTES`]: refused at once when the announced length is
/// larger, cut off when a streamed one grows larger. (Safe methods' bodies are left alone: nothing reads
/// them.)
fn limit_body(state: &ServerState, request: Request) -> Result<Request, Box<Response>> {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(request);
    }
    // GitHub's secret-scanning reports come in batches of up to a few thousand secrets: a larger body
    // only while that intake is on, and for a request that carries its signature.
    let max = if request.uri().path() == super::api::leaks::GITHUB_PATH
        && state.leaks.github_enabled()
        && request.headers().contains_key("github-public-key-signature")
    {
        super::api::leaks::GITHUB_MAX_BODY_BYTES
    } else {
        super::MAX_BODY_BYTES
    };
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max as u64) {
        return Err(Box::new(super::errors::ApiError(super::errors::too_large_at(max)).into_response()));
    }
    Ok(request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, max))))
}

async fn check(
    state: &ServerState,
    request: &mut Request,
    class: Class,
    unsafe_method: bool,
    client_ip: std::net::IpAddr,
) -> Result<(), Response> {
    let web = &state.app.web;
    if unsafe_method && !host_allowed(request.headers(), web) {
        tracing::warn!(path = %super::reqlog::redact_path(request.uri().path()), "request for another host refused");
        return Err(error_of(
            ErrorKind::Forbidden,
            "This request names a host this server doesn't answer to. Use the address Tessera is configured with.",
        ));
    }
    if !matches!(class, Class::Page | Class::ServerFn) {
        return Ok(());
    }
    if unsafe_method && !is_same_site(request.headers(), web) {
        tracing::warn!(path = %super::reqlog::redact_path(request.uri().path()), "cross-site request refused");
        return Err(error_of(
            ErrorKind::CrossSiteRequest,
            "This request came from another site and was refused. Submit the form from Tessera itself.",
        ));
    }
    let origin = Origin::new(Some(client_ip), request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()));
    let cookie = cookies::session_of(web, request.headers());
    let identity = match cookie {
        Some(value) => match sessions::resolve(&state.app.core, &value).await {
            Ok(found) => found.map(Arc::new),
            Err(e) => return Err(super::errors::ApiError(e).into_response()),
        },
        None => None,
    };
    let signed_in = match &identity {
        None => SignedIn::No,
        Some(identity) if identity.current.is_none() => SignedIn::InNoOrganization,
        Some(_) => SignedIn::Member,
    };
    request.extensions_mut().insert(RequestContext { identity, origin });
    if class != Class::Page {
        return Ok(());
    }
    let target =
        request.uri().path_and_query().map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
    page_gates(state, request.uri().path().to_owned(), target, request.method() == Method::POST, signed_in).await
}

/// Who asks for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignedIn {
    No,
    /// Signed in, but a member of no organization (removed from their only one): the one page for them
    /// is creating one (it says to ask for an invitation too).
    InNoOrganization,
    Member,
}

async fn page_gates(
    state: &ServerState,
    path: String,
    target: String,
    post: bool,
    who: SignedIn,
) -> Result<(), Response> {
    let signed_in = who != SignedIn::No;
    let path = path.as_str();
    let to = |target: &str| {
        if post { Redirect::to(target).into_response() } else { Redirect::temporary(target).into_response() }
    };
    match state.app.setup_complete().await {
        Err(e) => return Err(super::errors::ApiError(e).into_response()),
        Ok(false) if path != SETUP_URL => return Err(to(SETUP_URL)),
        Ok(false) => return Ok(()),
        Ok(true) if path == SETUP_URL => return Err(to(LOGIN_URL)),
        Ok(true) => {}
    }
    if post {
        // A form's post goes to its server function, whatever page it came from.
    } else if who == SignedIn::InNoOrganization
        && (path == HOME_URL || path == LOGIN_URL || path.starts_with(SETTINGS_URL))
    {
        return Err(Redirect::to(NEW_ORG_URL).into_response());
    } else if who == SignedIn::Member && (path == HOME_URL || path == LOGIN_URL) {
        // The signed-in have no use for the start page: their tokens (303, as after a form).
        return Err(Redirect::to(TOKENS_URL).into_response());
    }
    if path.starts_with(SIGNED_IN_AREA) && !signed_in {
        return Err(to(&login_then(&target)));
    }
    Ok(())
}

/// The host names this server answers state-changing requests for.
pub fn host_allowed(headers: &HeaderMap, web: &app::state::WebSettings) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    match &web.public_origin {
        Some(origin) => origin.split_once("://").is_some_and(|(_, authority)| authority == host),
        None => {
            let name = match host.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or(""),
                None => host.rsplit_once(':').map_or(host.as_str(), |(name, port)| {
                    if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host.as_str() }
                }),
            };
            let listen = web.listen.ip();
            matches!(name, "localhost" | "127.0.0.1" | "::1")
                || name.ends_with(".localhost")
                || (!listen.is_unspecified() && name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip == listen))
        }
    }
}

/// Does this unsafe request come from the dashboard itself?
pub fn is_same_site(headers: &HeaderMap, web: &app::state::WebSettings) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    match &web.public_origin {
        Some(public) => origin.eq_ignore_ascii_case(public),
        // Without a configured public URL, the origin must name the host the request was sent to.
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            origin.split_once("://").is_some_and(|(_, rest)| !host.is_empty() && rest.eq_ignore_ascii_case(host))
        }
    }
}

const COOP: header::HeaderName = header::HeaderName::from_static("cross-origin-opener-policy");

/// The API answers browsers on any origin, as GitHub's does: it authenticates with token headers only,
/// never cookies, so another site gains nothing it could not do with the token itself. The token's
/// expiry header is exposed so browser clients can warn before it lapses. (`*` is the same for every
/// origin, so no `Vary` is needed; requests without `Origin` pay nothing.)
fn cors_preflight(request: &Request) -> Option<Response> {
    if request.method() != Method::OPTIONS || !request.headers().contains_key(header::ORIGIN) {
        return None;
    }
    let asked = request.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, DELETE, OPTIONS"));
    if let Some(asked) = asked {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
    }
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("3600"));
    Some(response)
}

fn cors_answer(headers: &mut HeaderMap) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-tessera-token-expires-at, retry-after, www-authenticate"),
    );
}

fn finish(state: &ServerState, response: &mut Response, class: Class, cross_origin: bool) {
    let ok = response.status().is_success();
    let headers = response.headers_mut();
    headers.reserve(RESPONSE_HEADERS.saturating_sub(headers.len()));
    if cross_origin {
        cors_answer(headers);
    }
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(DEFAULT_CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(COOP, HeaderValue::from_static("same-origin"));
    if state.app.web.is_https() {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    // Pages, server functions and API answers may name people, tokens and addresses: never stored.
    // Assets under content-hashed names never change, so browsers keep them for a year.
    let caching = match class {
        Class::Asset if ok && state.app.leptos.hash_files => "public, max-age=31536000, immutable",
        Class::Asset => "no-cache",
        _ => "no-store",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    // Assets are served precompressed by what the browser accepts: shared caches must key on it.
    if class == Class::Asset && !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::state::WebSettings;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn web() -> WebSettings {
        WebSettings::local("127.0.0.1:3000".parse().unwrap())
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let s = web();
        assert!(is_same_site(&headers(&[("sec-fetch-site", "same-origin")]), &s));
        for other in ["none", "cross-site", "same-site"] {
            let mut h = HeaderMap::new();
            h.insert("sec-fetch-site", other.parse().unwrap());
            assert!(!is_same_site(&h, &s), "{other}");
        }
    }

    #[test]
    fn origin_is_compared_without_fetch_metadata() {
        let s = web();
        assert!(is_same_site(&headers(&[("origin", "http://t.local:3000"), ("host", "t.local:3000")]), &s));
        assert!(!is_same_site(&headers(&[("origin", "http://evil.example"), ("host", "t.local:3000")]), &s));
        assert!(!is_same_site(&headers(&[("origin", "null"), ("host", "t.local:3000")]), &s));
        let public = WebSettings { public_origin: Some("https://t.example.com".into()), ..web() };
        assert!(is_same_site(&headers(&[("origin", "https://t.example.com")]), &public));
        assert!(!is_same_site(&headers(&[("origin", "http://t.example.com")]), &public));
        assert!(is_same_site(&HeaderMap::new(), &s), "not a browser");
    }

    #[test]
    fn hosts() {
        let s = web();
        for ok in ["127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000", "app.localhost:8080"] {
            assert!(host_allowed(&headers(&[("host", ok)]), &s), "{ok}");
        }
        for bad in
            ["rebind.attacker.example", "rebind.attacker.example:3000", "10.0.0.5:3000", "localhost.attacker.example"]
        {
            assert!(!host_allowed(&headers(&[("host", bad)]), &s), "{bad}");
        }
        assert!(!host_allowed(&HeaderMap::new(), &s));
        let lan = WebSettings::local("10.0.0.5:3000".parse().unwrap());
        assert!(host_allowed(&headers(&[("host", "10.0.0.5:3000")]), &lan));
        let public = WebSettings { public_origin: Some("https://t.example.com".into()), ..web() };
        assert!(host_allowed(&headers(&[("host", "t.example.com")]), &public));
        assert!(!host_allowed(&headers(&[("host", "127.0.0.1:3000")]), &public));
    }

    #[test]
    fn classes() {
        assert_eq!(classify("/api/v1/whoami"), Class::Api);
        assert_eq!(classify("/pkg/tessera.abc.wasm"), Class::Asset);
        assert_eq!(classify("/rpc/tokens/create"), Class::ServerFn);
        assert_eq!(classify("/healthz"), Class::Health);
        assert_eq!(classify("/app/settings/api"), Class::Page);
    }
}
