//! The audit trail. Rows are only ever inserted (and pruned after the retention period).

use super::Exec;
use crate::{
    domain::{audit::EventType, paging::Cursor},
    ids::{EventId, OrgId, TokenId, UserId},
    time::Timestamp,
    views::AuditEntry,
};

/// An event as the services record it: what the log shows, and the token and member it concerns (kept
/// apart, for the log's filters).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub entry: AuditEntry,
    pub token_id: Option<TokenId>,
    pub member_id: Option<UserId>,
}

pub async fn insert<'c>(db: impl Exec<'c>, new: &NewEvent) -> sqlx::Result<()> {
    let e = &new.entry;
    sqlx::query(
        "INSERT INTO audit_events (id, org_id, at, event_type, actor_kind, actor_id, actor_label, subject_kind, \
         subject_id, subject_label, token_id, member_id, client_ip, user_agent, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(e.id)
    .bind(e.org_id)
    .bind(e.at)
    .bind(e.event)
    .bind(e.actor_kind)
    .bind(e.actor_id.as_deref())
    .bind(&e.actor_label)
    .bind(e.subject_kind)
    .bind(&e.subject_id)
    .bind(e.subject_label.as_deref())
    .bind(new.token_id)
    .bind(new.member_id)
    .bind(e.client_ip.as_deref())
    .bind(e.user_agent.as_deref())
    .bind(&e.detail)
    .execute(db)
    .await?;
    Ok(())
}

/// Which events to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub event: Option<EventType>,
    pub token_id: Option<TokenId>,
    pub member_id: Option<UserId>,
    /// Only events at or after this instant (exports).
    pub since: Option<Timestamp>,
}

const COLUMNS: &str = "id, at, org_id, event_type, actor_kind, actor_id, actor_label, subject_kind, subject_id, \
                       subject_label, client_ip, user_agent, detail";

/// A page of an organization's events, newest first (`limit + 1` rows).
pub async fn page<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    filter: Filter,
    after: Option<Cursor<EventId>>,
    limit: usize,
) -> sqlx::Result<Vec<AuditEntry>> {
    let mut conditions = vec!["org_id = $1".to_owned()];
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    if filter.event.is_some() {
        conditions.push(format!("event_type = ${}", next()));
    }
    if filter.token_id.is_some() {
        conditions.push(format!("token_id = ${}", next()));
    }
    if filter.member_id.is_some() {
        conditions.push(format!("member_id = ${}", next()));
    }
    if filter.since.is_some() {
        conditions.push(format!("at >= ${}", next()));
    }
    if after.is_some() {
        let (a, b) = (next(), next());
        conditions.push(format!("(at < ${a} OR (at = ${a} AND id < ${b}))"));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE {} ORDER BY at DESC, id DESC LIMIT {}",
        conditions.join(" AND "),
        limit + 1
    );
    let mut query = sqlx::query_as(&sql).bind(org_id);
    if let Some(event) = filter.event {
        query = query.bind(event);
    }
    if let Some(token) = filter.token_id {
        query = query.bind(token);
    }
    if let Some(member) = filter.member_id {
        query = query.bind(member);
    }
    if let Some(since) = filter.since {
        query = query.bind(since);
    }
    if let Some(cursor) = after {
        query = query.bind(cursor.at).bind(cursor.id);
    }
    query.fetch_all(db).await
}

/// Deletes events older than `before` (the retention period); returns how many.
pub async fn prune<'c>(db: impl Exec<'c>, before: Timestamp) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM audit_events WHERE at < $1").bind(before).execute(db).await?.rows_affected())
}
