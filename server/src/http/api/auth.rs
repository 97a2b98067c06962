//! Token authentication for `/api/v1`: both headers on every request, the same 401 for every failure,
//! limits on failing requests only, and the token's expiry on every authenticated answer.
//!
//! The gate runs every API request with an [`AuthSlot`] ([`stamped`]); [`ApiCaller`] fills it with how
//! authentication ended, and the gate stamps the answer from it on the way out (the expiry header, the
//! log line's note), whatever the handler answered: no handler has to remember.

use super::super::{ServerState, errors::ApiError, reqlog::AuthNote};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use std::{
    cell::Cell,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};
use tessera_core::{
    identity::{ActingToken, Caller, Origin},
    ids::TokenId,
    services::authenticate::authenticate,
    verify::{ApiIdentity, AuthFailure, Outcome, rate::RateState},
};

/// Tells clients when their token lapses, so they can warn before it does.
pub const EXPIRES_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-expires-at");

/// One API request's authentication, shared by the gate (which gives it the client's address it
/// already worked out, and reads it when the answer leaves) and [`ApiCaller`] (which fills it in).
///
/// It lives in the gate's own future, as a task-local value for the time the request is handled (the
/// handler, and its extractors, run in that task): no allocation, no request extension.
pub struct AuthSlot {
    client_ip: IpAddr,
    ended: Cell<Option<Ended>>,
}

struct Ended {
    note: AuthNote,
    /// The token's expiry (RFC 3339), when it was valid.
    expires: Option<Arc<str>>,
    /// A token with a rate limit: where this request left its minute (the `RateLimit` headers).
    rate: Option<RateState>,
}

/// The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers): the policy, and what is left.
pub const RATE_LIMIT_POLICY_HEADER: HeaderName = HeaderName::from_static("ratelimit-policy");
pub const RATE_LIMIT_HEADER: HeaderName = HeaderName::from_static("ratelimit");

/// Adds `RateLimit-Policy: "token";q=<limit>;w=60` and `RateLimit: "token";r=<remaining>;t=<seconds>`.
/// Only answers of tokens with a rate limit get them, so an unrestricted token formats nothing.
pub fn rate_headers(headers: &mut HeaderMap, state: RateState) {
    // Written into a stack buffer: the only allocation is each header value's own.
    fn value(first: &[u8], a: u32, second: &[u8], b: u32) -> Option<HeaderValue> {
        let (mut buf, mut len) = ([0u8; 48], 0);
        let (mut x, mut y) = (itoa::Buffer::new(), itoa::Buffer::new());
        for part in [first, x.format(a).as_bytes(), second, y.format(b).as_bytes()] {
            buf.get_mut(len..len + part.len())?.copy_from_slice(part);
            len += part.len();
        }
        HeaderValue::from_bytes(&buf[..len]).ok()
    }
    if let Some(v) = value(b"\"token\";q=", state.limit, b";w=", 60) {
        headers.insert(RATE_LIMIT_POLICY_HEADER, v);
    }
    if let Some(v) = value(b"\"token\";r=", state.remaining, b";t=", state.reset_secs) {
        headers.insert(RATE_LIMIT_HEADER, v);
    }
}

tokio::task_local! {
    static AUTH: AuthSlot;
}

/// Handles an API request (`answer`) with a slot for its authentication, then stamps the answer,
/// success or not, with the token's expiry; the note is for the request's log line.
pub async fn stamped(client_ip: IpAddr, answer: impl Future<Output = Response>) -> (Response, Option<AuthNote>) {
    let mut scoped = std::pin::pin!(AUTH.scope(AuthSlot { client_ip, ended: Cell::new(None) }, answer));
    let mut response = scoped.as_mut().await;
    let Some(ended) = scoped.as_mut().take_value().and_then(|slot| slot.ended.into_inner()) else {
        return (response, None);
    };
    if let Some(expires) = ended.expires.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
        response.headers_mut().insert(EXPIRES_HEADER, expires);
    }
    if let Some(rate) = ended.rate {
        rate_headers(response.headers_mut(), rate);
    }
    (response, Some(ended.note))
}

/// The client's address, as the gate worked it out (trusted proxies, `X-Forwarded-For`), for an API
/// request (outside [`stamped`], none).
pub fn client_ip() -> Option<IpAddr> {
    AUTH.try_with(|slot| slot.client_ip).ok()
}

/// Notes how authentication ended, for [`stamped`] (outside it, as in a test of the router alone, nothing).
fn fill(token: Option<TokenId>, outcome: Outcome, expires: Option<Arc<str>>, rate: Option<RateState>) {
    let _ = AUTH.try_with(|slot| {
        slot.ended.set(Some(Ended { note: AuthNote { token, outcome: outcome.label() }, expires, rate }))
    });
}

