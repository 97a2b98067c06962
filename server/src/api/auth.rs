//! Token authentication for `/api/v1`: both headers on every request, the same 401 for every failure,
//! a per-address limit on failures, and the token's expiry on every authenticated answer.

use super::ApiError;
use crate::middleware::AuthNote;
use app::{
    platform::{request::forwarded_client, state::AppState},
    tokens::auth::{ApiIdentity, AuthFailure, AuthOutcome, verify},
};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, HeaderName, header, request::Parts},
    response::{IntoResponse, Response},
};
use std::net::{IpAddr, SocketAddr};

/// Tells clients when their token lapses, so they can warn before it does.
pub const EXPIRES_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-expires-at");

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The authenticated caller. Extracting it authenticates the request; an endpoint that takes it answers
/// 401 (or 429) for anything less than a valid token, before any of its own work.
pub struct ApiCaller(pub ApiIdentity);

impl std::ops::Deref for ApiCaller {
    type Target = ApiIdentity;
    fn deref(&self) -> &ApiIdentity {
        &self.0
    }
}

impl ApiCaller {
    /// The answer, stamped with the token's expiry (success or not: the request was authenticated).
    pub fn respond(&self, answer: impl IntoResponse) -> Response {
        let mut response = answer.into_response();
        response.headers_mut().insert(EXPIRES_HEADER, self.0.expires_header.clone());
        response.extensions_mut().insert(AuthNote { token: Some(self.0.token_id), outcome: "ok", refused_ip: None });
        response
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let auth = &state.token_auth;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
        let ip = forwarded_client(
            &parts.headers,
            peer.unwrap_or(IpAddr::from([0, 0, 0, 0])),
            state.settings.trusted_proxy_hops,
        );
        let now = state.clock.now();

        if let Some(retry_after) = auth.limiter.blocked(ip, now) {
            auth.count(AuthOutcome::RateLimited);
            tracing::warn!(%ip, "API authentication failures from this address are being limited");
            let mut response = ApiError::RateLimited(retry_after).into_response();
            response.extensions_mut().insert(AuthNote { token: None, outcome: "rate_limited", refused_ip: Some(ip) });
            return Err(response);
        }

        let id = header(&parts.headers, &state.settings.token_id_header);
        let secret = header(&parts.headers, &state.settings.token_secret_header);
        let user_agent = header(&parts.headers, &header::USER_AGENT);
        match verify(state, id, secret, ip, user_agent).await {
            Ok(identity) => {
                auth.count(AuthOutcome::Ok);
                Ok(ApiCaller(identity))
            }
            Err(failure) => {
                auth.count(AuthOutcome::Failed(failure));
                // Only a well-formed id is logged: whatever else was sent could be anything, a secret included.
                let token = id.and_then(|id| id.trim().parse().ok());
                let mut response = if failure == AuthFailure::Unavailable {
                    ApiError::App(app::error::AppError::Unavailable).into_response()
                } else {
                    auth.limiter.record(ip, now);
                    ApiError::Unauthorized.into_response()
                };
                response.extensions_mut().insert(AuthNote { token, outcome: failure.label(), refused_ip: Some(ip) });
                Err(response)
            }
        }
    }
}
