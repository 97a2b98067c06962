//! What every request handler and server function can reach.

use super::{clock::Clock, crypto::ServerKey, db::Db};
use crate::{
    auth::password::PasswordHasher,
    error::AppError,
    time::HOUR_MS,
    tokens::{auth::TokenAuth, secret::TokenPrefix},
};
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::{Arc, atomic::AtomicBool};

pub const DEFAULT_TOKEN_ID_HEADER: &str = "x-zeropath-api-token-id";
pub const DEFAULT_TOKEN_SECRET_HEADER: &str = "x-zeropath-api-token-secret";

/// Settings the features read at run time. The server's configuration builds this once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `https://tessera.example.com`: the origin browsers show. Cross-site checks compare against it;
    /// when it is https, cookies are `Secure` and carry the `__Host-` prefix.
    pub public_origin: Option<String>,
    /// How many reverse proxies in front of Tessera append to `X-Forwarded-For`. 0: the header is ignored
    /// and the client address is the TCP peer.
    pub trusted_proxy_hops: u8,
    /// A session ends after this long without a request...
    pub session_idle_ms: i64,
    /// ...and this long after sign-in, whatever happens.
    pub session_absolute_ms: i64,
    /// The part of every token secret before the underscore (`tsr_…`), so secret scanners can find them.
    pub token_prefix: TokenPrefix,
    /// The request headers that carry a token (ZeroPath's names by default).
    pub token_id_header: axum::http::HeaderName,
    pub token_secret_header: axum::http::HeaderName,
    /// Failed API authentications allowed per client address per minute before 429; 0 turns the limit off.
    pub api_failures_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_origin: None,
            trusted_proxy_hops: 0,
            session_idle_ms: 24 * HOUR_MS,
            session_absolute_ms: 7 * 24 * HOUR_MS,
            token_prefix: TokenPrefix::default(),
            token_id_header: axum::http::HeaderName::from_static(DEFAULT_TOKEN_ID_HEADER),
            token_secret_header: axum::http::HeaderName::from_static(DEFAULT_TOKEN_SECRET_HEADER),
            api_failures_per_minute: 30,
        }
    }
}

impl Settings {
    pub fn is_https(&self) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
    }
}

/// A cheap handle (one `Arc`) to everything shared: it is cloned by every middleware on every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Leptos's handlers find their options in the router's state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    pub key: Arc<ServerKey>,
    pub passwords: PasswordHasher,
    /// Set once the first account exists; never unset (setup happens once).
    pub setup_complete: Arc<AtomicBool>,
    /// API token verification: the verified-token cache and last-used bookkeeping.
    pub token_auth: Arc<TokenAuth>,
}

/// The state, from inside a server function or a page being rendered.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}
