//! Command line and environment: every flag can also be set with a `TESSERA_*` variable. Parsing turns
//! them into a [`crate::startup::ServerConfig`] that can't hold a bad value; a mistake is one line that
//! says what to fix.

use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;
use std::{net::SocketAddr, path::PathBuf};
use tessera_core::{
    db::{DbOptions, redact_url, sqlite_url},
    domain::token::{DEFAULT_TOKEN_ID_HEADER, DEFAULT_TOKEN_SECRET_HEADER, ExpiryDays},
};

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Organization-scoped API tokens, with a web dashboard",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Without a command, `tessera` serves (same as `tessera serve`).
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Print the one-time code that first-run setup asks for when Tessera listens beyond this machine.
    SetupCode,
    /// Manage accounts (passwords are read from standard input, or asked for at a terminal).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Incident response: revoke tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Call a Tessera API the way an integration does. The token comes from TESSERA_TOKEN_ID and
    /// TESSERA_TOKEN_SECRET (never from arguments, which others on the machine could read).
    Api {
        /// The Tessera to call.
        #[arg(long, env = "TESSERA_API_URL", default_value = "http://127.0.0.1:3000")]
        url: String,
        #[command(flatten)]
        headers: HeaderArgs,
        #[command(subcommand)]
        call: ApiCall,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ApiCall {
    /// Who the token acts as: its organization, creator and role.
    Whoami,
    /// Delete the token itself (when it has leaked).
    Revoke,
    /// Replace the token with a new one (if the organization allows API rotation). Prints
    /// `export TESSERA_TOKEN_ID=…` and `export TESSERA_TOKEN_SECRET=…` for the new pair on standard
    /// output, so `eval "$(tessera api rotate)"` switches the shell to it; the rest goes to standard
    /// error. A token rotates once: running it again with the old pair is refused (409) and changes
    /// nothing.
    Rotate {
        /// How long the current secret keeps working: none, 1h, 24h or 7d. With none, any later use of
        /// the old secret (a retry too) counts as a leak and ends the new token as well.
        #[arg(long, default_value = "24h")]
        grace: String,
        /// The new token's lifetime in days (1 to 365, within the organization's policy). It never
        /// expires later than the current token; default: exactly when the current token expires.
        #[arg(long, value_parser = clap::value_parser!(u16).range(ExpiryDays::MIN..=ExpiryDays::MAX))]
        expires_in_days: Option<u16>,
    },
    /// Report a token as leaked: it is revoked at once with its rotation family, marked exposed, and
    /// its creator and the organization's administrators are told. The token itself by default.
    Leaked {
        /// Another token of the organization (its Token ID), which the calling token's creator may delete.
        #[arg(long)]
        id: Option<String>,
        /// Where the secret was found.
        #[arg(long)]
        url: Option<String>,
        /// What kind of place (a commit, a log, a chat message…).
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Creating any account completes first-run setup.
    Create {
        #[arg(long)]
        email: String,
    },
    /// Set a new password for an account; its sessions end.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization owned by an existing account.
    Create {
        #[arg(long)]
        name: String,
        /// Email of the owner (an existing account).
        #[arg(long)]
        owner: String,
    },
    /// Add an existing account to an organization.
    AddMember {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// owner, admin, member or viewer.
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Revoke every token one member created in an organization.
    RevokeMember {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
    },
    /// Revoke every token of an organization.
    RevokeAll {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        /// The organization's exact name again, to confirm.
        #[arg(long)]
        confirm: String,
    },
    /// Report a token as leaked: revoked at once with its rotation family, marked exposed; its creator
    /// and the organization's administrators are emailed (by the running server).
    Leaked {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        /// The Token ID.
        #[arg(long)]
        id: String,
        /// Where the secret was found.
        #[arg(long)]
        url: Option<String>,
        /// What kind of place.
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print an organization's events as JSON lines, oldest first.
    Export {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        /// RFC 3339 instant (2026-01-01T00:00:00Z) or a number of days back (30d). Default: everything kept.
        #[arg(long)]
        since: Option<String>,
    },
}

/// Where the data lives. Shared by every command.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Directory for the SQLite database and the server key; created on first start (by `serve` and
    /// `migrate` only: the other commands need an existing one).
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://user:password@host/db` for PostgreSQL; default: the SQLite file tessera.db in the data directory.
    #[arg(long, env = "TESSERA_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Log format.
    #[arg(long, env = "TESSERA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// Maximum database connections in the pool.
    #[arg(long, env = "TESSERA_DB_POOL_SIZE", default_value_t = 10, global = true)]
    pub db_pool_size: u32,
    /// Seconds to wait for a free database connection before answering 503.
    #[arg(long, env = "TESSERA_DB_ACQUIRE_TIMEOUT", default_value_t = 5, global = true)]
    pub db_acquire_timeout: u64,
    /// PostgreSQL only: seconds after which a statement is cancelled.
    #[arg(long, env = "TESSERA_DB_STATEMENT_TIMEOUT", default_value_t = 10, global = true)]
    pub db_statement_timeout: u64,
    /// The prefix of token secrets (`tsr_…`): 1 to 16 lowercase letters or digits. Changing it makes
    /// existing tokens unusable.
    #[arg(long, env = "TESSERA_TOKEN_PREFIX", default_value = "tsr", global = true)]
    pub token_prefix: String,
    /// Days an audit event is kept.
    #[arg(long, env = "TESSERA_AUDIT_RETENTION_DAYS", default_value_t = 400, global = true)]
    pub audit_retention_days: u32,
}

/// The request headers that carry a token. The server, the CLI client, the OpenAPI document and every
/// example shown read them from here.
#[derive(Debug, Clone, Args)]
pub struct HeaderArgs {
    /// The request header carrying the Token ID.
    #[arg(long, env = "TESSERA_TOKEN_ID_HEADER", default_value = DEFAULT_TOKEN_ID_HEADER)]
    pub token_id_header: String,
    /// The request header carrying the Token Secret.
    #[arg(long, env = "TESSERA_TOKEN_SECRET_HEADER", default_value = DEFAULT_TOKEN_SECRET_HEADER)]
    pub token_secret_header: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The URL people use to reach Tessera, e.g. https://tessera.example.com. Host and cross-site checks
    /// compare against it; when it is https, cookies are Secure.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Directory holding the built site (pkg/, favicon.ico).
    #[arg(long, env = "TESSERA_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// The reverse proxies in front of Tessera, as addresses or networks (`127.0.0.1`, `10.0.0.0/8`,
    /// comma-separated). `X-Forwarded-For` is read only when the connection comes from one of them, and
    /// only as far as the first address that is not one of them. Empty (the default): the header is
    /// ignored and the client address is the connection's.
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Minutes without a request after which a browser session ends.
    #[arg(long, env = "TESSERA_SESSION_IDLE_MINUTES", default_value_t = 24 * 60)]
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a browser session ends, active or not.
    #[arg(long, env = "TESSERA_SESSION_MAX_HOURS", default_value_t = 7 * 24)]
    pub session_max_hours: u32,
    /// Sudo mode: minutes after the last sign-in (or confirmation) after which creating or rotating a
    /// token, adding a webhook or inviting asks for the password (and 2FA code) again.
    #[arg(long, env = "TESSERA_SUDO_MINUTES", default_value_t = 15)]
    pub sudo_minutes: u32,
    #[command(flatten)]
    pub headers: HeaderArgs,
    /// Failed API authentications allowed per client address (IPv6: per /64), and per Token ID, per
    /// minute; beyond it failing requests get 429 (valid tokens never do). 0 turns the limit off.
    #[arg(long, env = "TESSERA_API_FAILURES_PER_MINUTE", default_value_t = 30)]
    pub api_failures_per_minute: u32,
    /// Keep verified tokens in memory: `auto` (on for SQLite; on PostgreSQL off, as several instances may
    /// share the database), `on` (on PostgreSQL, instances tell each other of changes with LISTEN/NOTIFY),
    /// or `off` (every request checks the database).
    #[arg(long, env = "TESSERA_TOKEN_CACHE", value_enum, default_value_t = TokenCacheSetting::Auto)]
    pub token_cache: TokenCacheSetting,
    /// Seconds a cached token is used before it is read again, even if a change notification was lost.
    #[arg(long, env = "TESSERA_TOKEN_CACHE_TTL", default_value_t = 30)]
    pub token_cache_ttl: u32,
    #[command(flatten)]
    pub notify: NotifyArgs,
    #[command(flatten)]
    pub leaks: LeakArgs,
}

/// GitHub's published secret-scanning public keys.
pub const GITHUB_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";

/// Leak response: where secret scanners report leaked Tessera secrets (see the README).
#[derive(Clone, Args, Default)]
pub struct LeakArgs {
    /// The URL of the public keys GitHub signs its secret-scanning reports with (JSON:
    /// `{"public_keys": [{"key_identifier", "key", "is_current"}]}`). Setting it turns on
    /// `POST /api/v1/leaks/github`.
    #[arg(long, env = "TESSERA_GITHUB_KEYS_URL")]
    pub github_keys_url: Option<String>,
    /// The same keys document from a file, instead of a URL.
    #[arg(long, env = "TESSERA_GITHUB_KEYS_FILE")]
    pub github_keys_file: Option<PathBuf>,
    /// Turns on `POST /api/v1/leaks/github` with GitHub's published keys
    /// (https://api.github.com/meta/public_keys/secret_scanning).
    #[arg(long, env = "TESSERA_GITHUB_LEAKS", default_value_t = false)]
    pub github_leaks: bool,
    /// The token a GitLab instance sends (in `Authorization`) to the Token Revocation API under
    /// `/api/v1/leaks/gitlab/`. Unset: those endpoints answer 404.
    #[arg(long, env = "TESSERA_GITLAB_REVOCATION_TOKEN", hide_env_values = true)]
    pub gitlab_revocation_token: Option<String>,
}

impl std::fmt::Debug for LeakArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeakArgs")
            .field("github_keys_url", &self.github_keys_url)
            .field("github_keys_file", &self.github_keys_file)
            .field("github_leaks", &self.github_leaks)
            .field("gitlab_revocation_token", &self.gitlab_revocation_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Where GitHub's public keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GithubKeySource {
    Url(String),
    File(PathBuf),
}

/// The leak intakes' configuration.
#[derive(Clone, Default)]
pub struct LeakConfig {
    /// `None`: the GitHub endpoint is off (404).
    pub github: Option<GithubKeySource>,
    /// `None`: the GitLab endpoints are off (404).
    pub gitlab_token: Option<String>,
    /// Revoke-by-possession requests one client address may make per minute (0: no limit).
    pub possession_per_minute: u32,
}

impl std::fmt::Debug for LeakConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeakConfig")
            .field("github", &self.github)
            .field("gitlab_token", &self.gitlab_token.as_ref().map(|_| "[redacted]"))
            .field("possession_per_minute", &self.possession_per_minute)
            .finish()
    }
}

impl LeakConfig {
    pub const POSSESSION_PER_MINUTE: u32 = 10;

    pub fn from_args(args: &LeakArgs) -> Self {
        let url = args.github_keys_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let github = match (url, &args.github_keys_file) {
            (Some(url), _) => Some(GithubKeySource::Url(url.to_owned())),
            (None, Some(file)) if !file.as_os_str().is_empty() => Some(GithubKeySource::File(file.clone())),
            _ if args.github_leaks => Some(GithubKeySource::Url(GITHUB_KEYS_URL.to_owned())),
            _ => None,
        };
        let gitlab_token = args.gitlab_revocation_token.as_deref().map(str::trim).filter(|t| !t.is_empty());
        Self {
            github,
            gitlab_token: gitlab_token.map(str::to_owned),
            possession_per_minute: Self::POSSESSION_PER_MINUTE,
        }
    }
}

/// Email and webhooks.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// The SMTP server for email: `smtp://host:25` (plain), `smtp://host:587?tls=required` (STARTTLS),
    /// `smtps://host:465` (TLS), with `user:password@` for authentication. Unset: email is off.
    #[arg(long, env = "TESSERA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of emails, like `Tessera <tessera@example.com>`.
    #[arg(long, env = "TESSERA_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Let webhook endpoints be on loopback and private networks, over plain http:// too (for internal
    /// receivers). Off by default: Tessera must not become a way into its own network.
    #[arg(long, env = "TESSERA_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false)]
    pub webhooks_allow_private: bool,
    /// Milliseconds between looks at the outbox for due emails and webhook deliveries.
    #[arg(long, env = "TESSERA_OUTBOX_POLL_MS", default_value_t = 1000)]
    pub outbox_poll_ms: u64,
    /// Email delivery workers in this process (PostgreSQL; SQLite always has one). Instances share the
    /// work. Webhooks have a lane of their own (deliveries to different endpoints run side by side).
    #[arg(long, env = "TESSERA_OUTBOX_WORKERS", default_value_t = 2)]
    pub outbox_workers: u32,
    /// Milliseconds before the first retry of a failed delivery; each further retry waits twice as long
    /// (at most an hour).
    #[arg(long, env = "TESSERA_DELIVERY_RETRY_BASE_MS", default_value_t = 30_000)]
    pub delivery_retry_base_ms: u64,
    /// Minutes of failed retries after which a delivery is given up (and its webhook marked failing).
    #[arg(long, env = "TESSERA_DELIVERY_GIVE_UP_MINUTES", default_value_t = 24 * 60)]
    pub delivery_give_up_minutes: u64,
}

