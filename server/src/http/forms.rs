//! Post/Redirect/Get for the dashboard's forms in a browser without JavaScript.
//!
//! Every form posts to its server function's own URL (`/rpc/…`), as Leptos's `ActionForm` does. A
//! browser's form post (a navigation: `Sec-Fetch-Mode: navigate`, or without it an `Accept` that prefers
//! HTML to JSON) is run exactly as a JavaScript call (the request is rewritten to ask for JSON and handed
//! to the real server-function handler), and answered `303 See Other`:
//!
//! - where the function sent the browser, if it did (signing in or out, switching organization), with
//!   its cookies;
//! - else back to the page the form was on (the `Referer`, when it is a page of this site), or the page
//!   that alone shows the function's secret ([`shown_only_on`]), or the tokens page.
//!
//! The outcome travels to that one GET in a flash cookie ([`flash`]): sealed with ChaCha20-Poly1305
//! under a key derived from the server key, scoped to the page's path, `HttpOnly`, `SameSite=Strict`,
//! `Secure` over HTTPS, bound to the browser's session, gone after a minute (an expiry is sealed inside
//! too), and cleared by the page that shows it. So a reload repeats nothing and shows nothing, and a
//! secret is never in a URL, a log line or the browser's history. A failure comes back with what was
//! typed (never passwords, secrets or codes), so the form shows it beside the error.
//!
//! No list of functions: any server function works this way, including ones added later.

use super::{
    MAX_BODY_BYTES, ServerState,
    errors::error_of,
    gate::{Class, classify},
};
use app::{
    error::AppError,
    forms::PostedOutcome,
    routes::{SIGNED_IN_AREA, TOKENS_URL},
    state::WebSettings,
};
use axum::{
    body::Body,
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tessera_core::{ErrorKind, domain::redirect::same_site_path};
use tower::{Layer, Service};

/// A function's answer is read up to this size (every answer is a few kilobytes at most).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// Around the pages and server functions (inside compression, so answers are read uncompressed).
#[derive(Clone)]
pub struct FormsLayer(ServerState);

impl FormsLayer {
    pub fn new(state: &ServerState) -> Self {
        Self(state.clone())
    }
}

impl<S> Layer<S> for FormsLayer {
    type Service = FormsService<S>;
    fn layer(&self, inner: S) -> FormsService<S> {
        FormsService { state: self.0.clone(), inner }
    }
}

#[derive(Clone)]
pub struct FormsService<S> {
    state: ServerState,
    inner: S,
}

impl<S> Service<Request> for FormsService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answer {
        // The service that was polled ready serves this request; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        if is_browser_form_post(&request) {
            Box::pin(async move { Ok(post_redirect_get(&state, request, inner).await) })
        } else if request.method() == Method::GET
            && classify(request.uri().path()) == Class::Page
            && flash::is_in(&state.app.web, request.headers())
        {
            Box::pin(async move { Ok(show_once(&state, request, inner).await) })
        } else {
            let answer = inner.call(request);
            Box::pin(answer)
        }
    }
}

/// A form a browser posted to a server function by navigating (not JavaScript's `fetch`).
pub fn is_browser_form_post(request: &Request) -> bool {
    request.method() == Method::POST
        && classify(request.uri().path()) == Class::ServerFn
        && is_form(request.headers())
        && is_navigation(request.headers())
}

fn is_form(headers: &HeaderMap) -> bool {
    let Some(kind) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = kind.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        || essence.eq_ignore_ascii_case("multipart/form-data")
}

/// `Sec-Fetch-Mode: navigate` where the browser says (every current one does); else an `Accept` that
/// prefers HTML to JSON, as a browser's navigation asks and `fetch` doesn't.
fn is_navigation(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-mode") {
        Some(mode) => mode.as_bytes().eq_ignore_ascii_case(b"navigate"),
        None => headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(prefers_html),
    }
}

