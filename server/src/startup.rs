//! Start-up: configuration in, a listening server out.

use crate::{
    config::{CommonArgs, ConfigError, ServeArgs, TokenCache},
    routes,
};
use app::{
    auth::password::PasswordHasher,
    platform::{
        clock::Clock,
        db::{Backend, Db, DbError, DbOptions, redact_url},
        keys::{self, KeyError},
        state::{AppState, Settings, Shared},
    },
    time::{HOUR_MS, MINUTE_MS},
    tokens::{auth::TokenAuth, secret::TokenPrefix},
};
use leptos::prelude::LeptosOptions;
use std::{
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};
use tokio::net::TcpListener;

/// Everything the server needs to start, already validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub database: DbOptions,
    pub listen: SocketAddr,
    pub site_root: PathBuf,
    /// `TESSERA_SECRET_KEY`; without it the key file in the data directory is used.
    pub secret_key: Option<String>,
    pub settings: Settings,
    pub token_cache: TokenCache,
}

impl ServerConfig {
    pub fn from_args(common: &CommonArgs, serve: &ServeArgs) -> Result<Self, ConfigError> {
        let data_dir = common.prepare_data_dir()?;
        let url = common.database_url(&data_dir)?;
        let (token_id_header, token_secret_header) = serve.header_names()?;
        Ok(Self {
            database: common.db_options(url),
            data_dir,
            listen: serve.listen,
            site_root: serve.site_root.clone(),
            secret_key: secret_key_from_env(),
            settings: Settings {
                public_origin: serve.public_origin()?,
                trusted_proxy_hops: serve.trusted_proxies,
                session_idle_ms: i64::from(serve.session_idle_minutes.max(1)) * MINUTE_MS,
                session_absolute_ms: i64::from(serve.session_max_hours.max(1)) * HOUR_MS,
                token_prefix: TokenPrefix::parse(&serve.token_prefix).map_err(ConfigError::TokenPrefix)?,
                token_id_header,
                token_secret_header,
                api_failures_per_minute: serve.api_failures_per_minute,
            },
            token_cache: serve.token_cache,
        })
    }

    /// A server on a free loopback port over the given database; for tests and tools.
    pub fn local(data_dir: PathBuf, database_url: String) -> Self {
        Self {
            data_dir,
            database: DbOptions::new(database_url),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            site_root: PathBuf::from("target/site"),
            secret_key: None,
            settings: Settings::default(),
            token_cache: TokenCache::Auto,
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
}

/// Connects and migrates.
pub async fn open_database(options: &DbOptions) -> Result<Db, StartupError> {
    let wrap = |source| StartupError::Database { url: redact_url(&options.url), source };
    let db = Db::connect(options).await.map_err(wrap)?;
    db.migrate().await.map_err(wrap)?;
    Ok(db)
}

/// The shared state: database (migrated), server key (checked against the database), hasher, settings.
pub async fn build_state(config: &ServerConfig, clock: Clock, site_addr: SocketAddr) -> Result<AppState, StartupError> {
    let db = open_database(&config.database).await?;
    let key = keys::load(&db, config.secret_key.as_deref(), &config.key_file()).await?;
    // PostgreSQL is the engine for several instances: assume others share the database.
    let shared = db.backend() == Backend::Postgres;
    let cache_tokens = match config.token_cache {
        TokenCache::On => true,
        TokenCache::Off => false,
        TokenCache::Auto => db.backend() == Backend::Sqlite,
    };
    let leptos_options = LeptosOptions::builder()
        .output_name(env!("LEPTOS_OUTPUT_NAME"))
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(site_addr)
        .build();
    Ok(AppState::new(Shared {
        leptos_options,
        db,
        clock,
        settings: Arc::new(config.settings.clone()),
        key: Arc::new(key),
        passwords: PasswordHasher::for_this_machine(),
        setup_complete: Arc::new(AtomicBool::new(false)),
        token_auth: Arc::new(TokenAuth::new(cache_tokens, shared, config.settings.api_failures_per_minute)),
    }))
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    database_url: String,
}

impl Application {
    pub async fn build(config: ServerConfig, clock: Clock) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        let state = build_state(&config, clock, addr).await?;
        let router = routes::router(state.clone());
        Ok(Self { listener, router, state, database_url: config.database.url.clone() })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let housekeeping = tokio::spawn(housekeeping(self.state.clone()));
        // Last-used records are written by one task, off the requests' path.
        let (usage, records) = tokio::sync::mpsc::channel(4096);
        self.state.token_auth.set_usage_sink(usage);
        let recorder = tokio::spawn(app::tokens::auth::record_usage(self.state.clone(), records));
        // Several instances with the token cache on: keep the caches in step over LISTEN/NOTIFY.
        let invalidations = self.state.token_auth.needs_invalidation_channel().then(|| {
            tokio::spawn(app::tokens::auth::sync_invalidations(self.state.clone(), self.database_url.clone()))
        });
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        housekeeping.abort();
        recorder.abort();
        if let Some(task) = invalidations {
            task.abort();
        }
        self.state.db.close().await;
        result
    }
}

/// Periodic clean-up: expired sessions.
async fn housekeeping(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match app::auth::session::purge_expired(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
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