/// What the operator chose for the verified-token cache (`--token-cache`); start-up turns it, with the
/// engine, into the core's `verify::CacheMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenCacheSetting {
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// A configuration mistake, reported as one line that says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the data directory {path} is not usable ({reason}); choose another with --data-dir or TESSERA_DATA_DIR")]
    DataDir { path: String, reason: String },
    #[error(
        "the data directory {0} does not exist. Point at the server's with --data-dir or TESSERA_DATA_DIR (it holds the \
         SQLite database and the server key; with --database-url and TESSERA_SECRET_KEY none is needed). Nothing was \
         created: only `tessera serve` and `tessera migrate` set up a new installation"
    )]
    NoDataDir(String),
    #[error(
        "there is no database at {0}. Point at the server's with --data-dir or TESSERA_DATA_DIR, or --database-url or \
         TESSERA_DATABASE_URL. Nothing was created: only `tessera serve` and `tessera migrate` set up a new installation"
    )]
    NoDatabase(String),
    #[error(
        "the database URL {url} is not valid: {reason}; set --database-url or TESSERA_DATABASE_URL to sqlite://path/to/file.db or postgres://user@host/db"
    )]
    DatabaseUrl { url: String, reason: String },
    #[error(
        "--public-url {0} must be an absolute http:// or https:// URL without a path, like https://tessera.example.com"
    )]
    PublicUrl(String),
    #[error("--smtp-url / TESSERA_SMTP_URL: {0}")]
    SmtpUrl(String),
    #[error("--smtp-from / TESSERA_SMTP_FROM: {0}")]
    SmtpFrom(String),
    #[error("--token-prefix / TESSERA_TOKEN_PREFIX: {0}")]
    TokenPrefix(String),
    #[error("{0} is not a valid HTTP header name; choose one like X-Api-Token-Id")]
    HeaderName(String),
    #[error(
        "--trusted-proxies / TESSERA_TRUSTED_PROXIES: {0:?} is not an address or network; list your proxies' addresses, \
         like 127.0.0.1 or 10.0.0.0/8, separated by commas (a number of hops is no longer accepted: it let clients \
         choose their own address when the proxy was missing)"
    )]
    TrustedProxies(String),
}

