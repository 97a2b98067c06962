//! One database handle for SQLite and PostgreSQL.
//!
//! Queries and migrations are written once, in the SQL both engines share, with `$1`-style parameters and
//! instants as BIGINT unix milliseconds. The only differences live here: connection settings and how a
//! write transaction starts. Domain types bind and decode as themselves (see [`crate::sql_types`]), so no
//! store converts ids to strings or compares them as text.

use crate::{error::Error, ids::TokenId};
use sqlx::{
    AnyPool, Executor, Transaction,
    any::{Any, AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};
use std::{str::FromStr, time::Duration};

/// One schema for both engines (`migrations/`).
static MIGRATIONS: Migrator = sqlx::migrate!("../migrations");

pub type Conn = sqlx::AnyConnection;

/// A change that cached copies of API tokens must not outlive: one token's row, or anything every token
/// carries (its creator's role, the organization's policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    Token(TokenId),
    All,
}

/// The PostgreSQL channel a commit announces its [`Invalidation`]s on (`crate::verify::bus` listens).
pub const TOKEN_CHANNEL: &str = "tessera_token_changes";

impl Invalidation {
    pub fn encode(self) -> String {
        match self {
            Invalidation::Token(id) => format!("token:{id}"),
            Invalidation::All => "all".to_owned(),
        }
    }

    /// Anything unreadable is treated as "everything changed", the safe answer.
    pub fn decode(payload: &str) -> Self {
        payload.strip_prefix("token:").and_then(|id| id.parse().ok()).map_or(Invalidation::All, Invalidation::Token)
    }
}

/// What keeps copies of tokens in this process (the verifier's cache): told after a commit.
pub trait TokenCopies {
    fn forget(&self, change: Invalidation);
}

/// A write transaction ([`Db::begin_write`]), the one way to commit a change. The store functions that
/// change what a cached token means (revoking, rotating, a role, a membership, the policy) take a
/// `&mut WriteTx` and note their [`Invalidation`] on it themselves; [`WriteTx::commit`] announces them to
/// the other instances inside the transaction (PostgreSQL delivers the notification exactly when the
/// change commits), commits, then has this instance forget them before the change is acknowledged. There
/// is no other commit, so no such change can commit without reaching every cache.
///
/// It derefs to the connection, so `&mut *tx` runs any other store function inside it. Dropped without
/// a commit, it rolls back and announces nothing.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    backend: Backend,
    changes: Vec<Invalidation>,
}

impl WriteTx {
    /// Notes a change the commit must announce and forget (once, however often it is noted; `All`
    /// covers every token).
    pub fn invalidate(&mut self, change: Invalidation) {
        if self.changes.contains(&Invalidation::All) || self.changes.contains(&change) {
            return;
        }
        if change == Invalidation::All {
            self.changes.clear();
        }
        self.changes.push(change);
    }

    /// The changes noted so far.
    pub fn invalidations(&self) -> &[Invalidation] {
        &self.changes
    }

    /// Announces the noted changes in the transaction, commits it, then makes `copies` forget them.
    pub async fn commit(mut self, copies: &impl TokenCopies) -> sqlx::Result<()> {
        if self.backend == Backend::Postgres {
            for change in &self.changes {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(TOKEN_CHANNEL)
                    .bind(change.encode())
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        self.tx.commit().await?;
        for &change in &self.changes {
            copies.forget(change);
        }
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    /// How long a request waits for a free connection before it fails with 503.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the server cancels statements that run longer.
    pub statement_timeout: Duration,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL must start with sqlite: or postgres:// (got \"{0}\")")]
    UnsupportedUrl(String),
    #[error("could not open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// SQLite: the one connection write transactions run on (see [`Db::begin_write`]). PostgreSQL
    /// writes share `pool`.
    writer: Option<AnyPool>,
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(redact_url(url)))
        }
    }
}

