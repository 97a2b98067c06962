//! Logging. Human-readable by default, JSON lines with `--log-format json`; the level comes from
//! `RUST_LOG` (default `info`). Nothing logs headers, query strings or bodies, so secrets can't leak here.

use crate::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

pub fn init<W>(format: LogFormat, ansi: bool, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_target(false).with_ansi(ansi);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