impl CommonArgs {
    /// Creates the data directory if needed and checks that it can be written.
    pub fn prepare_data_dir(&self) -> Result<PathBuf, ConfigError> {
        let path = &self.data_dir;
        let fail = |reason: String| ConfigError::DataDir { path: path.display().to_string(), reason };
        std::fs::create_dir_all(path).map_err(|e| fail(e.to_string()))?;
        let probe = path.join(format!(".write-test-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(|e| fail(format!("cannot write: {e}")))?;
        let _ = std::fs::remove_file(probe);
        Ok(path.clone())
    }

    /// For commands that administer an installation: its data directory (when the key or the database is
    /// read from it) and its database must exist already. Run from the wrong directory, a command says so
    /// instead of setting up a new, empty installation there. Returns the data directory and database URL.
    pub fn existing_installation(&self, key_in_env: bool) -> Result<(PathBuf, String), ConfigError> {
        let dir = &self.data_dir;
        let url = self.database_url(dir)?;
        let url_given = self.database_url.as_deref().is_some_and(|u| !u.trim().is_empty());
        if (!key_in_env || !url_given) && !dir.is_dir() {
            return Err(ConfigError::NoDataDir(shown(dir)));
        }
        if let Some(file) = sqlite_file(&url)
            && !file.is_file()
        {
            return Err(ConfigError::NoDatabase(shown(&file)));
        }
        Ok((dir.clone(), url))
    }

    /// The data directory for commands that keep files in it (the setup code): it must exist.
    pub fn existing_data_dir(&self) -> Result<PathBuf, ConfigError> {
        if self.data_dir.is_dir() {
            Ok(self.data_dir.clone())
        } else {
            Err(ConfigError::NoDataDir(shown(&self.data_dir)))
        }
    }

    /// The database URL: the one given, or the SQLite file in the data directory.
    pub fn database_url(&self, data_dir: &std::path::Path) -> Result<String, ConfigError> {
        let url = match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => return Ok(sqlite_url(&data_dir.join("tessera.db"))),
        };
        let fail = |reason: &str| ConfigError::DatabaseUrl { url: redact_url(&url), reason: reason.to_owned() };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            if path.is_empty() || path.starts_with('?') {
                return Err(fail("it names no file"));
            }
        } else if let Some(rest) = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")) {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            let host = host.split(['/', '?']).next().unwrap_or("");
            if host.is_empty() {
                return Err(fail("it names no host"));
            }
            if let Some((_, port)) = host.rsplit_once(':')
                && port.parse::<u16>().is_err()
            {
                return Err(fail("its port is not a number"));
            }
        } else {
            return Err(fail("only sqlite: and postgres:// are supported"));
        }
        Ok(url)
    }

    pub fn db_options(&self, url: String) -> DbOptions {
        use std::time::Duration;
        DbOptions {
            url,
            max_connections: self.db_pool_size.max(1),
            acquire_timeout: Duration::from_secs(self.db_acquire_timeout.max(1)),
            statement_timeout: Duration::from_secs(self.db_statement_timeout.max(1)),
        }
    }
}

