//! Start-up: configuration in, a listening server out.

use crate::{
    config::{CommonArgs, ConfigError, ServeArgs},
    routes,
};
use app::platform::{
    clock::Clock,
    db::{Db, DbError, DbOptions, redact_url},
    state::{AppState, Settings},
};
use leptos::prelude::LeptosOptions;
use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc};
use tokio::net::TcpListener;

/// Everything the server needs to start, already validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub database: DbOptions,
    pub listen: SocketAddr,
    pub public_origin: Option<String>,
    pub site_root: PathBuf,
}

impl ServerConfig {
    pub fn from_args(common: &CommonArgs, serve: &ServeArgs) -> Result<Self, ConfigError> {
        let data_dir = common.prepare_data_dir()?;
        let url = common.database_url(&data_dir)?;
        Ok(Self {
            database: common.db_options(url),
            data_dir,
            listen: serve.listen,
            public_origin: serve.public_origin()?,
            site_root: serve.site_root.clone(),
        })
    }

    /// A server on a free loopback port over the given database; for tests and tools.
    pub fn local(data_dir: PathBuf, database_url: String) -> Self {
        Self {
            data_dir,
            database: DbOptions::new(database_url),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_origin: None,
            site_root: PathBuf::from("target/site"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}; check --database-url or TESSERA_DATABASE_URL ({url})", .source)]
    Database { url: String, source: DbError },
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

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
}

impl Application {
    pub async fn build(config: ServerConfig, clock: Clock) -> Result<Self, StartupError> {
        let db = open_database(&config.database).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        let leptos_options = LeptosOptions::builder()
            .output_name(env!("LEPTOS_OUTPUT_NAME"))
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr().map_err(|source| StartupError::Listen { addr: config.listen, source })?)
            .build();
        let state = AppState {
            leptos_options,
            db,
            clock,
            settings: Arc::new(Settings { public_origin: config.public_origin.clone() }),
        };
        let router = routes::router(state.clone());
        Ok(Self { listener, router, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        self.state.db.close().await;
        result
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
