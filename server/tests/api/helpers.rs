//! `TestApp`: one server, one database, one cookie-keeping HTTP client.

use app::{
    platform::{clock::Clock, state::AppState},
    time::Timestamp,
};
use std::{
    io::Write,
    net::SocketAddr,
    path::PathBuf,
    sync::{Mutex, OnceLock},
};
use tessera::startup::{Application, ServerConfig};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Every log line any test server writes, so tests can search them (for secrets, say).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

#[derive(Clone, Copy)]
struct LogSink;

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.get_or_init(Default::default).lock().unwrap().extend_from_slice(buf);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: set before any server starts; tests only read it afterwards.
        if std::env::var_os("RUST_LOG").is_none() {
            unsafe { std::env::set_var("RUST_LOG", "info,sqlx=warn") };
        }
        tessera::telemetry::init(tessera::config::LogFormat::Human, false, || LogSink);
    });
}

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

/// A database of its own for one test: a temporary SQLite file, or a new PostgreSQL database.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    pub data_dir: tempfile::TempDir,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Option<Self> {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = app::platform::db::sqlite_url(&data_dir.path().join("tessera.db"));
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

async fn pg_admin(admin_url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to PostgreSQL as admin");
    conn.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn with_database(url: &str, name: &str) -> String {
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

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub state: AppState,
    pub db: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// The instant every test's manual clock starts at: 2026-01-01T00:00:00Z.
pub const T0: Timestamp = Timestamp(1_767_225_600_000);

impl TestApp {
    /// A server over a fresh database of the given kind; `None` when that kind is not available here.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let db = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(db, |_| {}).await)
    }

    pub async fn spawn_on(db: TestDatabase, configure: impl FnOnce(&mut ServerConfig)) -> Self {
        init_logging();
        let mut config = ServerConfig::local(db.data_dir.path().to_path_buf(), db.url.clone());
        configure(&mut config);
        let clock = Clock::manual(T0);
        let application = Application::build(config, clock.clone()).await.expect("server starts");
        let addr = application.local_addr();
        let state = application.state().clone();
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn(async move {
            application
                .run_until(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        Self {
            addr,
            url: format!("http://{addr}"),
            client: client(),
            clock,
            state,
            db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.at(path)).send().await.expect("request")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> TestDatabase {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let TestApp { db, .. } = self;
        db
    }
}

/// A client that keeps cookies and does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Runs each named test function (`async fn name(app: TestApp)`) once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    match crate::helpers::TestApp::spawn(crate::helpers::Backend::Postgres).await {
                        Some(app) => super::$name(app).await,
                        None => eprintln!("skipped: PostgreSQL is not configured (TESSERA_TEST_POSTGRES_URL)"),
                    }
                }
            )*
        }
    };
}
