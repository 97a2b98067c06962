//! The harness: each test gets a server on port 0 over a database of its own (a fresh SQLite file, or a
//! fresh PostgreSQL database), and talks to it over real HTTP with typed helpers, one per endpoint.

use app::{
    audit::ListAudit,
    auth::{AcceptInvitation, GetInvitation, InvitationInfo, Login, Setup},
    orgs::{
        ChangeRole, InviteMember, Invited, ListMembers, RemoveMember, ResendInvitation, RevokeMemberTokens, Roster,
    },
    policy::SetPolicy,
    session::{GetSession, Logout, SessionInfo, SwitchOrg},
    tokens::{
        CreateToken, CreatedToken, DeleteToken, RevokeAllTokens, RotateToken, RotatedToken, TokensOverview,
        TokensPageData,
    },
    webhooks::{AddWebhook, ListWebhooks, ResendDelivery},
};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::{
    io::Write,
    path::PathBuf,
    sync::{Mutex, OnceLock},
};
use tessera::{
    http::ServerState,
    startup::{Application, ServerConfig},
};
use tessera_core::{
    ErrorBody, ErrorKind,
    clock::Clock,
    context::Core,
    domain::{
        account::{Email, Password},
        org::OrgName,
    },
    ids::{OrgId, UserId},
    services::{accounts, members},
    time::Timestamp,
    views::{Page, TokenListing},
};
use tokio::sync::oneshot;

/// The engine a test runs on: the one the product knows, not a copy.
pub use tessera_core::db::Backend;

/// Every log line any test server writes (tracing and request lines), so tests can search them.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

#[derive(Clone, Copy)]
pub struct LogSink;

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

pub use tessera_core::testing::{TestDatabase, pg_admin, postgres_admin_url, with_database};

