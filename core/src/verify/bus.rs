//! How instances sharing one PostgreSQL database tell each other that cached tokens changed.
//!
//! A change is announced with `pg_notify` inside the transaction that makes it (by
//! [`crate::db::WriteTx::commit`], the one way to commit a change), so PostgreSQL delivers
//! the notification exactly when (and only if) the change commits: nothing to lose between commit and
//! announcement. Each instance listens on one connection; while that connection is down its cache is
//! not used, and it starts empty when the connection comes back. With SQLite there is one instance and
//! nothing to announce.

use super::cache::TokenCache;
use std::{sync::Arc, time::Duration};

pub use crate::db::{Invalidation, TOKEN_CHANNEL as CHANNEL};

impl Invalidation {
    pub fn apply<T>(self, cache: &TokenCache<T>) {
        match self {
            Invalidation::Token(id) => cache.remove(id),
            Invalidation::All => cache.clear(),
        }
    }
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
    use crate::ids::TokenId;

    #[test]
    fn invalidations_round_trip_and_fail_safe() {
        let id = TokenId::new_random();
        assert_eq!(Invalidation::decode(&Invalidation::Token(id).encode()), Invalidation::Token(id));
        assert_eq!(Invalidation::decode(&Invalidation::All.encode()), Invalidation::All);
        assert_eq!(Invalidation::decode("token:garbage"), Invalidation::All);
        assert_eq!(Invalidation::decode(""), Invalidation::All);
    }
}