/// Does this `Accept` rank `text/html` (named, not by a wildcard) above JSON?
fn prefers_html(accept: &str) -> bool {
    let (mut html, mut json, mut application, mut any) = (None, None, None, None);
    for range in accept.split(',') {
        let mut params = range.split(';');
        let media = params.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = params
            .find_map(|p| p.trim().strip_prefix("q=").map(|q| q.trim().parse::<f32>().unwrap_or(0.0)))
            .unwrap_or(1.0);
        let slot = match media.as_str() {
            "text/html" => &mut html,
            "application/json" => &mut json,
            "application/*" => &mut application,
            "*/*" => &mut any,
            _ => continue,
        };
        slot.get_or_insert(q);
    }
    let html = html.unwrap_or(0.0);
    html > 0.0 && html > json.or(application).or(any).unwrap_or(0.0)
}

async fn post_redirect_get<S>(state: &ServerState, request: Request, mut inner: S) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let (mut parts, body) = request.into_parts();
    let Ok(form) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return error_of(ErrorKind::TooLarge, "The form was too large.");
    };
    let web = &state.app.web;
    let fn_path = parts.uri.path().to_owned();
    let back = page_posted_from(&parts.headers, web);
    let session = flash::session_tag(web, &parts.headers);
    // The real handler, answering as it answers JavaScript: a redirect is a `Location` header, not a 302.
    parts.headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let answer = match inner.call(Request::from_parts(parts, Body::from(form.clone()))).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    let (answer, body) = answer.into_parts();
    let cookies: Vec<HeaderValue> = answer.headers.get_all(header::SET_COOKIE).iter().cloned().collect();

    // The function sent the browser somewhere (signed in, signed out, switched): there it goes.
    if let Some(location) = answer.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()) {
        let to = same_site_path(location).unwrap_or_else(|| TOKENS_URL.to_owned());
        return see_other(&to, cookies);
    }

    let ok = answer.status.is_success() && !answer.headers.contains_key("serverfnerror");
    let json = match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(bytes) if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() => {
            format!("{{\"{}\":{}}}", if ok { "Ok" } else { "Err" }, String::from_utf8_lossy(&bytes))
        }
        // Not a server function's answer (an unknown path, a body the handler refused).
        _ => outcome_error(AppError::of(
            ErrorKind::Invalid,
            "This form could not be sent. Reload the page and try again.",
        )),
    };
    let kept = if ok {
        Vec::new()
    } else {
        PostedOutcome::keep(&serde_urlencoded::from_bytes::<Vec<(String, String)>>(&form).unwrap_or_default())
    };

    // Back to the page the form was on (with its query after a failure, so an open form stays open),
    // unless only one page shows this function's secret.
    let (page, target) = match (shown_only_on(&fn_path), back) {
        (Some(page), _) => (page.to_owned(), page.to_owned()),
        (None, Some(back)) => {
            let target = if ok { back.path.clone() } else { format!("{}{}", back.path, back.query) };
            (back.path, target)
        }
        (None, None) => (TOKENS_URL.to_owned(), TOKENS_URL.to_owned()),
    };
    // Sudo mode: the confirmation page first, which then returns to the form's page (whose flash keeps
    // what was typed).
    let reauthenticate =
        !ok && answer.status == StatusCode::FORBIDDEN && json.contains("\"reauthentication_required\"");
    let target = match reauthenticate {
        true => format!(
            "{}?{}",
            app::routes::CONFIRM_IDENTITY_URL,
            serde_urlencoded::to_string([("back", target.as_str())]).unwrap_or_default()
        ),
        false => target,
    };
    let mut response = see_other(&target, cookies);
    // A session that ended: the page asks to sign in again, with nothing to carry.
    if answer.status == StatusCode::UNAUTHORIZED && page.starts_with(SIGNED_IN_AREA) {
        return response;
    }
    let outcome = PostedOutcome { fn_path, json, kept };
    for cookie in flash::set_cookies(state, &page, &session, outcome) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn outcome_error(error: AppError) -> String {
    serde_json::to_string(&Err::<(), _>(error)).unwrap_or_default()
}

