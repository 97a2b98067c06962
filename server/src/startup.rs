//! Start-up: configuration in, a listening server out. Every part is built here once, in order (no
//! setter has to be called before serving): database and migrations, the server key, the core with its
//! token verifier, the web state, the router; then the background tasks run beside the requests.

use crate::{
    config::{CommonArgs, ConfigError, LogFormat, ServeArgs, TokenCacheSetting},
    delivery::{self, DeliveryConfig, Transports},
    http::{self, ServerState, client::Proxies, limiter::FailureLimiter, reqlog},
};
use app::state::{AppState, SetupGate, WebSettings};
use ipnet::IpNet;
use leptos::prelude::LeptosOptions;
use std::{
    fmt,
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tessera_core::{
    clock::Clock,
    context::{Core, CoreSettings},
    db::{Backend, Db, DbError, DbOptions, redact_url},
    keys::{self, KeyError},
    secret::TokenPrefix,
    time::{HOUR_MS, MINUTE_MS, SECOND_MS},
    verify::{Background, CacheMode},
};
use tokio::net::TcpListener;

/// Everything the server needs to start, already validated. `Debug` shows no secret.
#[derive(Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub database: DbOptions,
    pub listen: SocketAddr,
    pub site_root: PathBuf,
    /// `TESSERA_SECRET_KEY`; without it the key file in the data directory is used.
    pub secret_key: Option<String>,
    pub web: WebSettings,
    pub core: CoreSettings,
    pub proxies: Vec<IpNet>,
    pub api_failures_per_minute: u32,
    pub token_cache: TokenCacheSetting,
    pub token_cache_ttl_ms: i64,
    pub log_format: LogFormat,
    pub delivery: DeliveryConfig,
    pub leaks: crate::config::LeakConfig,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(&self.database.url))
            .field("listen", &self.listen)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "[redacted]"))
            .field("web", &self.web)
            .field("proxies", &self.proxies)
            .field("token_cache", &self.token_cache)
            .field("delivery", &self.delivery)
            .field("leaks", &self.leaks)
            .finish_non_exhaustive()
    }
}

/// The core's settings from the shared flags.
pub fn core_settings(common: &CommonArgs) -> Result<CoreSettings, ConfigError> {
    Ok(CoreSettings {
        token_prefix: TokenPrefix::parse(&common.token_prefix).map_err(ConfigError::TokenPrefix)?,
        audit_retention_days: common.audit_retention_days.max(1),
        ..CoreSettings::default()
    })
}

impl ServerConfig {
    pub fn from_args(common: &CommonArgs, serve: &ServeArgs) -> Result<Self, ConfigError> {
        let data_dir = common.prepare_data_dir()?;
        let url = common.database_url(&data_dir)?;
        let (token_id_header, token_secret_header) = serve.headers.header_names()?;
        let mut core = core_settings(common)?;
        core.session_idle_ms = i64::from(serve.session_idle_minutes.max(1)) * MINUTE_MS;
        core.session_absolute_ms = i64::from(serve.session_max_hours.max(1)) * HOUR_MS;
        core.sudo_ms = i64::from(serve.sudo_minutes.max(1)) * MINUTE_MS;
        let delivery = DeliveryConfig::from_args(&serve.notify)?;
        let public_origin = serve.public_origin()?;
        if let Some(origin) = &public_origin {
            core.links_base = origin.clone();
        }
        Ok(Self {
            database: common.db_options(url),
            data_dir,
            listen: serve.listen,
            site_root: serve.site_root.clone(),
            secret_key: secret_key_from_env(),
            web: WebSettings { public_origin, listen: serve.listen, token_id_header, token_secret_header },
            core,
            proxies: serve.trusted_proxies()?,
            api_failures_per_minute: serve.api_failures_per_minute,
            token_cache: serve.token_cache,
            token_cache_ttl_ms: i64::from(serve.token_cache_ttl.max(1)) * SECOND_MS,
            log_format: common.log_format,
            delivery,
            leaks: crate::config::LeakConfig::from_args(&serve.leaks),
        })
    }

