//! Periodic clean-up: expired sessions, audit events past retention, tokens unused beyond policy, the
//! email log past the longest email limit's window, rate-limit windows that ended.

use crate::{context::Core, error::Error};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub audit_events: u64,
    pub unused_tokens: usize,
    pub email_log: u64,
    pub rate_windows: u64,
}

pub async fn sweep(core: &Core) -> Result<Swept, Error> {
    Ok(Swept {
        sessions: super::sessions::purge_expired(core).await?,
        audit_events: super::audit::prune(core).await?,
        unused_tokens: super::tokens::revoke_unused(core).await?,
        email_log: super::notify::prune_email_log(core).await?,
        rate_windows: prune_rate_windows(core).await?,
    })
}

/// Rate-limit leases of minutes that ended (kept one more minute: instances' clocks differ slightly).
async fn prune_rate_windows(core: &Core) -> Result<u64, Error> {
    let before = crate::time::Timestamp(core.clock.now().millis() - 2 * crate::verify::rate::WINDOW_MS);
    Ok(crate::store::tokens::delete_rate_windows_before(core.db.pool(), before).await?)
}
