//! Token lookups, coalesced: API requests that need the database at the same moment share one statement.
//!
//! With several instances and no cache (strict mode, the default on PostgreSQL) every API request reads
//! its token. One statement per request costs the database the same fixed work each time (a round
//! trip, a wake-up, an executor start) for one indexed row, and with 32 clients that fixed work is most
//! of the machine. So requests hand their Token IDs to a worker that takes everything waiting (up to
//! [`AUTH_BATCH`] tokens) and reads it in one statement (`WHERE t.id IN (...)`).
//!
//! Strict stays strict: a lookup joins a batch only before that batch's statement starts, so every
//! statement begins after each of its requests arrived and sees every change committed before them (a
//! token deleted on another instance fails the very next request). Under light load a batch is one
//! request and nothing waits.

use crate::{
    db::Db,
    ids::TokenId,
    store::{
        self,
        tokens::{AUTH_BATCH, AuthRow},
    },
};
use sqlx::{Any, pool::PoolConnection};
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use tokio::sync::{mpsc, oneshot};

/// Lookups waiting for the worker; beyond it a request reads its token itself.
const QUEUE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the token lookup failed (the database error is logged)")]
pub struct LookupFailed;

type Reply = oneshot::Sender<Result<Option<AuthRow>, LookupFailed>>;

struct Pending {
    id: TokenId,
    reply: Reply,
}

/// The request side.
#[derive(Debug)]
pub struct Lookups {
    queue: mpsc::Sender<Pending>,
    counts: Arc<Counts>,
}

/// Lookups and the statements that served them (metrics: their ratio is the batching).
#[derive(Debug, Default)]
struct Counts {
    lookups: AtomicU64,
    statements: AtomicU64,
}

/// The worker side. Run it with [`LookupWorker::run`]; without it (the CLI, tests of services alone)
/// every request reads its own token.
pub struct LookupWorker {
    queue: mpsc::Receiver<Pending>,
    counts: Arc<Counts>,
}

impl Lookups {
    pub fn new() -> (Self, LookupWorker) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        (Self { queue: tx, counts: counts.clone() }, LookupWorker { queue: rx, counts })
    }

    /// Everything verification needs about one token, `None` when there is no such token.
    pub async fn find(&self, db: &Db, id: TokenId) -> Result<Option<AuthRow>, LookupFailed> {
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Pending { id, reply }) {
            Ok(()) => answer.await.map_err(|_| LookupFailed)?,
            // No worker running (the CLI), or it is far behind: read it here.
            Err(_) => {
                self.counts.lookups.fetch_add(1, Ordering::Relaxed);
                self.counts.statements.fetch_add(1, Ordering::Relaxed);
                store::tokens::for_auth(db.pool(), id).await.map_err(|e| {
                    tracing::warn!(error = %e, "token lookup failed");
                    LookupFailed
                })
            }
        }
    }

    /// Lookups answered so far, and the statements they took.
    pub fn counts(&self) -> (u64, u64) {
        (self.counts.lookups.load(Ordering::Relaxed), self.counts.statements.load(Ordering::Relaxed))
    }
}

impl LookupWorker {
    /// Serves lookups, one statement at a time, until the request side is gone.
    ///
    /// One statement at a time gathers the most into each: everything that arrives while a statement
    /// runs goes into the next. Each statement costs Tessera itself far more than a row does, so more
    /// workers, with more statements at once, only cost more (measured: `docs/benchmarks.md`,
    /// `make bench-cluster`).
    ///
    /// The worker keeps its connection between statements: sqlx checks a connection each time it goes
    /// back to the pool (on PostgreSQL one more round trip), which would double the work of every
    /// lookup. A connection that failed is let go (the pool checks it, and closes it if it is broken)
    /// and another taken for the next batch.
    pub async fn run(mut self, db: Db) {
        let mut batch: Vec<Pending> = Vec::with_capacity(AUTH_BATCH);
        let mut ids: Vec<TokenId> = Vec::with_capacity(AUTH_BATCH);
        let mut held: Option<PoolConnection<Any>> = None;
        while self.queue.recv_many(&mut batch, AUTH_BATCH).await > 0 {
            serve(&db, &mut held, &mut batch, &mut ids, &self.counts).await;
        }
    }
}

/// Reads one batch in one statement and answers each of its requests (the batch is left empty).
async fn serve(
    db: &Db,
    held: &mut Option<PoolConnection<Any>>,
    batch: &mut Vec<Pending>,
    ids: &mut Vec<TokenId>,
    counts: &Counts,
) {
    // Requests whose clients hung up need nothing; the same token asked twice is read once.
    batch.retain(|p| !p.reply.is_closed());
    ids.clear();
    for p in batch.iter() {
        if !ids.contains(&p.id) {
            ids.push(p.id);
        }
    }
    if ids.is_empty() {
        return;
    }
    counts.lookups.fetch_add(batch.len() as u64, Ordering::Relaxed);
    counts.statements.fetch_add(1, Ordering::Relaxed);
    let read = async {
        let conn = match held {
            Some(conn) => conn,
            None => held.insert(db.pool().acquire().await?),
        };
        store::tokens::for_auth_many(&mut **conn, ids).await
    }
    .await;
    if read.is_err() {
        *held = None;
    }
    match read {
        Ok(rows) => {
            for p in batch.drain(..) {
                let _ = p.reply.send(Ok(rows.iter().find(|row| row.id == p.id).cloned()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, tokens = ids.len(), "token lookup failed");
            for p in batch.drain(..) {
                let _ = p.reply.send(Err(LookupFailed));
            }
        }
    }
}
