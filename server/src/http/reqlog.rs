//! One log line per request: method, path (never the query string, which could carry a secret; secret
//! path segments redacted), status, latency, the client's address, and for API requests the Token ID
//! (never the secret) and how authentication ended.
//!
//! Lines are formatted into a shared buffer and written out in batches (when the buffer fills, and a
//! few times a second), so a request makes no write system call of its own (`docs/architecture.md`,
//! "Hot path").

use axum::{
    http::{Method, Uri},
    response::Response,
};
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

/// How an API request's authentication ended, for its log line (API authentication fills it in,
/// through the gate's `AuthSlot`).
#[derive(Debug, Clone, Copy)]
pub struct AuthNote {
    pub token: Option<tessera_core::ids::TokenId>,
    pub outcome: &'static str,
}

/// Path segments that carry a secret: the invitation code in `/invite/{code}`.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    match path.strip_prefix("/invite/") {
        Some(rest) if !rest.is_empty() => Cow::Owned("/invite/[redacted]".to_owned()),
        _ if path.len() > 512 => Cow::Owned(format!("{}…", &path[..path.floor_char_boundary(512)])),
        _ => Cow::Borrowed(path),
    }
}

/// A request's line, started when the request arrives (the URI is shared, not copied; it is redacted
/// when the line is written).
pub struct Line {
    method: Method,
    uri: Uri,
    client: IpAddr,
}

impl Line {
    pub fn start(method: &Method, uri: &Uri, client: IpAddr) -> Self {
        Self { method: method.clone(), uri: uri.clone(), client }
    }

    pub fn finish(self, response: &Response, latency: Duration, note: Option<AuthNote>) -> Finished {
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
    buffer: Mutex<Buffer>,
    sink: Mutex<Sink>,
}

/// The lines not yet written, and the date and time to the second of the last one (formatted once a
/// second, not once a request).
struct Buffer {
    text: String,
    second: i64,
    stamp: String,
}

impl RequestLog {
    /// `enabled`: whether request lines are logged at all (`RUST_LOG` at `info` or more detailed).
    pub fn new(format: Format, enabled: bool, sink: Sink) -> Self {
        let buffer = Buffer { text: String::with_capacity(BATCH_BYTES * 2), second: i64::MIN, stamp: String::new() };
        Self { format, enabled, buffer: Mutex::new(buffer), sink: Mutex::new(sink) }
    }

    pub fn write(&self, f: Finished) {
        if !self.enabled {
            return;
        }
        let now =
            Timestamp(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64));
        let mut buffer = self.buffer.lock();
        let Buffer { text: b, second, stamp } = &mut *buffer;
        if now.millis().div_euclid(1000) != *second {
            *second = now.millis().div_euclid(1000);
            *stamp = now.rfc3339()[..19].to_owned();
        }
        let path = redact_path(f.line.uri.path());
        let (method, path, client) = (f.line.method.as_str(), &*path, f.line.client);
        match self.format {
            Format::Human => {
                // Written piece by piece (no format machinery): this runs for every request.
                let mut n = itoa::Buffer::new();
                let ms = now.millis().rem_euclid(1000) as u32;
                b.push_str(stamp);
                b.push('.');
                for digit in [ms / 100, ms / 10 % 10, ms % 10] {
                    b.push(char::from(b'0' + digit as u8));
                }
                b.push_str("Z  INFO request: method=");
                b.push_str(method);
                b.push_str(" path=");
                b.push_str(path);
                b.push_str(" status=");
                b.push_str(n.format(f.status));
                b.push_str(" latency_us=");
                b.push_str(n.format(f.latency_us));
                b.push_str(" client=");
                push_ip(b, client);
                if let Some(note) = f.note {
                    if let Some(token) = note.token {
                        let mut id = uuid::Uuid::encode_buffer();
                        b.push_str(" token=");
                        b.push_str(token.0.hyphenated().encode_lower(&mut id));
                    }
                    b.push_str(" auth=");
                    b.push_str(note.outcome);
                }
                b.push('\n');
            }
            Format::Json => {
                let _ = write!(
                    b,
                    "{{\"timestamp\":\"{stamp}.{:03}Z\",\"level\":\"INFO\",\"message\":\"request\",\"method\":\"{method}\",\"path\":{},\"status\":{},\"latency_us\":{},\"client\":\"{client}\"",
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
        if b.len() >= BATCH_BYTES {
            // A full buffer in its place, so the next lines don't grow one from nothing.
            let batch = std::mem::replace(b, String::with_capacity(BATCH_BYTES * 2));
            drop(buffer);
            self.emit(&batch);
        }
    }

    /// Writes what is buffered.
    pub fn flush(&self) {
        let batch = {
            let mut buffer = self.buffer.lock();
            if buffer.text.is_empty() {
                return;
            }
            std::mem::replace(&mut buffer.text, String::with_capacity(BATCH_BYTES * 2))
        };
        self.emit(&batch);
    }

    fn emit(&self, batch: &str) {
        let mut sink = self.sink.lock();
        let _ = sink.write_all(batch.as_bytes());
        let _ = sink.flush();
    }
}

/// An address as `Display` writes it; IPv4 (nearly every client) digit by digit, without the format
/// machinery, which cost more than the rest of the line.
fn push_ip(b: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let mut n = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    b.push('.');
                }
                b.push_str(n.format(octet));
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(b, "{v6}");
        }
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

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for ip in ["0.0.0.0", "127.0.0.1", "10.200.3.255", "::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1"] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut b = String::new();
            push_ip(&mut b, ip);
            assert_eq!(b, ip.to_string());
        }
    }
}