pub struct TestApp {
    pub url: String,
    pub clock: Clock,
    pub core: Core,
    pub server: ServerState,
    pub db: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// The instant every test's manual clock starts at: 2026-01-01T00:00:00Z.
pub const T0: Timestamp = Timestamp(1_767_225_600_000);

pub const OWNER: &str = "owner@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// A server over a fresh database of the given kind; `None` when that kind is not available here.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let db = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(db, |_| {}).await)
    }

    pub async fn spawn_on(db: TestDatabase, configure: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::spawn_with_clock(db, Clock::manual(T0), configure).await
    }

    pub async fn spawn_with_clock(db: TestDatabase, clock: Clock, configure: impl FnOnce(&mut ServerConfig)) -> Self {
        init_logging();
        let mut config = ServerConfig::local(db.data_dir.path().to_path_buf(), db.url.clone());
        config.site_root = site_root();
        // Tests move the clock by days between actions; sudo mode has its own tests (two_factor.rs),
        // which set the window back.
        config.core.sudo_ms = 10 * 365 * tessera_core::time::DAY_MS;
        configure(&mut config);
        let application =
            Application::build_with_log(config, clock.clone(), Box::new(LogSink)).await.expect("server starts");
        let addr = application.local_addr();
        let (core, server) = (application.core().clone(), application.state().clone());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            application
                .run_until(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        Self { url: format!("http://{addr}"), clock, core, server, db, shutdown: Some(tx), task: Some(task) }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A browser of its own (cookies kept, redirects not followed).
    pub fn browser(&self) -> Browser {
        Browser { url: self.url.clone(), client: client() }
    }

    /// First-run setup with the standard owner and organization "Acme"; that browser is signed in.
    pub async fn setup_owner(&self) -> Browser {
        let owner = self.browser();
        let form =
            [("email", OWNER), ("password", PASSWORD), ("organization", "Acme"), ("setup_code", &self.setup_code())];
        owner.call::<Setup>(&form).await.expect("setup");
        owner
    }

    /// The code first-run setup asks for, as the operator prints it (`tessera setup-code`); empty when
    /// setup asks for none.
    pub fn setup_code(&self) -> String {
        if self.server.app.setup.requires_code() {
            tessera::startup::setup_code(self.db.data_dir.path()).expect("the setup code")
        } else {
            String::new()
        }
    }

    /// A person with an account (created as the operator does) and their own signed-in browser.
    pub async fn person(&self, email: &str) -> Browser {
        accounts::create_user(&self.core, &Email::parse(email).unwrap(), &Password::parse(PASSWORD.into()).unwrap())
            .await
            .unwrap();
        let browser = self.browser();
        browser.login(email, PASSWORD).await.expect("sign in");
        browser
    }

    /// A person who is a member of Acme with `role`, signed in.
    pub async fn member(&self, email: &str, role: &str) -> Browser {
        let person = self.person(email).await;
        let org = self.org("Acme").await;
        members::operator_add_member(&self.core, org, self.user_id(email).await, role.parse().unwrap()).await.unwrap();
        person
    }

    /// Another organization, `name`, owned by the person with `email` (created as the operator does).
    pub async fn org_owned_by(&self, name: &str, email: &str) -> OrgId {
        members::operator_create_org(&self.core, &OrgName::parse(name).unwrap(), self.user_id(email).await)
            .await
            .unwrap()
    }

    pub async fn org(&self, name: &str) -> OrgId {
        members::find_org(&self.core, name).await.unwrap()
    }

    pub async fn user_id(&self, email: &str) -> UserId {
        accounts::find_user(&self.core, &Email::parse(email).unwrap()).await.unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(self.core.db.pool()).await.unwrap()
    }

    /// A program calling the API with this token.
    pub fn api(&self, token: &CreatedToken) -> Api {
        Api { url: self.url.clone(), id: token.id.to_string(), secret: token.secret.clone(), client: client() }
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
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// The built site (for page tests that need the assets); tests that render pages don't need it built.
fn site_root() -> PathBuf {
    std::env::var_os("TESSERA_SITE_ROOT")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"), PathBuf::from)
}

/// What a server function or endpoint answered instead of success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl Failure {
    pub fn kind(&self) -> ErrorKind {
        self.body.error
    }

    pub fn message(&self) -> &str {
        &self.body.message
    }

    pub fn field(&self) -> Option<&str> {
        self.body.field.as_deref()
    }
}

pub type Answer<T> = Result<T, Failure>;

async fn answer<T: DeserializeOwned>(response: reqwest::Response) -> Answer<T> {
    let status = response.status();
    let text = response.text().await.expect("response body");
    if status.is_success() {
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("unexpected answer ({status}): {e}: {text}")))
    } else {
        let body =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not the JSON error body ({status}): {e}: {text}"));
        Err(Failure { status, body })
    }
}

/// What a browser's navigation asks for (Chromium's).
pub const NAVIGATION_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// A person's browser, calling the dashboard's server functions the way its JavaScript does
/// (form-encoded in, JSON out).
#[derive(Clone)]
pub struct Browser {
    pub url: String,
    pub client: reqwest::Client,
}

impl Browser {
    /// Calls server function `S` (at its own `S::PATH`), answering its typed output or the error.
    pub async fn call<S>(&self, form: &[(&str, &str)]) -> Answer<S::Output>
    where
        S: ServerFn,
        S::Output: DeserializeOwned,
    {
        answer(self.post::<S>(form).await).await
    }

