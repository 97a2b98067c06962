//! How instances sharing one PostgreSQL database tell each other that cached tokens changed.
//!
//! A change is announced with `pg_notify` inside the transaction that makes it, so PostgreSQL delivers
//! the notification exactly when (and only if) the change commits: nothing to lose between commit and
//! announcement. Each instance listens on one connection; while that connection is down its cache is
//! not used, and it starts empty when the connection comes back. With SQLite there is one instance and
//! nothing to announce.

use super::cache::TokenCache;
use crate::{db::Backend, ids::TokenId, store::Exec};
use std::{sync::Arc, time::Duration};

pub const CHANNEL: &str = "tessera_token_changes";

/// A change other instances must apply to their caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    Token(TokenId),
    All,
}

impl Invalidation {
    pub fn encode(self) -> String {
        match self {
            Invalidation::Token(id) => format!("token:{id}"),
            Invalidation::All => "all".to_owned(),
        }
    }

    /// Anything unreadable is treated as "everything changed", the safe answer.
    pub fn decode(payload: &str) -> Self {
        payload.strip_prefix("token:").and_then(|id| id.parse().ok()).map_or(Invalidation::All, Invalidation::Token)
    }

    pub fn apply<T>(self, cache: &TokenCache<T>) {
        match self {
            Invalidation::Token(id) => cache.remove(id),
            Invalidation::All => cache.clear(),
        }
    }
}

/// Announces `change` to the other instances when the surrounding transaction commits.
pub async fn announce<'c>(db: impl Exec<'c>, backend: Backend, change: Invalidation) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(change.encode()).execute(db).await?;
    }
    Ok(())
}

/// Keeps `cache` in step with the other instances until the task is dropped.
pub async fn listen<T: Send + Sync + 'static>(database_url: String, cache: Arc<TokenCache<T>>) {
    use sqlx::postgres::PgListener;
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&database_url).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match connected.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "token cache paused: cannot listen for other instances' changes; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        cache.set_listening(true);
        tracing::info!("token cache on: listening for other instances' changes");
        // `try_recv` ends (Ok(None) or Err) when the connection is lost, instead of reconnecting quietly
        // and missing what was sent meanwhile.
        while let Ok(Some(notification)) = listener.try_recv().await {
            Invalidation::decode(notification.payload()).apply(&cache);
        }
        cache.set_listening(false);
        tracing::warn!("token cache paused: lost the connection that listens for changes; reconnecting");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidations_round_trip_and_fail_safe() {
        let id = TokenId::new_random();
        assert_eq!(Invalidation::decode(&Invalidation::Token(id).encode()), Invalidation::Token(id));
        assert_eq!(Invalidation::decode(&Invalidation::All.encode()), Invalidation::All);
        assert_eq!(Invalidation::decode("token:garbage"), Invalidation::All);
        assert_eq!(Invalidation::decode(""), Invalidation::All);
    }
}
