//! What an audit event becomes outside the audit log: its JSON form (the export and webhook bodies) and
//! its webhook deliveries. Below [`super::audit`] (whose recorder calls [`fan_out`] for every event) and
//! [`super::notify`]; it depends only on the store and the domain.

use crate::{
    domain::webhook::{WebhookEvents, deliverable},
    error::Error,
    ids::MessageId,
    store::{
        self,
        audit::NewEvent,
        outbox::{Kind, NewMessage},
    },
    views::AuditEntry,
};
use serde_json::{Value, json};
use sqlx::AnyConnection;

/// An event as the export and webhooks show it.
pub fn event_json(e: &AuditEntry) -> Value {
    let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
    json!({
        "id": e.id,
        "time": e.at.rfc3339(),
        "time_ms": e.at.millis(),
        "organization_id": e.org_id,
        "type": e.event,
        "actor": {"kind": e.actor_kind, "id": e.actor_id, "label": e.actor_label},
        "subject": {"kind": e.subject_kind, "id": e.subject_id, "label": e.subject_label},
        "client_ip": e.client_ip,
        "user_agent": e.user_agent,
        "detail": detail,
    })
}

/// Webhook deliveries for one event, written in the transaction that records it: a message per endpoint
/// that chose it. The message id is the `webhook-id` receivers deduplicate on.
pub(crate) async fn fan_out(conn: &mut AnyConnection, new: &NewEvent) -> Result<(), Error> {
    let event = &new.entry;
    if !deliverable(event.event) {
        return Ok(());
    }
    let targets = store::webhooks::targets(&mut *conn, event.org_id).await?;
    let mut body = None;
    for target in targets {
        if target.paused_at.is_some() {
            // Paused: the events of the pause are not delivered, now or later.
            continue;
        }
        let wants = WebhookEvents::parse(&target.events).is_ok_and(|chosen| chosen.matches(event.event));
        if !wants {
            continue;
        }
        let body = body.get_or_insert_with(|| {
            json!({"type": event.event, "timestamp": event.at.rfc3339(), "data": event_json(event)}).to_string()
        });
        store::outbox::insert(
            &mut *conn,
            NewMessage {
                id: MessageId::new_random(),
                kind: Kind::Webhook,
                org_id: Some(event.org_id),
                webhook_id: Some(target.id),
                event_type: event.event.as_str(),
                payload: body,
                now: event.at,
            },
        )
        .await?;
    }
    Ok(())
}