/// A path as given, and where it leads from the current directory when it is relative.
fn shown(path: &std::path::Path) -> String {
    match std::path::absolute(path) {
        Ok(absolute) if absolute != path => format!("{} ({})", path.display(), absolute.display()),
        _ => path.display().to_string(),
    }
}

/// The file of a `sqlite:` URL (`sqlite://path/to/file.db?mode=rwc` → `path/to/file.db`).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

impl HeaderArgs {
    pub fn header_names(&self) -> Result<(axum::http::HeaderName, axum::http::HeaderName), ConfigError> {
        let parse = |raw: &str| {
            axum::http::HeaderName::from_bytes(raw.trim().as_bytes())
                .map_err(|_| ConfigError::HeaderName(raw.to_owned()))
        };
        Ok((parse(&self.token_id_header)?, parse(&self.token_secret_header)?))
    }
}

impl ServeArgs {
    /// The public origin (`scheme://host[:port]`), validated.
    pub fn public_origin(&self) -> Result<Option<String>, ConfigError> {
        let Some(raw) = self.public_url.as_deref().filter(|u| !u.trim().is_empty()) else { return Ok(None) };
        let url = raw.trim().trim_end_matches('/');
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => {
                Ok(Some(url.to_ascii_lowercase()))
            }
            _ => Err(ConfigError::PublicUrl(raw.to_owned())),
        }
    }

    pub fn trusted_proxies(&self) -> Result<Vec<IpNet>, ConfigError> {
        parse_proxies(&self.trusted_proxies)
    }
}