fn see_other(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A page of this site, split into its path and query (`?…`, or empty).
#[derive(Debug, PartialEq, Eq)]
struct Back {
    path: String,
    query: String,
}

/// The page a form was posted from: the `Referer`, if it is a page of this site. (Our Referrer-Policy,
/// `strict-origin-when-cross-origin`, sends same-origin posts' full path.)
fn page_posted_from(headers: &HeaderMap, web: &WebSettings) -> Option<Back> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let rest = match &web.public_origin {
        Some(origin) => strip_prefix_ignore_case(referer, origin)?,
        None => {
            let host = headers.get(header::HOST)?.to_str().ok()?;
            let authority = strip_prefix_ignore_case(referer, "http://")
                .or_else(|| strip_prefix_ignore_case(referer, "https://"))?;
            strip_prefix_ignore_case(authority, host)?
        }
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let rest = if rest.is_empty() { "/" } else { rest };
    let safe = same_site_path(rest)?;
    let (path, query) = match safe.find('?') {
        Some(at) => (safe[..at].to_owned(), safe[at..].to_owned()),
        None => (safe, String::new()),
    };
    (classify(&path) == Class::Page).then_some(Back { path, query })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// A page's GET with a flash cookie: the outcome is provided to the page (through the request's
/// extensions, where the pages' Leptos context finds it) and the cookie is cleared in the same answer.
async fn show_once<S>(state: &ServerState, mut request: Request, mut inner: S) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let path = request.uri().path().to_owned();
    if let Some(outcome) = flash::take(state, &path, request.headers()) {
        request.extensions_mut().insert(outcome);
    }
    let clear = flash::clear_cookies(&state.app.web, &path, request.headers());
    let mut response = match inner.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    for cookie in clear {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The server functions whose outcome reveals a secret, with the one page that shows it. Posted from
/// anywhere else, they still answer with that page, so a credential is never created (or rotated)
/// without its secret being shown.
fn shown_only_on(fn_path: &str) -> Option<&'static str> {
    use app::{
        orgs::InviteMember,
        routes::{MEMBERS_URL, TOKENS_URL, WEBHOOKS_URL},
        tokens::{CreateToken, RotateToken},
        webhooks::AddWebhook,
    };
    use leptos::server_fn::ServerFn;
    [
        (CreateToken::PATH, TOKENS_URL),
        (RotateToken::PATH, TOKENS_URL),
        (AddWebhook::PATH, WEBHOOKS_URL),
        // The invitation link (when email is off) is the credential of the person invited.
        (InviteMember::PATH, MEMBERS_URL),
        // Recovery codes, shown once.
        (app::account::ConfirmTotp::PATH, app::routes::ACCOUNT_SECURITY_URL),
        (app::account::RegenerateRecoveryCodes::PATH, app::routes::ACCOUNT_SECURITY_URL),
    ]
    .into_iter()
    .find(|(path, _)| *path == fn_path)
    .map(|(_, page)| page)
}

/// The flash cookie: one outcome, sealed for one page, for a minute.
pub mod flash {
    use super::ServerState;
    use app::{error::AppError, forms::PostedOutcome, state::WebSettings};
    use axum::http::{HeaderMap, HeaderValue, header};
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use chacha20poly1305::{
        ChaCha20Poly1305, Key, KeyInit, Nonce,
        aead::{Aead, Payload},
    };
    use serde::{Deserialize, Serialize};
    use std::fmt;
    use tessera_core::{ErrorKind, crypto::ServerKey, crypto::random_bytes};

    /// How long the outcome waits for its page.
    pub const LIFETIME_SECS: i64 = 60;
    /// The largest cookie value sent: browsers keep a cookie's name and value up to 4096 bytes.
    pub const MAX_VALUE_BYTES: usize = 4000;
    const NONCE_BYTES: usize = 12;
    const TAG_BYTES: usize = 16;

    /// `__Secure-` over HTTPS: browsers then refuse it unless it is `Secure`. (Not `__Host-`, which
    /// requires `Path=/`; this cookie is scoped to its page.)
    pub fn cookie_name(web: &WebSettings) -> &'static str {
        if web.is_https() { "__Secure-tessera_flash" } else { "tessera_flash" }
    }

    /// The rest of an outcome too large for one cookie (a webhook with a 2,000-character URL and its
    /// secret): the sealed value continues in this one.
    fn overflow_name(web: &WebSettings) -> &'static str {
        if web.is_https() { "__Secure-tessera_flash2" } else { "tessera_flash2" }
    }

    /// What the cookie holds, sealed.
    #[derive(Serialize, Deserialize)]
    struct Sealed {
        /// The only page that may show it.
        page: String,
        /// Milliseconds since the epoch, by the server's clock.
        expires: i64,
        fn_path: String,
        json: String,
        kept: Vec<(String, String)>,
        /// The browser session it was made in ([`session_tag`]): another session's page never shows it.
        session: String,
    }

    impl fmt::Debug for Sealed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Sealed").field("page", &self.page).field("fn_path", &self.fn_path).finish_non_exhaustive()
        }
    }

    /// The cookie's key: the server key's HMAC of a label used for nothing else, so no other use of the
    /// server key (token secrets, webhook secrets, device cookies) can produce or read a flash.
    fn cipher(key: &ServerKey) -> ChaCha20Poly1305 {
        let key = key.sign(b"tessera flash cookie encryption key v1");
        ChaCha20Poly1305::new(Key::from_slice(&key))
    }

    /// Encrypted and authenticated; the cookie's name is authenticated with it (so an `http` flash is
    /// no `https` one).
    fn seal(cipher: &ChaCha20Poly1305, name: &str, sealed: &Sealed) -> Option<String> {
        let plain = serde_json::to_vec(sealed).ok()?;
        let nonce = random_bytes::<NONCE_BYTES>();
        let encrypted =
            cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: name.as_bytes() }).ok()?;
        let mut bytes = Vec::with_capacity(NONCE_BYTES + encrypted.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&encrypted);
        Some(URL_SAFE_NO_PAD.encode(bytes))
    }

    fn open(cipher: &ChaCha20Poly1305, name: &str, value: &str) -> Option<Sealed> {
        if value.len() > 2 * MAX_VALUE_BYTES {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return None;
        }
        let (nonce, encrypted) = bytes.split_at(NONCE_BYTES);
        let plain = cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: encrypted, aad: name.as_bytes() }).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    /// The sealed value in one cookie or, too large, two. Too large for one, the kept fields go first;
    /// the outcome itself (the secret) is never dropped. (If even two can't hold it, which no function's
    /// answer comes near, the page says the action was done but can't be shown.)
    fn encode(cipher: &ChaCha20Poly1305, name: &str, sealed: &mut Sealed) -> Option<(String, Option<String>)> {
        let value = seal(cipher, name, sealed)?;
        if value.len() <= MAX_VALUE_BYTES {
            return Some((value, None));
        }
        sealed.kept.clear();
        let mut value = seal(cipher, name, sealed)?;
        if value.len() > 2 * MAX_VALUE_BYTES {
            tracing::warn!(function = %sealed.fn_path, "a form's outcome was too large to show");
            let error = AppError::of(
                ErrorKind::Internal,
                "This was done, but its result was too large to show. Check the list before trying again.",
            );
            sealed.json = serde_json::to_string(&Err::<(), _>(error)).ok()?;
            value = seal(cipher, name, sealed)?;
        }
        if value.len() <= MAX_VALUE_BYTES {
            return Some((value, None));
        }
        let rest = value.split_off(MAX_VALUE_BYTES);
        Some((value, Some(rest)))
    }

    /// The `Set-Cookie` values carrying `outcome` to `page` (one, or two for a large one); none when
    /// `page` can't be a cookie's path.
    pub fn set_cookies(state: &ServerState, page: &str, session: &str, outcome: PostedOutcome) -> Vec<HeaderValue> {
        let web = &state.app.web;
        if !is_cookie_path(page) {
            return Vec::new();
        }
        let core = &state.app.core;
        let expires = core.clock.now().plus_ms(LIFETIME_SECS * 1000).millis();
        let PostedOutcome { fn_path, json, kept } = outcome;
        let mut sealed = Sealed { page: page.to_owned(), expires, fn_path, json, kept, session: session.to_owned() };
        let Some((value, rest)) = encode(&cipher(&core.key), cookie_name(web), &mut sealed) else {
            return Vec::new();
        };
        let cookie = |name: &str, value: &str| {
            HeaderValue::from_str(&format!("{name}={value}; Path={page}; Max-Age={LIFETIME_SECS}{}", attributes(web)))
                .ok()
        };
        [cookie(cookie_name(web), &value), rest.and_then(|rest| cookie(overflow_name(web), &rest))]
            .into_iter()
            .flatten()
            .collect()
    }

    /// The `Set-Cookie` values that remove the flash cookies of `page` the request carried.
    pub fn clear_cookies(web: &WebSettings, page: &str, headers: &HeaderMap) -> Vec<HeaderValue> {
        if !is_cookie_path(page) {
            return Vec::new();
        }
        [cookie_name(web), overflow_name(web)]
            .into_iter()
            .filter(|name| values(name, headers).next().is_some())
            .filter_map(|name| {
                HeaderValue::from_str(&format!("{name}=; Path={page}; Max-Age=0{}", attributes(web))).ok()
            })
            .collect()
    }

    fn attributes(web: &WebSettings) -> &'static str {
        if web.is_https() { "; HttpOnly; SameSite=Strict; Secure" } else { "; HttpOnly; SameSite=Strict" }
    }

    /// Only characters that can't end or extend a cookie attribute.
    fn is_cookie_path(page: &str) -> bool {
        page.starts_with('/') && page.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~%".contains(&b))
    }

    fn values<'a>(name: &'a str, headers: &'a HeaderMap) -> impl Iterator<Item = &'a str> + 'a {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(move |(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// Does the request carry a flash cookie at all?
    pub fn is_in(web: &WebSettings, headers: &HeaderMap) -> bool {
        values(cookie_name(web), headers).next().is_some()
    }

    /// Who may see a flash: this page, in this browser session, now.
    struct Audience<'a> {
        page: &'a str,
        session: &'a str,
        now: i64,
    }

    /// A digest of the request's session cookie (empty without one), sealed with the outcome: a flash
    /// shows only in the session it was made in (signing in or out in between makes it unreadable).
    pub fn session_tag(web: &WebSettings, headers: &HeaderMap) -> String {
        app::session::cookies::session_of(web, headers)
            .map(|id| tessera_core::crypto::sha256_hex(format!("tessera flash session v1|{id}").as_bytes()))
            .unwrap_or_default()
    }

    /// The outcome sealed for `page`, if the request's flash cookies hold it, unexpired. Anything else
    /// (tampered, expired, sealed by another key or for another page) is ignored.
    pub fn take(state: &ServerState, page: &str, headers: &HeaderMap) -> Option<PostedOutcome> {
        let web = &state.app.web;
        let core = &state.app.core;
        let now = core.clock.now().millis();
        let audience = Audience { page, session: &session_tag(web, headers), now };
        let sealed = find(&cipher(&core.key), cookie_name(web), overflow_name(web), headers, &audience)?;
        Some(PostedOutcome { fn_path: sealed.fn_path, json: sealed.json, kept: sealed.kept })
    }

    /// Each flash value alone, and followed by each overflow value (a browser may hold flashes of several
    /// pages whose paths all match): only the right one opens.
    fn find(
        cipher: &ChaCha20Poly1305,
        name: &str,
        overflow: &str,
        headers: &HeaderMap,
        audience: &Audience,
    ) -> Option<Sealed> {
        let rests: Vec<&str> = values(overflow, headers).take(4).collect();
        values(name, headers)
            .take(4)
            .flat_map(|value| {
                std::iter::once(value.to_owned()).chain(rests.iter().map(move |rest| format!("{value}{rest}")))
            })
            .filter_map(|value| open(cipher, name, &value))
            .find(|sealed| {
                sealed.page == audience.page && sealed.session == audience.session && audience.now < sealed.expires
            })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn sealed(json: String, kept: Vec<(String, String)>) -> Sealed {
            Sealed {
                session: "s".into(),
                page: "/app/settings/webhooks".into(),
                expires: 1_000,
                fn_path: "/rpc/webhooks/add".into(),
                json,
                kept,
            }
        }

        fn to(page: &str, now: i64) -> Audience<'_> {
            Audience { page, session: "s", now }
        }

        fn cookies(pairs: &[(&str, &str)]) -> HeaderMap {
            let line = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, line.parse().unwrap());
            h
        }

        #[test]
        fn cookie_paths() {
            for ok in ["/app/settings/api", "/invite/AbC-_09", "/login", "/"] {
                assert!(is_cookie_path(ok), "{ok}");
            }
            for bad in ["", "app", "/a;Domain=evil.example", "/a b", "/a,b", "/a\r\n"] {
                assert!(!is_cookie_path(bad), "{bad:?}");
            }
        }

        #[test]
        fn sealed_debug_hides_the_outcome() {
            let sealed = sealed("{\"Ok\":{\"secret\":\"tsr_x\"}}".into(), vec![("name".into(), "n".into())]);
            assert!(!format!("{sealed:?}").contains("tsr_x"));
        }

        /// The largest outcome any function has: a webhook with a URL of the longest length accepted,
        /// every event, and its secret. It takes two cookies; the secret survives; kept fields go first.
        #[test]
        fn a_large_outcome_keeps_its_secret() {
            let cipher = cipher(&ServerKey::generate());
            let url = format!("https://hooks.example.com/{}", "a1B2-".repeat(394));
            assert!(url.len() <= tessera_core::domain::webhook::WebhookUrl::MAX_LEN);
            let secret = format!("whsec_{}", "Q".repeat(44));
            let json = serde_json::json!({"Ok": {
                "entry": {"id": "0192f0c8-0000-7000-8000-000000000000", "url": url, "events": "token.*,member.*,org.*,webhook.*".repeat(12),
                    "created_at": 1, "failing_since": null, "paused_since": null, "paused_reason": "x".repeat(200)},
                "secret": secret,
            }})
            .to_string();
            let kept = vec![("url".to_owned(), url.clone())];
            let mut largest = sealed(json.clone(), kept.clone());
            let (first, rest) = encode(&cipher, "tessera_flash", &mut largest).unwrap();
            assert!(largest.kept.is_empty(), "the kept fields went first");
            let mut headers = vec![("tessera_flash", first.as_str())];
            headers.extend(rest.as_deref().map(|rest| ("tessera_flash2", rest)));
            let opened =
                find(&cipher, "tessera_flash", "tessera_flash2", &cookies(&headers), &to("/app/settings/webhooks", 0))
                    .unwrap();
            assert_eq!(opened.json, json, "the secret is whole");

            // Larger still (no function answers this much): two cookies, the secret whole.
            let json = serde_json::json!({"Ok": {"padding": "p".repeat(3000), "secret": secret}}).to_string();
            let mut big = sealed(json.clone(), kept);
            let (first, rest) = encode(&cipher, "tessera_flash", &mut big).unwrap();
            let rest = rest.expect("two cookies");
            assert!(first.len() <= MAX_VALUE_BYTES && rest.len() <= MAX_VALUE_BYTES);
            let headers = cookies(&[("tessera_flash", &first), ("tessera_flash2", &rest)]);
            let opened =
                find(&cipher, "tessera_flash", "tessera_flash2", &headers, &to("/app/settings/webhooks", 0)).unwrap();
            assert_eq!(opened.json, json, "the secret is whole");
            // Either half alone opens nothing.
            let half = cookies(&[("tessera_flash", &first)]);
            assert!(
                find(&cipher, "tessera_flash", "tessera_flash2", &half, &to("/app/settings/webhooks", 0)).is_none()
            );

            // A small one: one cookie, kept fields kept.
            let mut small = sealed("{\"Err\":{}}".into(), vec![("url".into(), "x".into())]);
            let (one, none) = encode(&cipher, "tessera_flash", &mut small).unwrap();
            assert!(none.is_none() && !small.kept.is_empty());
            // With another page's flash (and its overflow) beside it, each page finds its own.
            let headers = cookies(&[("tessera_flash", &one), ("tessera_flash", &first), ("tessera_flash2", &rest)]);
            let found = find(&cipher, "tessera_flash", "tessera_flash2", &headers, &to("/app/settings/webhooks", 0));
            assert!(found.is_some());
            assert!(find(&cipher, "tessera_flash", "tessera_flash2", &headers, &to("/app/settings/api", 0)).is_none());
            // In another session, nothing.
            let elsewhere = Audience { page: "/app/settings/webhooks", session: "t", now: 0 };
            assert!(find(&cipher, "tessera_flash", "tessera_flash2", &headers, &elsewhere).is_none());
            // Expired, or under another name (http against https), nothing.
            assert!(
                find(&cipher, "tessera_flash", "tessera_flash2", &headers, &to("/app/settings/webhooks", 1_000))
                    .is_none()
            );
            let renamed = cookies(&[("__Secure-tessera_flash", &one)]);
            assert!(find(&cipher, "__Secure-tessera_flash", "x", &renamed, &to("/app/settings/webhooks", 0)).is_none());
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
    fn navigations_are_told_from_fetch() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(is_navigation(&headers(&[("sec-fetch-mode", "navigate"), ("accept", "application/json")])));
        assert!(!is_navigation(&headers(&[("sec-fetch-mode", "cors"), ("accept", chrome)])));
        assert!(is_navigation(&headers(&[("accept", chrome)])));
        assert!(is_navigation(&headers(&[("accept", "text/html")])));
        for not in ["application/json", "*/*", "application/json, text/html;q=0.5", "text/html;q=0, */*", ""] {
            assert!(!is_navigation(&headers(&[("accept", not)])), "{not}");
        }
        assert!(!is_navigation(&HeaderMap::new()));
    }

    #[test]
    fn forms_by_content_type() {
        assert!(is_form(&headers(&[("content-type", "application/x-www-form-urlencoded")])));
        assert!(is_form(&headers(&[("content-type", "multipart/form-data; boundary=x")])));
        assert!(!is_form(&headers(&[("content-type", "application/json")])));
        assert!(!is_form(&HeaderMap::new()));
    }

    #[test]
    fn back_only_to_a_page_of_this_site() {
        let web = WebSettings::local("127.0.0.1:3000".parse().unwrap());
        let from =
            |referer: &'static str| page_posted_from(&headers(&[("referer", referer), ("host", "t.local:3000")]), &web);
        let back = |path: &str, query: &str| Some(Back { path: path.into(), query: query.into() });
        assert_eq!(from("http://t.local:3000/app/settings/members"), back("/app/settings/members", ""));
        assert_eq!(from("http://T.LOCAL:3000/login?next=/app#x"), back("/login", "?next=/app"));
        assert_eq!(from("http://t.local:3000"), back("/", ""));
        for refused in [
            "http://evil.example/app/settings/api",
            "http://t.local:3000.evil.example/app",
            "http://t.local:3000@evil.example/app",
            "http://t.local:3000//evil.example/",
            "http://t.local:3000/\\evil.example",
            "http://t.local:3000/%2F%2Fevil.example",
            "http://t.local:3000/rpc/tokens/create",
            "http://t.local:3000/api/v1/tokens",
            "/app/settings/api",
            "",
        ] {
            assert_eq!(from(refused), None, "{refused}");
        }
        let public = WebSettings { public_origin: Some("https://t.example.com".into()), ..web.clone() };
        let at = |referer: &'static str| page_posted_from(&headers(&[("referer", referer)]), &public);
        assert_eq!(at("https://t.example.com/app/settings/policy"), back("/app/settings/policy", ""));
        assert_eq!(at("http://t.example.com/app/settings/policy"), None);
        assert_eq!(at("https://t.example.com.evil.example/app"), None);
    }
}
