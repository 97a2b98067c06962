//! What every request handler and server function can reach.

use super::{clock::Clock, db::Db};
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

/// Settings the features read at run time. The server's configuration builds this once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `https://tessera.example.com`: the origin browsers show. Cross-site checks compare against it;
    /// when it is https, cookies are `Secure` and carry the `__Host-` prefix.
    pub public_origin: Option<String>,
}

impl Settings {
    pub fn is_https(&self) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub clock: Clock,
    pub settings: Arc<Settings>,
}

/// The state, from inside a server function or a page being rendered.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}
