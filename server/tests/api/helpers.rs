//! `TestApp`: one server, one database, one cookie-keeping HTTP client.

use app::{
    platform::{clock::Clock, state::AppState},
    time::Timestamp,
};
use reqwest::StatusCode;
use std::{
    io::Write,
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

    /// The same database for a second instance: its own data directory, nothing dropped when it ends.
    pub fn shared_view(&self) -> Self {
        Self { backend: self.backend, url: self.url.clone(), data_dir: tempfile::tempdir().unwrap(), pg: None }
    }

    /// PostgreSQL: the database's name and the URL of the server, for building other URLs to it.
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

async fn pg_admin(admin_url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to PostgreSQL as admin");
    conn.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

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

pub struct TestApp {
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

    /// Calls a server function the way the dashboard's JavaScript does (form-encoded in, JSON out).
    pub async fn rpc(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        rpc_with(&self.client, &self.at(path), form).await
    }

    /// First-run setup as a browser does it; the client is signed in afterwards.
    pub async fn setup(&self, email: &str, password: &str, org: &str) -> reqwest::Response {
        self.rpc("/rpc/auth/setup", &[("email", email), ("password", password), ("organization", org)]).await
    }

    /// Setup with the standard owner, asserting success.
    pub async fn setup_owner(&self) -> Person {
        let response = self.setup(OWNER, PASSWORD, "Acme").await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        Person { client: self.client.clone() }
    }

    pub async fn login(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        rpc_with(client, &self.at("/rpc/auth/login"), &[("email", email), ("password", password)]).await
    }

    /// A person with an account (created as the admin CLI does) and their own signed-in browser.
    pub async fn person(&self, email: &str) -> Person {
        let state = &self.state;
        let user = app::auth::service::create_user(
            state,
            &app::auth::domain::Email::parse(email).unwrap(),
            &app::auth::domain::Password::parse(PASSWORD.into()).unwrap(),
        )
        .await
        .unwrap();
        let _ = user;
        let client = client();
        let response = self.login(&client, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        Person { client }
    }

    /// A person who is a member of the owner's organization with `role`, signed in.
    pub async fn member(&self, email: &str, role: &str) -> Person {
        let person = self.person(email).await;
        let state = &self.state;
        let org = app::orgs::service::find_org(state, "Acme").await.unwrap();
        let user =
            app::auth::service::find_user(state, &app::auth::domain::Email::parse(email).unwrap()).await.unwrap();
        app::orgs::service::add_member_as_admin(state, org, user, role.parse().unwrap()).await.unwrap();
        person
    }

    /// The id of the account with this email.
    pub async fn user_id(&self, email: &str) -> String {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.state.db.pool())
            .await
            .unwrap_or_else(|e| panic!("no account {email}: {e}"))
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(self.state.db.pool()).await.unwrap()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> TestDatabase {
        self.shutdown_now().await;
        let TestApp { db, .. } = self;
        db
    }

    async fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

pub const OWNER: &str = "owner@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// Someone with a browser of their own.
pub struct Person {
    pub client: reqwest::Client,
}

/// The request is built at once, so the returned future borrows nothing.
pub fn rpc_with(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> impl std::future::Future<Output = reqwest::Response> + Send + 'static {
    let request = client.post(url).header("accept", "application/json").form(form);
    async move { request.send().await.expect("request") }
}

/// The JSON error body of a failed server function call.
pub async fn error_of(response: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    let body = response.json::<serde_json::Value>().await.expect("JSON error body");
    (status, body)
}

/// A client that keeps cookies and does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

/// One runtime for every test, as in production: servers and clients of all tests share its workers.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("test runtime")
    })
}

/// A hung test fails after two minutes instead of stalling the whole run.
pub async fn within_time_limit(test: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(std::time::Duration::from_secs(120), test).await.expect("test took over two minutes");
}

/// Runs each named test function (`async fn name(app: TestApp)`) once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    crate::helpers::runtime().block_on(async {
                        let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Sqlite).await.unwrap();
                        crate::helpers::within_time_limit(super::$name(app)).await;
                    })
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    crate::helpers::runtime().block_on(async {
                        match crate::helpers::TestApp::spawn(crate::helpers::Backend::Postgres).await {
                            Some(app) => crate::helpers::within_time_limit(super::$name(app)).await,
                            None => eprintln!("skipped: PostgreSQL is not configured (TESSERA_TEST_POSTGRES_URL)"),
                        }
                    })
                }
            )*
        }
    };
}

/// A TCP forwarder standing between a server and PostgreSQL, so a test can take the database away and
/// bring it back.
pub struct DbProxy {
    pub port: u16,
    target: std::net::SocketAddr,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl DbProxy {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Self { port, target, running: None };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let target = self.target;
        self.running = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    /// Cuts every connection and refuses new ones.
    pub async fn stop(&mut self) {
        if let Some(task) = self.running.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn resume(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

/// Tessera as a separate process (for killing it with SIGKILL).
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub url: String,
}

impl ServerProcess {
    pub async fn start(db: &TestDatabase) -> Self {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("TESSERA_DATA_DIR", db.data_dir.path())
            .env("TESSERA_DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start tessera");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next_line().await.unwrap().expect("tessera exited before listening");
            if let Some(url) = line.strip_prefix("Tessera is running at ") {
                break url.trim().to_owned();
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, url }
    }

    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}
