//! Token authentication for `/api/v1`: both headers on every request, the same 401 for every failure,
//! limits on failing requests only, and the token's expiry on every authenticated answer.

use super::super::{ServerState, errors::ApiError, gate::AuthNote};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use std::net::{IpAddr, SocketAddr};
use tessera_core::{
    identity::{ActingToken, Caller, Origin},
    ids::TokenId,
    services::authenticate::authenticate,
    verify::{ApiIdentity, AuthFailure, Outcome},
};

/// Tells clients when their token lapses, so they can warn before it does.
pub const EXPIRES_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-expires-at");

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

    /// The answer, stamped with the token's expiry (success or not: the request was authenticated).
    pub fn respond(&self, answer: impl IntoResponse) -> Response {
        let mut response = answer.into_response();
        if let Ok(expires) = HeaderValue::from_str(&self.identity.expires_rfc3339) {
            response.headers_mut().insert(EXPIRES_HEADER, expires);
        }
        response.extensions_mut().insert(AuthNote { token: Some(self.identity.token_id), outcome: "ok" });
        response
    }
}

impl FromRequestParts<ServerState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Response> {
        let core = &state.app.core;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
        let ip = state.proxies.client_ip(peer.unwrap_or(IpAddr::from([0, 0, 0, 0])), &parts.headers);
        let origin = Origin::new(Some(ip), header(&parts.headers, &header::USER_AGENT));
        let web = &state.app.web;
        let id = header(&parts.headers, &web.token_id_header);
        let secret = header(&parts.headers, &web.token_secret_header);

        let failure = match authenticate(core, id, secret, &origin).await {
            Ok(identity) => {
                core.verifier.count(Outcome::Ok);
                return Ok(ApiCaller { identity, origin });
            }
            Err(failure) => failure,
        };
        // Only a well-formed id is logged or counted: whatever else was sent could be anything, a secret included.
        let token: Option<TokenId> = id.and_then(|id| id.parse().ok());
        if failure == AuthFailure::Unavailable {
            core.verifier.count(Outcome::Failed(failure));
            let mut response = ApiError(tessera_core::Error::unavailable("token lookup")).into_response();
            response.extensions_mut().insert(AuthNote { token, outcome: Outcome::Failed(failure).label() });
            return Err(response);
        }
        // Failing requests are limited per client (IPv6 per /64) and per Token ID; valid ones never are.
        let now = core.clock.now().millis();
        let client_key = super::super::client::limit_key(ip);
        let limited = state
            .failures_by_client
            .blocked(&client_key, now)
            .or_else(|| token.and_then(|t| state.failures_by_token.blocked(&t, now)));
        state.failures_by_client.record(&client_key, now);
        if let Some(t) = token {
            state.failures_by_token.record(&t, now);
        }
        let (mut response, outcome) = match limited {
            Some(retry_after) => {
                let mut response = ApiError(tessera_core::Error::rate_limited(retry_after).with_message(format!(
                    "Too many failed authentications from this address or for this token. Try again in {retry_after} seconds."
                )))
                .into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                (response, Outcome::RateLimited)
            }
            None => (state.unauthorized.response(), Outcome::Failed(failure)),
        };
        core.verifier.count(outcome);
        if outcome == Outcome::RateLimited {
            tracing::debug!(%ip, "failing API authentications limited");
        }
        response.extensions_mut().insert(AuthNote { token, outcome: outcome.label() });
        Err(response)
    }
}
