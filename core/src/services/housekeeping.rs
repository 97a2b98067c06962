//! Periodic clean-up: expired sessions, audit events past retention, tokens unused beyond policy, the
//! email log past the longest email limit's window.

use crate::{context::Core, error::Error};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub audit_events: u64,
    pub unused_tokens: usize,
    pub email_log: u64,
}

pub async fn sweep(core: &Core) -> Result<Swept, Error> {
    Ok(Swept {
        sessions: super::sessions::purge_expired(core).await?,
        audit_events: super::audit::prune(core).await?,
        unused_tokens: super::tokens::revoke_unused(core).await?,
        email_log: super::notify::prune_email_log(core).await?,
    })
}