    /// The raw response of a call to server function `S`.
    pub async fn post<S: ServerFn>(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.url, S::PATH))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.url)).send().await.expect("request")
    }

    /// Posts a dashboard form the way a browser without JavaScript does: to the server function's URL
    /// (`action`), navigating from `page` (its `Referer`), asking for HTML. Answers the server's answer
    /// (`303 See Other`); [`Browser::follow`] goes on to the page it names.
    pub async fn submit(&self, page: &str, action: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{action}", self.url))
            .header("accept", NAVIGATION_ACCEPT)
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-mode", "navigate")
            .header("referer", format!("{}{page}", self.url))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Follows a form post's `303 See Other` with this browser's cookies: the page after the post.
    pub async fn follow(&self, answer: &reqwest::Response) -> reqwest::Response {
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "a form post answers 303 See Other");
        let location = answer.headers()[reqwest::header::LOCATION].to_str().expect("a Location").to_owned();
        assert!(location.starts_with('/') && !location.starts_with("//"), "{location}");
        self.client
            .get(format!("{}{location}", self.url))
            .header("accept", NAVIGATION_ACCEPT)
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-mode", "navigate")
            .send()
            .await
            .expect("request")
    }

    /// [`Browser::submit`], then [`Browser::follow`]: the form's answer and the page's HTML after it.
    pub async fn submit_and_follow(
        &self,
        page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> (reqwest::Response, String) {
        let answer = self.submit(page, action, form).await;
        let html = self.follow(&answer).await.text().await.expect("the page");
        (answer, html)
    }

    pub async fn setup(&self, email: &str, password: &str, organization: &str) -> Answer<()> {
        self.call::<Setup>(&[("email", email), ("password", password), ("organization", organization)]).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer<()> {
        self.call::<Login>(&[("email", email), ("password", password)]).await
    }

    pub async fn logout(&self) -> Answer<()> {
        self.call::<Logout>(&[]).await
    }

    pub async fn session(&self) -> Answer<Option<SessionInfo>> {
        self.call::<GetSession>(&[]).await
    }

    pub async fn create_token(&self, name: &str, days: &str) -> Answer<CreatedToken> {
        self.call::<CreateToken>(&[("name", name), ("expires_in_days", days)]).await
    }

    /// A token named `name` with the default lifetime; panics if refused.
    pub async fn token(&self, name: &str) -> CreatedToken {
        self.create_token(name, "").await.expect("create a token")
    }

    /// A page of the active tokens, as the tokens page lists them (`after`: its "next page" link).
    pub async fn list_tokens(&self, after: Option<&str>) -> Answer<Page<TokenListing>> {
        let form: Vec<(&str, &str)> = after.map(|a| vec![("after", a)]).unwrap_or_default();
        self.call::<TokensOverview>(&form).await.map(|page| page.active)
    }

    pub async fn tokens_page(&self) -> Answer<TokensPageData> {
        self.call::<TokensOverview>(&[]).await
    }

    pub async fn delete_token(&self, id: &str) -> Answer<()> {
        self.call::<DeleteToken>(&[("id", id)]).await
    }

    pub async fn rotate_token(&self, id: &str, grace: &str) -> Answer<RotatedToken> {
        self.call::<RotateToken>(&[("id", id), ("grace", grace)]).await
    }

    pub async fn revoke_all_tokens(&self, confirm: &str) -> Answer<usize> {
        self.call::<RevokeAllTokens>(&[("confirm", confirm)]).await
    }

    pub async fn members(&self) -> Answer<Roster> {
        self.call::<ListMembers>(&[]).await
    }

    pub async fn invite(&self, email: &str, role: &str) -> Answer<Invited> {
        self.call::<InviteMember>(&[("email", email), ("role", role)]).await
    }

    pub async fn change_role(&self, user: UserId, role: &str) -> Answer<()> {
        self.call::<ChangeRole>(&[("user_id", &user.to_string()), ("role", role)]).await
    }

    pub async fn remove_member(&self, user: UserId) -> Answer<()> {
        self.call::<RemoveMember>(&[("user_id", &user.to_string())]).await
    }

    pub async fn revoke_member_tokens(&self, user: UserId) -> Answer<usize> {
        self.call::<RevokeMemberTokens>(&[("user_id", &user.to_string())]).await
    }

    pub async fn switch_org(&self, org: OrgId) -> Answer<()> {
        self.call::<SwitchOrg>(&[("org_id", &org.to_string())]).await
    }

    pub async fn invitation(&self, code: &str) -> Answer<InvitationInfo> {
        self.call::<GetInvitation>(&[("code", code)]).await
    }

    pub async fn accept(&self, code: &str, password: &str) -> Answer<()> {
        self.call::<AcceptInvitation>(&[("code", code), ("password", password)]).await
    }

    pub async fn set_policy(&self, max: &str, default: &str, unused: &str, api_rotation: bool) -> Answer<i64> {
        let mut form =
            vec![("max_lifetime_days", max), ("default_lifetime_days", default), ("revoke_unused_after_days", unused)];
        if api_rotation {
            form.push(("api_rotation", "on"));
        }
        self.call::<SetPolicy>(&form).await
    }

    pub async fn audit(&self, filters: &[(&str, &str)]) -> Answer<app::audit::AuditData> {
        self.call::<ListAudit>(filters).await
    }

    /// Registers a webhook endpoint for `events` (comma-separated codes or families).
    pub async fn add_webhook(&self, url: &str, events: &str) -> Answer<app::webhooks::AddedWebhook> {
        self.call::<AddWebhook>(&[("url", url), ("events", events)]).await
    }

    pub async fn webhooks(&self) -> Answer<app::webhooks::WebhooksData> {
        self.call::<ListWebhooks>(&[]).await
    }

    pub async fn resend_delivery(&self, webhook: &str, message: &str) -> Answer<()> {
        self.call::<ResendDelivery>(&[("webhook_id", webhook), ("message_id", message)]).await
    }

    pub async fn resend_invitation(&self, id: &str) -> Answer<()> {
        self.call::<ResendInvitation>(&[("id", id)]).await
    }
}

/// The code in an invitation link.
pub fn code_of(invited: &Invited) -> String {
    invited.link.as_deref().expect("the link is shown when email is off").rsplit('/').next().unwrap().to_owned()
}

/// A program calling the REST API with a token.
#[derive(Clone)]
pub struct Api {
    pub url: String,
    pub id: String,
    pub secret: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .header("X-ZeroPath-API-Token-Id", &self.id)
            .header("X-ZeroPath-API-Token-Secret", &self.secret)
    }

    pub async fn send(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.request(method, path).send().await.expect("request")
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Answer<T> {
        answer(self.send(reqwest::Method::GET, path).await).await
    }

    pub async fn status(&self, method: reqwest::Method, path: &str) -> StatusCode {
        self.send(method, path).await.status()
    }

    pub async fn whoami(&self) -> Answer<tessera::http::api::json::WhoAmI> {
        self.get("/api/v1/whoami").await
    }

    pub async fn post_json<T: DeserializeOwned>(&self, path: &str, body: serde_json::Value) -> Answer<T> {
        answer(self.request(reqwest::Method::POST, path).json(&body).send().await.expect("request")).await
    }
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
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_stack_size(8 << 20)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

/// A hung test fails after two minutes instead of stalling the whole run.
pub async fn within_time_limit(test: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(std::time::Duration::from_secs(120), test).await.expect("test took over two minutes");
}

/// Runs `tests` concurrently, each in its own task, and collects their results in order.
pub async fn all<T: Send + 'static>(
    tests: impl IntoIterator<Item = impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = tests.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

// The runners of `tessera_core::on_each_engine!`, the one engine macro; a test suite names one per call:
// `tessera_core::on_each_engine!(crate::helpers::on_app => name, …)`. Each runs its test on the shared
// runtime within the time limit, and skips an engine this machine lacks (CI=true makes that a failure).

/// Runs `async fn name(app: TestApp)` on a server over a fresh database of `backend`.
pub fn on_app(backend: Backend, test: impl AsyncFnOnce(TestApp)) {
    on_database(backend, async |db| test(TestApp::spawn_on(db, |_| {}).await).await)
}

/// Runs `async fn name(db: TestDatabase)` on a fresh database of `backend` (the test starts its servers).
pub fn on_database(backend: Backend, test: impl AsyncFnOnce(TestDatabase)) {
    on_engine(backend, async |backend| test(TestDatabase::create(backend).await.expect("a test database")).await)
}

/// Runs `async fn name(backend: Backend)` (the test makes its own databases).
pub fn on_engine(backend: Backend, test: impl AsyncFnOnce(Backend)) {
    if tessera_core::testing::available(backend) {
        runtime().block_on(within_time_limit(test(backend)))
    }
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
        Self::start_with(db, &[]).await
    }

    pub async fn start_with(db: &TestDatabase, env: &[(&str, &str)]) -> Self {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("TESSERA_DATA_DIR", db.data_dir.path())
            .env("TESSERA_DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start tessera");
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

/// The `tessera` binary as the operator runs it, on a test's database.
pub fn tessera_cli(db: &TestDatabase, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .args(args)
        .env("TESSERA_DATA_DIR", db.data_dir.path())
        .env("TESSERA_DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run tessera");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Waits (up to two seconds) until `check` holds.
pub async fn soon(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    false
}