    /// A server on a free loopback port over the given database; for tests and tools.
    pub fn local(data_dir: PathBuf, database_url: String) -> Self {
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            data_dir,
            database: DbOptions::new(database_url),
            listen,
            site_root: PathBuf::from("target/site"),
            secret_key: None,
            web: WebSettings::local(listen),
            core: CoreSettings::default(),
            proxies: Vec::new(),
            api_failures_per_minute: 30,
            token_cache: TokenCacheSetting::Auto,
            token_cache_ttl_ms: 30 * SECOND_MS,
            log_format: LogFormat::Human,
            delivery: DeliveryConfig::default(),
            leaks: crate::config::LeakConfig {
                possession_per_minute: crate::config::LeakConfig::POSSESSION_PER_MINUTE,
                ..Default::default()
            },
        }
    }

    pub fn key_file(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }
}

/// The server key is read from the environment only, never from a command-line flag (which other users
/// of the machine could read in the process list).
pub fn secret_key_from_env() -> Option<String> {
    std::env::var("TESSERA_SECRET_KEY").ok().filter(|k| !k.trim().is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}; check --database-url or TESSERA_DATABASE_URL ({url})", .source)]
    Database { url: String, source: DbError },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot listen on {addr}: {source}; choose another address with --listen or TESSERA_LISTEN")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Site(String),
    #[error("could not write the setup code to {0}: {1}")]
    SetupCode(String, std::io::Error),
    #[error("could not read the database: {0}")]
    Core(tessera_core::Error),
}

/// Connects and migrates.
pub async fn open_database(options: &DbOptions) -> Result<Db, StartupError> {
    let wrap = |source| StartupError::Database { url: redact_url(&options.url), source };
    let db = Db::connect(options).await.map_err(wrap)?;
    db.migrate().await.map_err(wrap)?;
    Ok(db)
}

/// The core: database (migrated), server key (checked against the database), hasher, verifier.
pub async fn open_core(
    database: &DbOptions,
    secret_key: Option<&str>,
    key_file: &Path,
    settings: CoreSettings,
    cache: CacheMode,
    clock: Clock,
) -> Result<(Core, Background), StartupError> {
    let db = open_database(database).await?;
    let key = keys::load(&db, secret_key, key_file).await?;
    Ok(Core::new(db, clock, key, settings, cache))
}

/// The one-time code first-run setup asks for when the server listens beyond this machine: in a file
/// only the server's user can read (created on first use), printed by `tessera setup-code`.
pub fn setup_code(data_dir: &Path) -> Result<String, StartupError> {
    let path = data_dir.join("setup-code");
    let fail = |e| StartupError::SetupCode(path.display().to_string(), e);
    match std::fs::read_to_string(&path) {
        Ok(code) if !code.trim().is_empty() => Ok(code.trim().to_owned()),
        Ok(_) | Err(_) => {
            let code = tessera_core::crypto::random_urlsafe::<18>();
            let _ = std::fs::remove_file(&path);
            tessera_core::crypto::write_private(&path, code.as_bytes()).map_err(fail)?;
            Ok(code)
        }
    }
}

/// Only this machine can reach the server, so first-run setup may go without the operator's code: it
/// listens on loopback, its public URL (if set) names loopback too, and it trusts no proxy. A public URL
/// elsewhere or a trusted proxy means a reverse proxy on this machine forwards other people's requests,
/// which then arrive from loopback.
pub fn reachable_only_from_this_machine(listen: SocketAddr, public_origin: Option<&str>, proxies: &[IpNet]) -> bool {
    listen.ip().is_loopback() && public_origin.is_none_or(names_loopback) && proxies.is_empty()
}

/// Does this origin (`https://host[:port]`) name this machine? Read with the parser the rest of the
/// server uses for URLs; anything it can't read is taken as elsewhere.
fn names_loopback(origin: &str) -> bool {
    let Some(host) = reqwest::Url::parse(origin).ok().and_then(|url| url.host_str().map(str::to_owned)) else {
        return false;
    };
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    }
}

