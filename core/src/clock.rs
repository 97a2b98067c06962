//! The one source of "now". Production reads the system clock; tests hold a manual clock and move it,
//! so expiry is tested at the exact millisecond without sleeping.

use crate::time::Timestamp;
use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    pub fn manual(start: Timestamp) -> Self {
        Self(Some(Arc::new(AtomicI64::new(start.millis()))))
    }

    pub fn now(&self) -> Timestamp {
        match &self.0 {
            None => Timestamp(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or_default(),
            ),
            Some(t) => Timestamp(t.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance_ms(&self, ms: i64) {
        if let Some(t) = &self.0 {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}
