//! Token authentication for `/api/v1`: both headers on every request, the same 401 for every failure,
//! a per-address limit on failures, and the token's expiry on every authenticated answer.

use super::ApiError;
use crate::metrics::Metrics;
use app::{
    platform::{request::forwarded_client, state::AppState},
    time::{MINUTE_MS, Timestamp},
    tokens::auth::{ApiIdentity, AuthFailure, verify},
};
use axum::{
    Extension,
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

/// Tells clients when their token lapses, so they can warn before it does.
pub const EXPIRES_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-expires-at");

/// Counts failed authentications per client address in one-minute windows.
#[derive(Debug)]
pub struct FailureLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl FailureLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Seconds to wait, if this address has used up its failures for the current minute.
    fn blocked(&self, ip: IpAddr, now: Timestamp) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        let window = now.millis() / MINUTE_MS;
        match self.windows.lock().get(&ip) {
            Some(&(w, count)) if w == window && count >= self.per_minute => {
                Some((((window + 1) * MINUTE_MS - now.millis()).max(1_000) as u64).div_ceil(1_000))
            }
            _ => None,
        }
    }

    fn record(&self, ip: IpAddr, now: Timestamp) {
        if self.per_minute == 0 {
            return;
        }
        let window = now.millis() / MINUTE_MS;
        let mut windows = self.windows.lock();
        // Bounded memory: an address that failed in an earlier minute no longer matters.
        if windows.len() > 100_000 {
            windows.retain(|_, (w, _)| *w == window);
        }
        let entry = windows.entry(ip).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Authenticates the request, hands the identity to the handler, and stamps the expiry on the answer.
pub async fn authenticate(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<FailureLimiter>>,
    Extension(metrics): Extension<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
    let ip = forwarded_client(
        request.headers(),
        peer.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        state.settings.trusted_proxy_hops,
    );
    let now = state.clock.now();
    let span = tracing::Span::current();

    if let Some(retry_after) = limiter.blocked(ip, now) {
        metrics.auth_outcome("rate_limited");
        span.record("auth", tracing::field::display("rate_limited"));
        tracing::warn!(%ip, "API authentication failures from this address are being limited");
        return ApiError::RateLimited(retry_after).into_response();
    }

    let headers = request.headers();
    let id = header(headers, &state.settings.token_id_header);
    let secret = header(headers, &state.settings.token_secret_header);
    let user_agent =
        headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(256).collect());
    match verify(&state, id, secret, ip, user_agent).await {
        Ok(identity) => {
            metrics.auth_outcome("ok");
            span.record("token", tracing::field::display(identity.token_id));
            span.record("auth", tracing::field::display("ok"));
            let expires_at = identity.expires_at;
            request.extensions_mut().insert(identity);
            let mut response = next.run(request).await;
            if let Ok(value) = HeaderValue::from_str(&expires_at.rfc3339()) {
                response.headers_mut().insert(EXPIRES_HEADER, value);
            }
            response
        }
        Err(failure) => {
            metrics.auth_outcome(failure.label());
            // Only well-formed ids are logged: a malformed "id" could be anything, a secret included.
            if let Some(id) = id.filter(|_| failure != AuthFailure::MalformedId && failure != AuthFailure::Missing) {
                span.record("token", tracing::field::display(id.trim()));
            }
            span.record("auth", tracing::field::display(failure.label()));
            tracing::info!(%ip, reason = %failure, "API authentication refused");
            if failure == AuthFailure::Unavailable {
                return ApiError::App(app::error::AppError::Unavailable).into_response();
            }
            limiter.record(ip, now);
            ApiError::Unauthorized.into_response()
        }
    }
}

/// The authenticated caller, for handlers behind [`authenticate`].
pub type Caller = Extension<ApiIdentity>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_limited_per_address_per_minute() {
        let limiter = FailureLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t = Timestamp(10 * MINUTE_MS + 15_000);
        for _ in 0..3 {
            assert_eq!(limiter.blocked(a, t), None);
            limiter.record(a, t);
        }
        assert_eq!(limiter.blocked(a, t), Some(45));
        assert_eq!(limiter.blocked(b, t), None, "another address is not affected");
        assert_eq!(limiter.blocked(a, Timestamp(11 * MINUTE_MS)), None, "the next minute starts afresh");
        assert_eq!(FailureLimiter::new(0).blocked(a, t), None);
    }
}
