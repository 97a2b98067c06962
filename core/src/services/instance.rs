//! What the running server tells the command line through the database: whether it sends email, and
//! where the links in its emails point. An action taken at the command line then queues the same emails,
//! with the same links, as the dashboard's (the server sends them from the outbox).

use crate::{context::Core, db::Db, error::Error, store::settings};

/// How the server that started last sends email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub email: bool,
    pub links_base: String,
}

/// Called by the server at start: its email settings, for the command line to use.
pub async fn record_mail_settings(core: &Core) -> Result<(), Error> {
    let mut tx = core.db.begin_write().await?;
    settings::set(&mut *tx, settings::EMAIL, if core.settings.email { "on" } else { "off" }).await?;
    settings::set(&mut *tx, settings::LINKS_BASE, &core.settings.links_base).await?;
    tx.commit(core).await?;
    Ok(())
}

/// The recorded settings; `None` when no server has started on this database yet.
pub async fn mail_settings(db: &Db) -> Result<Option<MailSettings>, Error> {
    let email = settings::get(db.pool(), settings::EMAIL).await?;
    let links_base = settings::get(db.pool(), settings::LINKS_BASE).await?;
    Ok(email.map(|email| MailSettings {
        email: email == "on",
        links_base: links_base.unwrap_or_else(|| crate::context::CoreSettings::default().links_base),
    }))
}