/// The single answer to every authentication failure, built once with the configured header names.
#[derive(Clone)]
pub struct Unauthorized {
    body: Bytes,
}

impl Unauthorized {
    pub fn new(id_header: &str, secret_header: &str) -> Self {
        let body = tessera_core::ErrorBody {
            error: tessera_core::ErrorKind::Unauthorized,
            message: unauthorized_message(id_header, secret_header),
            field: None,
            retry_after_secs: None,
        };
        Self { body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()) }
    }

    fn response(&self) -> Response {
        crate::http::json_response(StatusCode::UNAUTHORIZED, self.body.clone())
    }
}

pub fn unauthorized_message(id_header: &str, secret_header: &str) -> String {
    format!(
        "A valid API token is required: send its Token ID and Token Secret in the {id_header} and {secret_header} \
         headers. Tokens are created in the dashboard under Settings \u{2192} API Tokens."
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The authenticated caller. Extracting it authenticates the request; an endpoint that takes it answers
/// 401 (or 429) for anything less than a valid token, before any of its own work.
pub struct ApiCaller {
    pub identity: ApiIdentity,
    pub origin: Origin,
}

impl ApiCaller {
    /// The token's creator, acting through it.
    pub fn caller(&self) -> Caller {
        let token = ActingToken { id: self.identity.token_id, replaced: self.identity.replaced };
        Caller::token((*self.identity.member).clone(), token, self.origin.clone())
    }
}

impl FromRequestParts<ServerState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Response> {
        let core = &state.app.core;
        let ip = AUTH.try_with(|slot| slot.client_ip).unwrap_or_else(|_| {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
            state.proxies.client_ip(peer.unwrap_or(IpAddr::from([0, 0, 0, 0])), &parts.headers)
        });
        let origin = Origin::new(Some(ip), header(&parts.headers, &header::USER_AGENT));
        let web = &state.app.web;
        let id = header(&parts.headers, &web.token_id_header);
        let secret = header(&parts.headers, &web.token_secret_header);

        let failure = match authenticate(core, id, secret, &origin).await {
            Ok(identity) => {
                core.verifier.count(Outcome::Ok);
                fill(Some(identity.token_id), Outcome::Ok, Some(identity.expires_rfc3339.clone()), identity.rate);
                return Ok(ApiCaller { identity, origin });
            }
            Err(failure) => failure,
        };
        // Only a well-formed id is logged or counted: whatever else was sent could be anything, a secret included.
        let token: Option<TokenId> = id.and_then(|id| id.parse().ok());
        let (response, outcome) = refusal(state, failure, token, ip);
        core.verifier.count(outcome);
        fill(token, outcome, None, None);
        Err(response)
    }
}

/// The answer to a failed authentication: 503 when the tokens can't be read, 429 for a client or
/// Token ID over its limit, the uniform 401 otherwise. Failing requests are limited per client (IPv6
/// per /64) and per Token ID; valid ones never are.
fn refusal(state: &ServerState, failure: AuthFailure, token: Option<TokenId>, ip: IpAddr) -> (Response, Outcome) {
    if failure == AuthFailure::Unavailable {
        let response = ApiError(tessera_core::Error::unavailable("token lookup")).into_response();
        return (response, Outcome::Failed(failure));
    }
    // A valid token over its own rate limit: 429, and not a failure (it counts against nobody's limit).
    if let AuthFailure::OverRateLimit { limit, retry_after } = failure {
        let mut response = ApiError(tessera_core::Error::rate_limited(u64::from(retry_after)).with_message(format!(
            "This token is limited to {limit} requests a minute. Try again in {retry_after} seconds."
        )))
        .into_response();
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        rate_headers(headers, RateState { limit, remaining: 0, reset_secs: retry_after });
        return (response, Outcome::Failed(failure));
    }
    let now = state.app.core.clock.now().millis();
    let client_key = super::super::client::limit_key(ip);
    let limited = state
        .failures_by_client
        .blocked(&client_key, now)
        .or_else(|| token.and_then(|t| state.failures_by_token.blocked(&t, now)));
    state.failures_by_client.record(&client_key, now);
    if let Some(t) = token {
        state.failures_by_token.record(&t, now);
    }
    match limited {
        Some(retry_after) => {
            tracing::debug!(%ip, "failing API authentications limited");
            let mut response = ApiError(tessera_core::Error::rate_limited(retry_after).with_message(format!(
                "Too many failed authentications from this address or for this token. Try again in {retry_after} seconds."
            )))
            .into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            (response, Outcome::RateLimited)
        }
        None => (state.unauthorized.response(), Outcome::Failed(failure)),
    }
}
