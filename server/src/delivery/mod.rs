//! Sending what the outbox holds: emails through SMTP (lettre) and webhooks through HTTPS (reqwest).
//! What to send, how to sign it and when to retry are the core's ([`tessera_core::services::delivery`]);
//! this module is the transports and the worker loops that run them.

mod smtp;
mod webhook;

use crate::config::{ConfigError, NotifyArgs};
use std::{sync::Arc, time::Duration};
use tessera_core::{
    context::Core,
    db::Backend,
    domain::webhook::WebhookUrl,
    services::{
        delivery::{self, Answer, DeliverySettings, Transport},
        notify::Mail,
    },
};

pub use smtp::SmtpConfig;

/// How this process delivers.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// `None`: email is off.
    pub smtp: Option<SmtpConfig>,
    pub settings: DeliverySettings,
    pub poll: Duration,
    pub workers: u32,
    pub allow_private_webhooks: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            settings: DeliverySettings::default(),
            poll: Duration::from_secs(1),
            workers: 2,
            allow_private_webhooks: false,
        }
    }
}

impl DeliveryConfig {
    pub fn from_args(args: &NotifyArgs) -> Result<Self, ConfigError> {
        let smtp = match args.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => Some(SmtpConfig::parse(url, args.smtp_from.as_deref())?),
        };
        Ok(Self {
            smtp,
            settings: DeliverySettings {
                retry_base_ms: args.delivery_retry_base_ms.max(1) as i64,
                give_up_after_ms: (args.delivery_give_up_minutes.max(1) * 60_000) as i64,
                ..DeliverySettings::default()
            },
            poll: Duration::from_millis(args.outbox_poll_ms.max(10)),
            workers: args.outbox_workers.clamp(1, 16),
            allow_private_webhooks: args.webhooks_allow_private,
        })
    }
}

/// The transports of this process.
pub struct Transports {
    mailer: Option<smtp::Mailer>,
    poster: webhook::Poster,
}

impl Transports {
    pub fn new(config: &DeliveryConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            mailer: config.smtp.as_ref().map(smtp::Mailer::new).transpose()?,
            poster: webhook::Poster::new(config.allow_private_webhooks),
        })
    }
}

impl Transport for Transports {
    async fn send_mail(&self, mail: &Mail) -> Result<(), String> {
        match &self.mailer {
            Some(mailer) => mailer.send(mail).await,
            None => Err("email is not configured (TESSERA_SMTP_URL)".to_owned()),
        }
    }

    async fn post(&self, url: &WebhookUrl, headers: &[(&'static str, String)], body: &str) -> Answer {
        self.poster.post(url, headers, body).await
    }
}

/// The worker loops: each claims a batch, delivers it, and looks again at once when there was work, or
/// after the poll interval. SQLite has one worker; on PostgreSQL several, in every instance.
pub fn spawn_workers(
    core: &Core,
    transports: &Arc<Transports>,
    config: &DeliveryConfig,
) -> Vec<tokio::task::JoinHandle<()>> {
    let workers = match core.db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => config.workers,
    };
    (0..workers)
        .map(|_| {
            let (core, transports, settings, poll) =
                (core.clone(), transports.clone(), config.settings.clone(), config.poll);
            tokio::spawn(async move {
                loop {
                    match delivery::deliver_due(&core, &*transports, &settings).await {
                        Ok(n) if n > 0 => continue,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = ?e, "outbox: could not claim messages"),
                    }
                    tokio::time::sleep(poll).await;
                }
            })
        })
        .collect()
}