fn leptos_options(site_root: &Path, site_addr: SocketAddr) -> Result<LeptosOptions, StartupError> {
    // The hashed asset names are in `hash.txt` beside the executable (cargo-leptos and `make` put it
    // there); without it Leptos would fail every page, so say so once, at start.
    let hash_files = std::env::var("LEPTOS_HASH_FILES").is_ok_and(|v| v == "true");
    if hash_files {
        let hash_file = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("hash.txt")));
        if !hash_file.as_ref().is_some_and(|f| f.exists()) {
            return Err(StartupError::Site(format!(
                "LEPTOS_HASH_FILES=true but there is no hash.txt beside the executable ({}); rebuild with `make build` or unset LEPTOS_HASH_FILES",
                hash_file.map(|f| f.display().to_string()).unwrap_or_default()
            )));
        }
    }
    Ok(LeptosOptions::builder()
        .output_name(env!("LEPTOS_OUTPUT_NAME"))
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(site_addr)
        .hash_files(hash_files)
        .build())
}

pub struct Application {
    listener: TcpListener,
    router: http::Service,
    state: ServerState,
    background: Background,
    delivery: DeliveryConfig,
    transports: Arc<Transports>,
}

/// Where request log lines go (tests capture them).
pub type LogSink = Box<dyn std::io::Write + Send>;

impl Application {
    pub async fn build(config: ServerConfig, clock: Clock) -> Result<Self, StartupError> {
        Self::build_with_log(config, clock, Box::new(std::io::stdout())).await
    }

    pub async fn build_with_log(config: ServerConfig, clock: Clock, log: LogSink) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        let backend = Backend::from_url(&config.database.url)
            .map_err(|source| StartupError::Database { url: redact_url(&config.database.url), source })?;
        let cache = match (config.token_cache, backend) {
            (TokenCacheSetting::Off, _) | (TokenCacheSetting::Auto, Backend::Postgres) => CacheMode::Off,
            (TokenCacheSetting::On | TokenCacheSetting::Auto, Backend::Sqlite) => {
                CacheMode::Local { ttl_ms: config.token_cache_ttl_ms }
            }
            (TokenCacheSetting::On, Backend::Postgres) => {
                CacheMode::Shared { ttl_ms: config.token_cache_ttl_ms, database_url: config.database.url.clone() }
            }
        };
        let transports = Arc::new(Transports::new(&config.delivery)?);
        let mut settings = config.core.clone();
        // What the services need to know of delivery: whether email goes out, which endpoints may be called.
        settings.email = config.delivery.smtp.is_some();
        settings.allow_private_webhooks = config.delivery.allow_private_webhooks;
        if config.web.public_origin.is_none() {
            // Links in emails point where this server listens, unless told its public URL.
            settings.links_base = format!("http://{addr}");
        }
        let (core, background) =
            open_core(&config.database, config.secret_key.as_deref(), &config.key_file(), settings, cache, clock)
                .await?;
        // Tokens created before leak response get their lookup digest before anything is served.
        tessera_core::services::leaks::backfill(&core).await.map_err(StartupError::Core)?;
        // The command line reads them, to queue the same emails as the dashboard, with the same links.
        tessera_core::services::instance::record_mail_settings(&core).await.map_err(StartupError::Core)?;
        let local = reachable_only_from_this_machine(addr, config.web.public_origin.as_deref(), &config.proxies);
        let setup = if local
            || !tessera_core::services::accounts::needs_setup(&core).await.map_err(StartupError::Core)?
        {
            SetupGate::open()
        } else {
            tracing::warn!(
                "first-run setup is open and Tessera can be reached from beyond this machine (listen address, public URL or trusted proxies): setup asks for a one-time code; print it with `tessera setup-code`"
            );
            SetupGate::with_code(&setup_code(&config.data_dir)?)
        };
        let mut web = config.web.clone();
        web.listen = addr;
        let leptos = leptos_options(&config.site_root, addr)?;
        let app_state = AppState::new(core, web.clone(), leptos, setup);
        let (id_label, secret_label) = web.header_labels();
        let openapi = http::api::openapi(&id_label, &secret_label);
        let log_enabled = tracing::enabled!(target: "request", tracing::Level::INFO);
        let format = match config.log_format {
            LogFormat::Human => reqlog::Format::Human,
            LogFormat::Json => reqlog::Format::Json,
        };
        let state = ServerState(Arc::new(http::HttpParts {
            app: app_state,
            proxies: Proxies::new(config.proxies.clone()),
            failures_by_client: FailureLimiter::new(config.api_failures_per_minute),
            failures_by_token: FailureLimiter::new(config.api_failures_per_minute),
            metrics: Default::default(),
            log: reqlog::RequestLog::new(format, log_enabled, log),
            unauthorized: http::api::auth::Unauthorized::new(&id_label, &secret_label),
            openapi: Arc::from(serde_json::to_string(&openapi).unwrap_or_default()),
            leaks: http::api::leaks::Intakes::new(&config.leaks),
        }));
        let router = http::router(state.clone());
        Ok(Self { listener, router, state, background, delivery: config.delivery, transports })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &ServerState {
        &self.state
    }

