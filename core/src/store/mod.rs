//! One store per aggregate, each owning its SQL. Rows decode into typed values (`sqlx::FromRow`, ids and
//! instants as themselves); nothing here checks permissions or business rules (the services do), and
//! every function takes any executor, so the same code runs on the pool or inside a transaction, except
//! those that change what a cached API token means (revoking or rotating a token, a role, a membership,
//! the policy): they take the [`crate::db::WriteTx`] and note their invalidation on it, so the change
//! can't commit without reaching every instance's cache.
//!
//! Functions return `sqlx::Result`: services turn errors into [`crate::Error`] with `?`, or map a
//! unique-constraint violation to a field error with [`crate::db::DbResultExt::on_unique`].

pub mod audit;
pub mod email_log;
pub mod invitations;
pub mod leaks;
pub mod login_attempts;
pub mod notices;
pub mod orgs;
pub mod outbox;
pub mod policies;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod two_factor;
pub mod users;
pub mod webhooks;

use crate::time::Timestamp;
use sqlx::{Any, Executor};

/// Rows counted in a window of time, and when the oldest of them happened (so a limit can say when to
/// try again): the sign-in and the email limits read these.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct WindowCount {
    pub n: i64,
    pub oldest: Timestamp,
}

/// Anything a query can run on: the pool, a connection, a transaction (`&mut *tx`).
pub trait Exec<'c>: Executor<'c, Database = Any> {}
impl<'c, T: Executor<'c, Database = Any>> Exec<'c> for T {}
