//! What every page, server function and handler can reach: the core (database, clock, keys, hasher,
//! verifier), the web settings, and Leptos's options. Built once at start-up by the server.

use axum::extract::FromRef;
use http::HeaderName;
use leptos::prelude::*;
use std::{fmt, net::SocketAddr, sync::Arc};
use tessera_core::{
    context::Core,
    crypto::{constant_time_eq, sha256_hex},
    domain::token::{DEFAULT_TOKEN_ID_HEADER, DEFAULT_TOKEN_SECRET_HEADER},
    error::Error,
};

/// Settings of the web surface (the core's rules don't need them).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// `https://tessera.example.com`: the origin browsers show. Host and cross-site checks compare
    /// against it; when it is https, cookies are `Secure` and carry the `__Host-` prefix.
    pub public_origin: Option<String>,
    /// Where the server listens: without a public origin, requests must name a loopback host or this.
    pub listen: SocketAddr,
    /// The request headers that carry a token (ZeroPath's names by default), as configured.
    pub token_id_header: HeaderName,
    pub token_secret_header: HeaderName,
}

impl WebSettings {
    pub fn local(listen: SocketAddr) -> Self {
        Self {
            public_origin: None,
            listen,
            token_id_header: HeaderName::from_static("x-zeropath-api-token-id"),
            token_secret_header: HeaderName::from_static("x-zeropath-api-token-secret"),
        }
    }

    pub fn is_https(&self) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
    }

    /// The header names as people write them (`X-ZeroPath-API-Token-Id`), for examples and messages.
    pub fn header_labels(&self) -> (String, String) {
        (display_header(&self.token_id_header), display_header(&self.token_secret_header))
    }
}

/// `x-zeropath-api-token-id` → `X-Zeropath-Api-Token-Id`, except the default names, kept as ZeroPath writes them.
fn display_header(name: &HeaderName) -> String {
    for known in [DEFAULT_TOKEN_ID_HEADER, DEFAULT_TOKEN_SECRET_HEADER] {
        if name.as_str().eq_ignore_ascii_case(known) {
            return known.to_owned();
        }
    }
    name.as_str()
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// First-run setup, when the server listens beyond this machine: whoever finds it first would become
/// its owner, so setup asks for a one-time code only the operator can read (`tessera setup-code`).
#[derive(Clone, Default)]
pub struct SetupGate {
    /// SHA-256 of the code; `None` when no code is needed (listening on loopback only).
    code_hash: Option<String>,
}

impl fmt::Debug for SetupGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupGate").field("code_required", &self.code_hash.is_some()).finish()
    }
}

impl SetupGate {
    pub fn open() -> Self {
        Self { code_hash: None }
    }

    pub fn with_code(code: &str) -> Self {
        Self { code_hash: Some(sha256_hex(code.trim().as_bytes())) }
    }

    pub fn requires_code(&self) -> bool {
        self.code_hash.is_some()
    }

    pub fn check(&self, given: &str) -> Result<(), Error> {
        match &self.code_hash {
            None => Ok(()),
            Some(hash) if constant_time_eq(sha256_hex(given.trim().as_bytes()).as_bytes(), hash.as_bytes()) => Ok(()),
            Some(_) => Err(Error::invalid(
                "setup_code",
                "Enter the setup code. The server's operator prints it with `tessera setup-code`.",
            )),
        }
    }
}

pub struct Shared {
    pub core: Core,
    pub web: WebSettings,
    pub leptos: LeptosOptions,
    pub setup: SetupGate,
    /// Set once the first account exists; never unset (setup happens once).
    pub setup_complete: std::sync::atomic::AtomicBool,
}

/// A cheap handle (one `Arc`), cloned by the router for every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(core: Core, web: WebSettings, leptos: LeptosOptions, setup: SetupGate) -> Self {
        Self(Arc::new(Shared { core, web, leptos, setup, setup_complete: Default::default() }))
    }

    /// Is first-run setup done? Asked on every page request until it is, then never again.
    pub async fn setup_complete(&self) -> Result<bool, Error> {
        use std::sync::atomic::Ordering;
        if self.setup_complete.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let done = !tessera_core::services::accounts::needs_setup(&self.core).await?;
        if done {
            self.setup_complete.store(true, Ordering::Relaxed);
        }
        Ok(done)
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
        state.leptos.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_shown_as_configured() {
        let mut web = WebSettings::local("127.0.0.1:0".parse().unwrap());
        assert_eq!(web.header_labels().0, "X-ZeroPath-API-Token-Id");
        web.token_id_header = HeaderName::from_static("x-api-token-id");
        assert_eq!(web.header_labels().0, "X-Api-Token-Id");
    }

    #[test]
    fn setup_codes() {
        assert!(SetupGate::open().check("").is_ok());
        let gate = SetupGate::with_code("abc123");
        assert!(gate.check(" abc123 ").is_ok());
        assert_eq!(gate.check("abc124").unwrap_err().field(), Some("setup_code"));
        assert!(!format!("{gate:?}").contains("abc"));
    }
}