    pub fn core(&self) -> &Core {
        &self.state.app.core
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let core = self.state.app.core.clone();
        let Background { lookups, usage, listener } = self.background;
        let mut tasks = vec![
            tokio::spawn(lookups.run(core.db.clone())),
            tokio::spawn(usage.run(core.db.clone())),
            tokio::spawn(housekeeping(core.clone())),
            tokio::spawn(expiry_warnings(core.clone())),
            tokio::spawn(flush_logs(self.state.clone())),
        ];
        tasks.extend(delivery::spawn_workers(&core, &self.transports, &self.delivery));
        if let Some(listener) = listener {
            tasks.push(tokio::spawn(listener.run()));
        }
        let service =
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(self.router);
        let result = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        for task in tasks {
            task.abort();
        }
        self.state.log.flush();
        core.db.close().await;
        result
    }
}

/// Periodic clean-up: expired sessions, audit events past retention, tokens unused beyond policy.
async fn housekeeping(core: Core) {
    let mut every = tokio::time::interval(Duration::from_millis((10 * MINUTE_MS) as u64));
    loop {
        every.tick().await;
        match tessera_core::services::housekeeping::sweep(&core).await {
            Ok(swept) if swept != Default::default() => tracing::info!(?swept, "housekeeping"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "housekeeping failed"),
        }
    }
}

/// Expiry warnings are looked for every minute (each is sent once, whatever the instances).
async fn expiry_warnings(core: Core) {
    let mut every = tokio::time::interval(Duration::from_millis(MINUTE_MS as u64));
    loop {
        every.tick().await;
        if let Err(e) = tessera_core::services::notify::sweep_expiry(&core).await {
            tracing::warn!(error = ?e, "expiry warnings failed");
        }
    }
}

async fn flush_logs(state: ServerState) {
    let mut every = tokio::time::interval(reqlog::FLUSH_EVERY);
    loop {
        every.tick().await;
        state.log.flush();
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_is_local_only_when_listen_address_public_url_and_proxies_all_say_so() {
        let loopback: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let proxy: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        assert!(reachable_only_from_this_machine(loopback, None, &[]));
        assert!(reachable_only_from_this_machine("[::1]:3000".parse().unwrap(), None, &[]));
        for local in ["http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000", "http://tessera.localhost"]
        {
            assert!(reachable_only_from_this_machine(loopback, Some(local), &[]), "{local}");
        }
        // The usual nginx-on-the-same-host layout, and each of its parts alone.
        assert!(!reachable_only_from_this_machine(loopback, Some("https://tessera.example.com"), &proxy));
        assert!(!reachable_only_from_this_machine(loopback, Some("https://tessera.example.com"), &[]));
        assert!(!reachable_only_from_this_machine(loopback, None, &proxy));
        assert!(!reachable_only_from_this_machine("0.0.0.0:3000".parse().unwrap(), None, &[]));
        assert!(!reachable_only_from_this_machine("10.0.0.5:3000".parse().unwrap(), None, &[]));
        for elsewhere in ["https://localhost.example.com", "https://127.0.0.1.nip.io", "https://[::ffff:7f00:1]x"] {
            assert!(!reachable_only_from_this_machine(loopback, Some(elsewhere), &[]), "{elsewhere}");
        }
    }
}
