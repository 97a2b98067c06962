//! The HTTP request behind a server function: who is calling from where, cookies in and out, and the
//! status code of the answer.

use super::state::Settings;
use crate::error::AppError;
use axum::{
    extract::ConnectInfo,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client's address: the TCP peer, or, behind `trusted_proxy_hops` proxies, the address the outermost
/// trusted proxy saw (counted from the right of `X-Forwarded-For`, the only part a client can't forge).
pub fn client_ip(parts: &Parts, settings: &Settings) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip());
    forwarded_client(&parts.headers, peer, settings.trusted_proxy_hops)
}

pub fn forwarded_client(headers: &HeaderMap, peer: IpAddr, trusted_hops: u8) -> IpAddr {
    if trusted_hops == 0 {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    hops.len()
        .checked_sub(usize::from(trusted_hops))
        .and_then(|i| hops.get(i))
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(peer)
}

pub fn user_agent(parts: &Parts) -> Option<String> {
    parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(256).collect())
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The request being served (inside a server function or a page render).
pub fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the Leptos context");
        AppError::Internal
    })
}

pub fn append_set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(value)) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Marks the response as never to be stored by browsers or proxies (it carries a secret shown once).
pub fn no_store() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Where this Tessera is reached: the configured public URL, or else the host the request was sent to.
pub fn public_base_url(parts: &Parts, settings: &Settings) -> String {
    match &settings.public_origin {
        Some(origin) => origin.clone(),
        None => {
            let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// Did a browser submit a plain HTML form (no JavaScript)? Those get redirects, not JSON.
pub fn is_plain_form(parts: &Parts) -> bool {
    parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// The one place a server function's result meets HTTP: errors get their status code (401, 403, 422...)
/// for JavaScript and program callers. Plain HTML forms keep the redirect back to the form, which then
/// shows the error.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && let (Some(parts), Some(response)) = (use_context::<Parts>(), use_context::<ResponseOptions>())
        && parts.uri.path().starts_with("/rpc/")
        && !is_plain_form(&parts)
    {
        response.set_status(StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        if let AppError::RateLimited { retry_after_secs } = error {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
    }
    result
}

/// Maps a database error to the generic message users see, logging the real one.
pub fn db_error(error: sqlx::Error) -> AppError {
    match &error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::warn!(error = %error, "database unavailable");
            AppError::Unavailable
        }
        _ => {
            tracing::error!(error = %error, "database error");
            AppError::Internal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_trusted_only_as_configured() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 2.2.2.2, 3.3.3.3".parse().unwrap());
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(forwarded_client(&headers, peer, 0), peer);
        assert_eq!(forwarded_client(&headers, peer, 1), "3.3.3.3".parse::<IpAddr>().unwrap());
        assert_eq!(forwarded_client(&headers, peer, 2), "2.2.2.2".parse::<IpAddr>().unwrap());
        assert_eq!(forwarded_client(&headers, peer, 5), peer);
        headers.insert("x-forwarded-for", "not-an-ip".parse().unwrap());
        assert_eq!(forwarded_client(&headers, peer, 1), peer);
    }

    proptest::proptest! {
        /// Untrusted header values never panic the parsers, and only a configured hop count is trusted.
        #[test]
        fn forwarded_for_never_panics(value in "\\PC{0,200}", hops in 0u8..4) {
            let mut headers = HeaderMap::new();
            if let Ok(v) = value.parse() {
                headers.insert("x-forwarded-for", v);
            }
            let peer: IpAddr = "10.0.0.1".parse().unwrap();
            let ip = forwarded_client(&headers, peer, hops);
            if hops == 0 {
                proptest::prop_assert_eq!(ip, peer);
            }
        }

        #[test]
        fn cookie_parsing_never_panics(value in "\\PC{0,200}", name in "[a-z_]{1,20}") {
            let mut headers = HeaderMap::new();
            if let Ok(v) = value.parse() {
                headers.insert(header::COOKIE, v);
            }
            let _ = cookie(&headers, &name);
        }
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; tessera_session=abc; tessera_session_x=no".parse().unwrap());
        assert_eq!(cookie(&headers, "tessera_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
