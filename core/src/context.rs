//! What the services are given: the database, the clock, the server key, the password hasher, the token
//! verifier and the settings the rules read. Nothing about HTTP, pages or the framework serving them.

use crate::{
    clock::Clock,
    crypto::ServerKey,
    db::Db,
    passwords::PasswordHasher,
    secret::TokenPrefix,
    time::{HOUR_MS, MINUTE_MS},
    verify::{Background, CacheMode, Verifier},
};
use std::sync::Arc;

/// Settings the business rules read.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// The part of every token secret before the underscore (`tsr_…`), so secret scanners can find them.
    pub token_prefix: TokenPrefix,
    /// A browser session ends after this long without a request...
    pub session_idle_ms: i64,
    /// ...and this long after sign-in, whatever happens.
    pub session_absolute_ms: i64,
    /// Sudo mode: actions that create access ask again when the session last proved who it is longer
    /// ago than this (`TESSERA_SUDO_MINUTES`).
    pub sudo_ms: i64,
    /// Audit events older than this are pruned.
    pub audit_retention_days: u32,
    /// Email is configured (SMTP): notifications are queued, invitations are emailed.
    pub email: bool,
    /// Where links in emails point (`https://tessera.example.com`).
    pub links_base: String,
    /// Webhook endpoints may be on loopback and private networks, and plain `http://` (the operator's
    /// choice, for internal receivers and tests).
    pub allow_private_webhooks: bool,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            token_prefix: TokenPrefix::default(),
            session_idle_ms: 24 * HOUR_MS,
            session_absolute_ms: 7 * 24 * HOUR_MS,
            sudo_ms: 15 * MINUTE_MS,
            audit_retention_days: 400,
            email: false,
            links_base: "http://127.0.0.1:3000".to_owned(),
            allow_private_webhooks: false,
        }
    }
}

/// What the core holds: database, clock, key, password hasher, verifier and settings.
pub struct CoreParts {
    pub db: Db,
    pub clock: Clock,
    pub key: ServerKey,
    pub passwords: PasswordHasher,
    pub verifier: Verifier,
    pub settings: CoreSettings,
}

/// A cheap handle to the [`CoreParts`], cloned freely.
#[derive(Clone)]
pub struct Core(Arc<CoreParts>);

impl std::ops::Deref for Core {
    type Target = CoreParts;
    fn deref(&self) -> &CoreParts {
        &self.0
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("db", &self.db).field("key", &self.key).finish_non_exhaustive()
    }
}

/// `tx.commit(core)`: a commit makes this instance's verifier forget what the change invalidated.
impl crate::db::TokenCopies for Core {
    fn forget(&self, change: crate::db::Invalidation) {
        self.verifier.forget(change);
    }
}

impl Core {
    /// The core, and the verifier's background work for the server to run (the CLI drops it).
    pub fn new(db: Db, clock: Clock, key: ServerKey, settings: CoreSettings, cache: CacheMode) -> (Self, Background) {
        let (verifier, background) = Verifier::new(cache);
        let parts = CoreParts { db, clock, key, passwords: PasswordHasher::for_this_machine(), verifier, settings };
        (Self(Arc::new(parts)), background)
    }
}
