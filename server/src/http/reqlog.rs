//! One log line per request: method, path (never the query string, which could carry a secret; secret
//! path segments redacted), status, latency, the client's address, and for API requests the Token ID
//! (never the secret) and how authentication ended.
//!
//! Lines are formatted into a shared buffer and written out in batches (when the buffer fills, and a
//! few times a second), so a request costs a few hundred nanoseconds of logging instead of a write
//! system call.

use super::gate::AuthNote;
use axum::{http::Method, response::Response};
use parking_lot::Mutex;
use std::{
    borrow::Cow,
    fmt::Write as _,
    io::Write,
    net::IpAddr,
    time::{Duration, SystemTime},
};
use tessera_core::time::Timestamp;

/// Batches are written when they reach this size.
const BATCH_BYTES: usize = 32 * 1024;
/// ...or at least this often.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Path segments that carry a secret: the invitation code in `/invite/{code}`.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    match path.strip_prefix("/invite/") {
        Some(rest) if !rest.is_empty() => Cow::Owned("/invite/[redacted]".to_owned()),
        _ if path.len() > 512 => Cow::Owned(format!("{}…", &path[..path.floor_char_boundary(512)])),
        _ => Cow::Borrowed(path),
    }
}

/// A request's line, started when the request arrives.
pub struct Line {
    method: Method,
    path: String,
    client: IpAddr,
}

impl Line {
    pub fn start(method: &Method, path: &str, client: IpAddr) -> Self {
        Self { method: method.clone(), path: redact_path(path).into_owned(), client }
    }

    pub fn finish(self, response: &Response, latency: Duration) -> Finished {
        let note = response.extensions().get::<AuthNote>().copied();
        Finished { line: self, status: response.status().as_u16(), latency_us: latency.as_micros() as u64, note }
    }
}

pub struct Finished {
    line: Line,
    status: u16,
    latency_us: u64,
    note: Option<AuthNote>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

type Sink = Box<dyn Write + Send>;

pub struct RequestLog {
    format: Format,
    enabled: bool,
    buffer: Mutex<String>,
    sink: Mutex<Sink>,
}

impl RequestLog {
    /// `enabled`: whether request lines are logged at all (`RUST_LOG` at `info` or more detailed).
    pub fn new(format: Format, enabled: bool, sink: Sink) -> Self {
        Self { format, enabled, buffer: Mutex::new(String::with_capacity(BATCH_BYTES * 2)), sink: Mutex::new(sink) }
    }

    pub fn write(&self, f: Finished) {
        if !self.enabled {
            return;
        }
        let now =
            Timestamp(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64));
        let mut buffer = self.buffer.lock();
        let b = &mut *buffer;
        let (method, path, client) = (f.line.method.as_str(), f.line.path.as_str(), f.line.client);
        match self.format {
            Format::Human => {
                let _ = write!(
                    b,
                    "{}.{:03}Z  INFO request: method={method} path={path} status={} latency_us={} client={client}",
                    &now.rfc3339()[..19],
                    now.millis().rem_euclid(1000),
                    f.status,
                    f.latency_us
                );
                if let Some(note) = f.note {
                    if let Some(token) = note.token {
                        let _ = write!(b, " token={token}");
                    }
                    let _ = write!(b, " auth={}", note.outcome);
                }
                b.push('\n');
            }
            Format::Json => {
                let _ = write!(
                    b,
                    "{{\"timestamp\":\"{}.{:03}Z\",\"level\":\"INFO\",\"message\":\"request\",\"method\":\"{method}\",\"path\":{},\"status\":{},\"latency_us\":{},\"client\":\"{client}\"",
                    &now.rfc3339()[..19],
                    now.millis().rem_euclid(1000),
                    serde_json::Value::from(path),
                    f.status,
                    f.latency_us
                );
                if let Some(note) = f.note {
                    if let Some(token) = note.token {
                        let _ = write!(b, ",\"token\":\"{token}\"");
                    }
                    let _ = write!(b, ",\"auth\":\"{}\"", note.outcome);
                }
                b.push_str("}\n");
            }
        }
        if buffer.len() >= BATCH_BYTES {
            let batch = std::mem::take(&mut *buffer);
            drop(buffer);
            self.emit(&batch);
        }
    }

    /// Writes what is buffered.
    pub fn flush(&self) {
        let batch = std::mem::take(&mut *self.buffer.lock());
        if !batch.is_empty() {
            self.emit(&batch);
        }
    }

    fn emit(&self, batch: &str) {
        let mut sink = self.sink.lock();
        let _ = sink.write_all(batch.as_bytes());
        let _ = sink.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_path_segments_are_redacted() {
        assert_eq!(redact_path("/invite/abcDEF123"), "/invite/[redacted]");
        assert_eq!(redact_path("/app/settings/api"), "/app/settings/api");
        assert_eq!(redact_path("/invite/"), "/invite/");
        assert!(redact_path(&"/x".repeat(1000)).len() < 600);
    }
}