/// `127.0.0.1, 10.0.0.0/8, ::1` → networks. A bare address is a network of one.
pub fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError::TrustedProxies(entry.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(url: Option<&str>) -> CommonArgs {
        CommonArgs {
            data_dir: "./data".into(),
            database_url: url.map(Into::into),
            log_format: LogFormat::Human,
            db_pool_size: 10,
            db_acquire_timeout: 5,
            db_statement_timeout: 10,
            token_prefix: "tsr".into(),
            audit_retention_days: 400,
        }
    }

    #[test]
    fn database_urls() {
        let dir = std::path::Path::new("/tmp/x");
        assert_eq!(common(None).database_url(dir).unwrap(), "sqlite:///tmp/x/tessera.db?mode=rwc");
        assert!(common(Some("postgres://u@localhost:5432/db")).database_url(dir).is_ok());
        for bad in ["mysql://h/db", "postgres://", "postgres://h:port/db", "sqlite:", "not a url"] {
            assert!(common(Some(bad)).database_url(dir).is_err(), "{bad} accepted");
        }
        let err = common(Some("postgres://u:hunter2@h:x/db")).database_url(dir).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn sqlite_files_of_urls() {
        assert_eq!(sqlite_file("sqlite:///tmp/x/tessera.db?mode=rwc"), Some("/tmp/x/tessera.db".into()));
        assert_eq!(sqlite_file("sqlite://./data/tessera.db"), Some("./data/tessera.db".into()));
        assert_eq!(sqlite_file("sqlite:tessera.db"), Some("tessera.db".into()));
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }

    #[test]
    fn trusted_proxies_are_addresses_not_counts() {
        assert!(parse_proxies("").unwrap().is_empty());
        let nets = parse_proxies("127.0.0.1, 10.0.0.0/8,::1").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"10.2.3.4".parse::<std::net::IpAddr>().unwrap()));
        for bad in ["1", "2", "10.0.0.0/33", "proxy.internal"] {
            assert!(parse_proxies(bad).is_err(), "{bad}");
        }
    }
}