impl Db {
    pub async fn connect(options: &DbOptions) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&options.url)?;
        let connect_options = AnyConnectOptions::from_str(&options.url).map_err(DbError::Connect)?;
        let statement_timeout_ms = options.statement_timeout.as_millis();
        let pool_options = move |max_connections: u32| {
            AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(options.acquire_timeout)
                // No ping before every use: that would double the round trips of every API request. A
                // connection that died with the database fails its next statement, is dropped, and the
                // pool opens a new one.
                .test_before_acquire(false)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        match backend {
                            Backend::Sqlite => {
                                // WAL lets readers run beside the single writer; FULL makes every
                                // acknowledged commit survive a crash; busy_timeout makes writers queue
                                // instead of failing with "database is locked".
                                conn.execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                                )
                                .await?;
                            }
                            Backend::Postgres => {
                                conn.execute(format!("SET statement_timeout = {statement_timeout_ms}").as_str())
                                    .await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_options(options.max_connections)
            .connect_with(connect_options.clone())
            .await
            .map_err(DbError::Connect)?;
        let writer = match backend {
            Backend::Sqlite => Some(pool_options(1).connect_with(connect_options).await.map_err(DbError::Connect)?),
            Backend::Postgres => None,
        };
        Ok(Self { pool, writer, backend, url: options.url.clone() })
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL connected to (it may hold a password: never log it, see [`redact_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A transaction for read-then-write work. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with SQLITE_BUSY
    /// when another writer got there first, and no busy timeout helps with that.
    ///
    /// SQLite has one writer at a time anyway, so write transactions queue for one dedicated
    /// connection, in order, instead of racing for the file lock: a loser of that race sleeps in
    /// SQLite's busy handler (1, 2, 5, 10 ... 100 ms) however soon the lock is free (what that cost:
    /// `docs/benchmarks.md`). Never call this while holding a write transaction.
    ///
    /// Opening runs as a task of its own, to the end, even when the request waiting for it is dropped
    /// (its client hung up): sqlx 0.8.6 opens a `BEGIN IMMEDIATE` and then awaits a check, and a future
    /// dropped at that await leaves the connection inside a transaction nothing will ever end. A
    /// transaction opened for nobody is dropped in the task, which rolls it back.
    pub async fn begin_write(&self) -> Result<WriteTx, Error> {
        let (pool, begin) = match &self.writer {
            Some(writer) => (writer.clone(), Some("BEGIN IMMEDIATE")),
            None => (self.pool.clone(), None),
        };
        let opening = tokio::spawn(async move {
            match begin {
                Some(statement) => pool.begin_with(statement).await,
                None => pool.begin().await,
            }
        });
        let tx = opening.await.map_err(|e| Error::internal(format!("opening a transaction failed: {e}")))??;
        Ok(WriteTx { tx, backend: self.backend, changes: Vec::new() })
    }

    /// Is the database usable right now? Reads a real table, and on SQLite through a fresh connection,
    /// so a file that was replaced or damaged underneath a pooled connection's cache is noticed.
    pub async fn is_ready(&self) -> bool {
        const PROBE: &str = "SELECT COUNT(*) FROM instance_settings";
        let probe = async {
            match self.backend {
                Backend::Sqlite => {
                    use sqlx::Connection;
                    let mut conn = sqlx::AnyConnection::connect(&self.url.replace("mode=rwc", "mode=rw")).await?;
                    let n: i64 = sqlx::query_scalar(PROBE).fetch_one(&mut conn).await?;
                    let _ = conn.close().await;
                    Ok::<_, sqlx::Error>(n >= 0)
                }
                Backend::Postgres => {
                    let n: i64 = sqlx::query_scalar(PROBE).fetch_one(&self.pool).await?;
                    Ok(n >= 0)
                }
            }
        };
        matches!(tokio::time::timeout(Duration::from_secs(2), probe).await, Ok(Ok(true)))
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

/// The SQLite URL for a database file, created if missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A database URL fit for logs and error messages: any password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Is this error a unique-constraint violation (the same on both engines)?
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() || db.code().is_some_and(|c| c == "2067" || c == "1555" || c == "23505")
        }
        _ => false,
    }
}

/// Would trying again later help? (The database is away, busy, or cancelled a slow statement.)
fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes.
            matches!(code.as_ref(), "5" | "6" | "261" | "517" | "262")
            // PostgreSQL: connection exceptions, cancelled statements, shutdowns, no resources,
            // serialization failures and deadlocks.
                || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
                || code == "40001"
                || code == "40P01"
        }),
        _ => false,
    }
}

/// `?` on a database error: "unavailable" (503) when retrying may help, else "internal" (500). The
/// cause is kept for the log line.
impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if is_transient(&err) { Error::unavailable(err) } else { Error::internal(err) }
    }
}

/// Maps constraint violations to the error the caller should see, in one place.
pub trait DbResultExt<T> {
    /// A unique-constraint violation becomes `error()` (say, "that email is taken" on its field).
    fn on_unique(self, error: impl FnOnce() -> Error) -> Result<T, Error>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn on_unique(self, error: impl FnOnce() -> Error) -> Result<T, Error> {
        self.map_err(|e| if is_unique_violation(&e) { error() } else { e.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn backends_from_urls() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgresql://h/db").unwrap(), Backend::Postgres);
        assert!(Backend::from_url("mysql://h/db").is_err());
    }

    #[test]
    fn transient_errors_are_unavailable() {
        assert_eq!(Error::from(sqlx::Error::PoolTimedOut).kind(), crate::ErrorKind::Unavailable);
        assert_eq!(Error::from(sqlx::Error::RowNotFound).kind(), crate::ErrorKind::Internal);
    }
}
