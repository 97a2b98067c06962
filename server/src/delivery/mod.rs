//! Sending what the outbox holds: emails through SMTP (lettre) and webhooks through HTTPS (reqwest).
//! What to send, how to sign it and when to retry are the core's ([`tessera_core::services::delivery`]);
//! this module is the transports and the worker loops that run them.

mod smtp;
mod webhook;

use crate::config::{ConfigError, NotifyArgs};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tessera_core::{
    context::Core,
    db::Backend,
    domain::webhook::WebhookUrl,
    ids::WebhookId,
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

/// The delivery loops, in lanes. Emails: workers that each claim a batch of emails, deliver it, and
/// look again at once when there was work, or after the poll interval (SQLite has one; on PostgreSQL
/// several, in every instance). Webhooks: one dispatcher per process (below).
pub fn spawn_workers(
    core: &Core,
    transports: &Arc<Transports>,
    config: &DeliveryConfig,
) -> Vec<tokio::task::JoinHandle<()>> {
    let workers = match core.db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => config.workers,
    };
    let mut tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (core, transports, settings, poll) =
                (core.clone(), transports.clone(), config.settings.clone(), config.poll);
            tokio::spawn(async move {
                loop {
                    match delivery::deliver_due_emails(&core, &*transports, &settings).await {
                        Ok(n) if n > 0 => continue,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = ?e, "outbox: could not claim emails"),
                    }
                    tokio::time::sleep(poll).await;
                }
            })
        })
        .collect();
    tasks.push(tokio::spawn(webhook_lane(core.clone(), transports.clone(), config.settings.clone(), config.poll)));
    tasks
}

/// The endpoints this process is delivering to, and how many deliveries each has in flight.
type Busy = Arc<Mutex<HashMap<WebhookId, usize>>>;

/// Marks one delivery to an endpoint in flight until dropped (also when its task panics or is aborted).
struct InFlight {
    busy: Busy,
    endpoint: Option<WebhookId>,
}

impl InFlight {
    fn start(busy: &Busy, endpoint: Option<WebhookId>) -> Self {
        if let Some(id) = endpoint {
            *busy.lock().unwrap_or_else(|e| e.into_inner()).entry(id).or_default() += 1;
        }
        Self { busy: busy.clone(), endpoint }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(id) = self.endpoint {
            let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = busy.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    busy.remove(&id);
                }
            }
        }
    }
}

/// The webhook lane: claims due deliveries for the endpoints it is not already delivering to (at most
/// `per_endpoint` each, `webhooks_in_flight` in all) and delivers each in a task of its own, so
/// deliveries to different endpoints run side by side and an endpoint that never answers holds up only
/// its own. It looks again when a delivery finishes, at once after a claim that found work, or after
/// the poll interval. Aborting it aborts its deliveries; their leases run out and they are claimed again.
async fn webhook_lane(core: Core, transports: Arc<Transports>, settings: DeliverySettings, poll: Duration) {
    let busy: Busy = Arc::default();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        let free = settings.webhooks_in_flight.saturating_sub(running.len());
        let mut claimed = 0;
        if free > 0 {
            let skip: Vec<WebhookId> = busy.lock().unwrap_or_else(|e| e.into_inner()).keys().copied().collect();
            match delivery::claim_webhooks(&core, &settings, &skip, free).await {
                Ok(messages) => {
                    claimed = messages.len();
                    for message in messages {
                        let in_flight = InFlight::start(&busy, message.webhook_id);
                        let (core, transports, settings) = (core.clone(), transports.clone(), settings.clone());
                        running.spawn(async move {
                            delivery::deliver(&core, &*transports, &settings, message).await;
                            drop(in_flight);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = ?e, "outbox: could not claim webhook deliveries"),
            }
        }
        if claimed > 0 {
            continue;
        }
        tokio::select! {
            Some(_) = running.join_next(), if !running.is_empty() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}
