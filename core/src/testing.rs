//! Test support (feature `testing`, for tests only): a database of its own for one test, on either
//! engine, created and dropped here so every test suite handles the PostgreSQL URL the same way.
//!
//! PostgreSQL comes from `TESSERA_TEST_POSTGRES_URL` (an admin URL; each test creates its own database).
//! Without it PostgreSQL tests are skipped, and with `CI=true` that is a failure.

use crate::db::Backend;
use std::path::PathBuf;

/// Where PostgreSQL tests connect, or `None` to skip them. With CI=true, skipping is a failure.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TESSERA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but TESSERA_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run in CI")
        }
        _ => None,
    }
}

/// Whether this machine can run tests on `backend`; says "skipped" when it can't (PostgreSQL without
/// `TESSERA_TEST_POSTGRES_URL`; with CI=true that is a failure instead).
pub fn available(backend: Backend) -> bool {
    let here = backend == Backend::Sqlite || postgres_admin_url().is_some();
    if !here {
        eprintln!("skipped: PostgreSQL is not configured (TESSERA_TEST_POSTGRES_URL)");
    }
    here
}

/// The one engine macro of every test suite: runs each named `async fn` on SQLite and on PostgreSQL, as
/// the tests `sqlite::name` and `postgres::name`. `$run(backend, name)` runs one: a plain function of the
/// suite that makes what its tests take (a store, a server, or only the engine) and skips an engine that
/// isn't [`available`]. Name it by a path that holds inside the generated modules (`crate::…`).
///
/// `on_each_engine!(postgres only, $run => …)` makes the PostgreSQL tests alone (`postgres_only::name`),
/// for what SQLite can't do, like two instances on one database.
#[macro_export]
macro_rules! on_each_engine {
    (@tests $module:ident, $engine:ident, $run:path => $($name:ident),*) => {
        mod $module {
            $(
                #[test]
                fn $name() {
                    $run($crate::db::Backend::$engine, super::$name)
                }
            )*
        }
    };
    (postgres only, $run:path => $($name:ident),* $(,)?) => {
        $crate::on_each_engine!(@tests postgres_only, Postgres, $run => $($name),*);
    };
    ($run:path => $($name:ident),* $(,)?) => {
        $crate::on_each_engine!(@tests sqlite, Sqlite, $run => $($name),*);
        $crate::on_each_engine!(@tests postgres, Postgres, $run => $($name),*);
    };
}

/// A database of its own for one test: a temporary SQLite file, or a new PostgreSQL database that is
/// dropped with this value.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    pub data_dir: tempfile::TempDir,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl TestDatabase {
    /// An empty database of the given kind (not migrated); `None` when that kind is not available here.
    pub async fn create(backend: Backend) -> Option<Self> {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = crate::db::sqlite_url(&data_dir.path().join("tessera.db"));
                Some(Self { backend, url, data_dir, pg: None })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                let name = format!("tessera_test_{}", uuid::Uuid::new_v4().simple());
                pg_admin(&admin, &format!("CREATE DATABASE {name}")).await;
                let url = with_database(&admin, &name);
                Some(Self { backend, url, data_dir, pg: Some((admin, name)) })
            }
        }
    }

    /// The same database for a second instance: its own data directory, nothing dropped when it ends.
    pub fn shared_view(&self) -> Self {
        Self { backend: self.backend, url: self.url.clone(), data_dir: tempfile::tempdir().unwrap(), pg: None }
    }

    pub fn pg_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, name)| name.as_str())
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.path().join("tessera.db")
    }

    /// Makes the database unusable underneath a running server.
    pub async fn break_it(&self) {
        match &self.pg {
            None => {
                std::fs::write(self.sqlite_path(), vec![0x5a; 8192]).unwrap();
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.sqlite_path().display()));
                }
            }
            Some((admin, name)) => pg_admin(admin, &format!("DROP DATABASE {name} WITH (FORCE)")).await,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside any runtime guarantee; a short-lived thread with its own runtime is simplest.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(pg_admin(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            })
            .join();
        }
    }
}

/// Runs one statement as the PostgreSQL admin; panics (failing the test) if it fails.
pub async fn pg_admin(admin_url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to PostgreSQL as admin");
    conn.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `url` pointing at database `name` instead: the path replaced, the query (`?sslmode=…`) kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > base.find("://").map_or(0, |p| p + 2) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_is_replaced_and_the_query_kept() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "t"), "postgres://u@h:5432/t");
        assert_eq!(with_database("postgres://u@h/postgres?sslmode=disable", "t"), "postgres://u@h/t?sslmode=disable");
        assert_eq!(with_database("postgres://u@h:5432", "t"), "postgres://u@h:5432/t");
    }
}
