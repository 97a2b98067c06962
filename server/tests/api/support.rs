//! The real servers the notification tests talk to: an SMTP server (aiosmtpd) and a webhook receiver
//! that verifies signatures with the Standard Webhooks reference library. Both are Python programs in
//! `server/tests/support/`, run from the `.venv` that `make test` installs.

use serde::Deserialize;
use std::path::PathBuf;
use tessera::{delivery::SmtpConfig, startup::ServerConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

fn python() -> PathBuf {
    let python = std::env::var_os("TESSERA_TEST_PYTHON")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"), PathBuf::from);
    assert!(
        python.exists(),
        "{} is missing: run `make test` (or `scripts/bootstrap.sh test`) to install the Python test tools into .venv",
        python.display()
    );
    python
}

/// A helper program, killed when dropped.
struct Helper {
    _child: tokio::process::Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Helper {
    async fn start(script: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("seen.jsonl");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(script);
        let mut child = tokio::process::Command::new(python())
            .arg(script)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start a test helper");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = loop {
            let line = lines.next_line().await.unwrap().expect("the helper exited before it was ready");
            if let Some(port) = line.strip_prefix("READY ") {
                break port.trim().parse().unwrap();
            }
        };
        Self { _child: child, port, out, _dir: dir }
    }

    fn records<T: for<'de> Deserialize<'de>>(&self) -> Vec<T> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a record"))
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// A real SMTP server that keeps every message it accepts.
pub struct SmtpSink(Helper);

impl SmtpSink {
    pub async fn start() -> Self {
        Self(Helper::start("smtp_sink.py", &[]).await)
    }

    /// One that requires SMTP AUTH with `user:password`.
    pub async fn with_auth(credentials: &str) -> Self {
        Self(Helper::start("smtp_sink.py", &["--auth", credentials]).await)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.0.port)
    }

    pub fn port(&self) -> u16 {
        self.0.port
    }

    pub fn emails(&self) -> Vec<Email> {
        self.0.records()
    }

    /// The emails to `to`.
    pub fn to(&self, to: &str) -> Vec<Email> {
        self.emails().into_iter().filter(|e| e.to.iter().any(|t| t == to)).collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub timestamp: String,
    pub verified: bool,
    pub error: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub subject_id: Option<String>,
    pub answered: u16,
}

/// A webhook endpoint that checks signatures with the `standardwebhooks` library.
pub struct Receiver(Helper);

impl Receiver {
    pub async fn start() -> Self {
        Self(Helper::start("webhook_receiver.py", &[]).await)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.0.port)
    }

    /// Verify with `secret`; answer 500 to the first `fail_first` requests of each webhook-id.
    pub async fn configure(&self, secret: &str, fail_first: u32) {
        let response = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/_config", self.0.port))
            .json(&serde_json::json!({"secret": secret, "fail_first": fail_first}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.0.records()
    }

    /// Deliveries it accepted (answered 2xx), one per webhook-id or more.
    pub fn accepted(&self) -> Vec<Delivery> {
        self.deliveries().into_iter().filter(|d| d.answered == 200).collect()
    }
}

/// Email through `sink`, deliveries looked for often, retries after `retry_base_ms`.
pub fn notifying(config: &mut ServerConfig, sink: Option<&SmtpSink>, retry_base_ms: i64) {
    config.delivery.smtp = sink.map(|s| SmtpConfig::parse(&s.url(), Some("Tessera <tessera@example.com>")).unwrap());
    config.delivery.poll = std::time::Duration::from_millis(20);
    config.delivery.settings.retry_base_ms = retry_base_ms;
    config.delivery.allow_private_webhooks = true;
}

/// Waits (up to ten seconds) until `check` holds.
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

/// A webhook endpoint on loopback that accepts connections and never answers (held until dropped).
pub struct Silent {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = connections.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        });
        Self { port, connections, task }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}
