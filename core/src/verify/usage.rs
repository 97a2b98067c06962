//! When each token was last used, written off the request's path: a request notes the use in memory,
//! at most once a minute per token it is queued, and one task writes the queue to the database.

use crate::{
    db::Db,
    ids::TokenId,
    store,
    time::{MINUTE_MS, Timestamp},
};
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};
use tokio::sync::mpsc;

/// At most one last-used write per token per minute.
pub const LAST_USED_EVERY_MS: i64 = MINUTE_MS;
/// At most this much of a user agent is kept.
const USER_AGENT_CHARS: usize = 256;
/// Uses waiting to be written; beyond it a use is dropped (the next one, a minute later, records it).
const QUEUE: usize = 4096;
/// Tokens remembered for the once-a-minute rule; the table is emptied when it grows past this.
const REMEMBERED: usize = 100_000;

#[derive(Debug, Clone)]
pub struct Usage {
    pub token_id: TokenId,
    pub at: Timestamp,
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

/// The request side: notes uses.
#[derive(Debug)]
pub struct UsageRecorder {
    last: Mutex<HashMap<TokenId, i64, super::RandomIdHash>>,
    queue: mpsc::Sender<Usage>,
    /// Records written to the database so far (a metric).
    written: Arc<AtomicU64>,
}

/// The task side: writes them. Run it with [`UsageWriter::run`].
pub struct UsageWriter {
    queue: mpsc::Receiver<Usage>,
    written: Arc<AtomicU64>,
}

impl UsageRecorder {
    pub fn new() -> (Self, UsageWriter) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let written = Arc::new(AtomicU64::new(0));
        (
            Self { last: Mutex::new(HashMap::default()), queue: tx, written: written.clone() },
            UsageWriter { queue: rx, written },
        )
    }

    /// Notes a successful use; at most once a minute per token it is queued for the database.
    pub fn note(&self, token_id: TokenId, at: Timestamp, ip: IpAddr, user_agent: Option<&str>) {
        {
            let mut last = self.last.lock();
            if last.get(&token_id).is_some_and(|previous| at.millis() - previous < LAST_USED_EVERY_MS) {
                return;
            }
            if last.len() >= REMEMBERED {
                last.clear();
            }
            last.insert(token_id, at.millis());
        }
        let user_agent = user_agent.map(|ua| ua.chars().take(USER_AGENT_CHARS).collect());
        if self.queue.try_send(Usage { token_id, at, ip, user_agent }).is_err() {
            tracing::debug!("last-used queue full; the next use will record it");
        }
    }

    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

impl UsageWriter {
    pub async fn run(mut self, db: Db) {
        while let Some(used) = self.queue.recv().await {
            match store::tokens::record_use(
                db.pool(),
                used.token_id,
                used.at,
                &used.ip.to_string(),
                used.user_agent.as_deref(),
            )
            .await
            {
                Ok(()) => {
                    self.written.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => tracing::warn!(token = %used.token_id, error = %e, "could not record token use"),
            }
        }
    }
}
