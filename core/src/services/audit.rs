//! Recording and reading the audit trail. Services record events inside the transaction of the change
//! they describe, so an event exists exactly when its change does.

use crate::{
    context::Core,
    domain::{
        audit::{ActorKind, EventType, SubjectKind},
        org::Action,
        paging::{Cursor, PageSize},
    },
    error::Error,
    identity::{Caller, Member, Origin, Via},
    ids::{EventId, OrgId, TokenId, UserId},
    store::{
        self,
        audit::{Filter, NewEvent},
    },
    time::Timestamp,
    views::{AuditEntry, Page},
};
use serde_json::{Value, json};
use sqlx::AnyConnection;

/// Who caused an event.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A person, in the dashboard or through one of their tokens.
    Member { user_id: UserId, email: &'a str, via: Via },
    /// The server administrator at the command line.
    Operator,
    /// Tessera itself.
    System,
}

impl<'a> Actor<'a> {
    pub fn of(caller: &'a Caller) -> Self {
        Actor::Member { user_id: caller.user_id(), email: &caller.member.email, via: caller.via }
    }

    /// A person in the dashboard who is not a [`Caller`] yet: setting up, signing in, accepting an
    /// invitation.
    pub fn person(user_id: UserId, email: &'a str) -> Self {
        Actor::Member { user_id, email, via: Via::Dashboard }
    }
}

/// What an event is about.
#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
    pub label: Option<String>,
    pub token_id: Option<TokenId>,
    pub member_id: Option<UserId>,
}

impl Subject {
    /// A token, created by `creator` (`None`: its row is gone, so its creator is not known).
    pub fn token(id: TokenId, name: Option<&str>, creator: Option<UserId>) -> Self {
        Self {
            kind: SubjectKind::Token,
            id: id.to_string(),
            label: name.map(str::to_owned),
            token_id: Some(id),
            member_id: creator,
        }
    }

    pub fn member(id: UserId, email: &str) -> Self {
        Self {
            kind: SubjectKind::User,
            id: id.to_string(),
            label: Some(email.to_owned()),
            token_id: None,
            member_id: Some(id),
        }
    }

    pub fn organization(id: OrgId, name: &str) -> Self {
        Self {
            kind: SubjectKind::Organization,
            id: id.to_string(),
            label: Some(name.to_owned()),
            token_id: None,
            member_id: None,
        }
    }

    pub fn other(kind: SubjectKind, id: String, label: Option<String>) -> Self {
        Self { kind, id, label, token_id: None, member_id: None }
    }
}

/// Builds the events of one change: same organization, actor, origin and instant.
pub struct Recorder<'a> {
    pub org_id: OrgId,
    pub actor: Actor<'a>,
    pub origin: &'a Origin,
    pub at: Timestamp,
}

static NO_ORIGIN: Origin = Origin { ip: None, user_agent: None };

impl<'a> Recorder<'a> {
    pub fn for_caller(caller: &'a Caller, at: Timestamp) -> Self {
        Self { org_id: caller.org_id(), actor: Actor::of(caller), origin: &caller.origin, at }
    }

    pub fn system(org_id: OrgId, at: Timestamp) -> Self {
        Self { org_id, actor: Actor::System, origin: &NO_ORIGIN, at }
    }

    pub fn operator(org_id: OrgId, at: Timestamp) -> Self {
        Self { org_id, actor: Actor::Operator, origin: &NO_ORIGIN, at }
    }

    pub fn event(&self, event: EventType, subject: Subject, detail: Value) -> NewEvent {
        let (actor_kind, actor_id, actor_label, acting_token) = match self.actor {
            Actor::Member { user_id, email, via: Via::Dashboard } => {
                (ActorKind::User, Some(user_id.to_string()), email.to_owned(), None)
            }
            Actor::Member { email, via: Via::Token(token), .. } => (
                ActorKind::Token,
                Some(token.id.to_string()),
                format!("token {} of {email}", &token.id.to_string()[..8]),
                Some(token.id),
            ),
            Actor::Operator => (ActorKind::Operator, None, "operator".to_owned(), None),
            Actor::System => (ActorKind::System, None, "Tessera".to_owned(), None),
        };
        NewEvent {
            entry: AuditEntry {
                id: EventId::new_at(self.at),
                org_id: self.org_id,
                at: self.at,
                event,
                actor_kind,
                actor_id,
                actor_label,
                subject_kind: subject.kind,
                subject_id: subject.id,
                subject_label: subject.label,
                client_ip: self.origin.ip.map(|ip| ip.to_string()),
                user_agent: self.origin.user_agent.clone(),
                detail: detail.to_string(),
            },
            token_id: subject.token_id.or(acting_token),
            member_id: subject.member_id,
        }
    }

    /// Records an event inside the caller's transaction, with its webhook deliveries: the outbox rows
    /// commit (or roll back) with the change and its event.
    pub async fn record(
        &self,
        conn: &mut AnyConnection,
        event: EventType,
        subject: Subject,
        detail: Value,
    ) -> Result<NewEvent, Error> {
        let event = self.event(event, subject, detail);
        store::audit::insert(&mut *conn, &event).await?;
        super::events::fan_out(conn, &event).await?;
        Ok(event)
    }
}

/// An empty detail.
pub fn no_detail() -> Value {
    json!({})
}

/// The audit log's filters, parsed from the dashboard's or the API's query.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query {
    pub filter: Filter,
    pub after: Option<Cursor<EventId>>,
    pub limit: Option<PageSize>,
}

impl Query {
    /// Parses raw query values; each error names the parameter to fix.
    pub fn parse(
        event: Option<&str>,
        token_id: Option<&str>,
        member_id: Option<&str>,
        after: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Self, Error> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let event = present(event).map(str::parse).transpose().map_err(|m: String| Error::invalid("type", m))?;
        let token_id = present(token_id)
            .map(|raw| raw.parse::<TokenId>())
            .transpose()
            .map_err(|_| Error::invalid("token_id", "token_id must be a Token ID (a UUID)."))?;
        let member_id = present(member_id)
            .map(|raw| raw.parse::<UserId>())
            .transpose()
            .map_err(|_| Error::invalid("member_id", "member_id must be a member's id (a UUID)."))?;
        let after = present(after).map(Cursor::parse).transpose().map_err(|m| Error::invalid("after", m))?;
        let limit = Some(PageSize::parse(limit).map_err(|m| Error::invalid("limit", m))?);
        Ok(Self { filter: Filter { event, token_id, member_id, since: None }, after, limit })
    }
}

/// A page of the organization's audit events, newest first. Admins and owners only.
pub async fn list(core: &Core, viewer: &Member, query: Query) -> Result<Page<AuditEntry>, Error> {
    viewer.require(Action::ViewAudit)?;
    let limit = query.limit.unwrap_or(PageSize::DEFAULT).get();
    let mut rows = store::audit::page(core.db.pool(), viewer.org_id, query.filter, query.after, limit).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = more.then(|| rows.last().map(|e| Cursor { at: e.at, id: e.id }.to_string())).flatten();
    Ok(Page { items: rows, next, now: core.clock.now() })
}

/// Every event of an organization since `since`, oldest first, one JSON object per line (for the CLI's
/// export, which log pipelines ingest).
pub async fn export(core: &Core, org_id: OrgId, since: Timestamp, mut line: impl FnMut(String)) -> Result<u64, Error> {
    // Newest-first pages, collected and written oldest first: exports are for logs, in order.
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let filter = Filter { since: Some(since), ..Filter::default() };
        let mut rows = store::audit::page(core.db.pool(), org_id, filter, after, 500).await?;
        let more = rows.len() > 500;
        rows.truncate(500);
        after = rows.last().map(|e| Cursor { at: e.at, id: e.id });
        all.extend(rows);
        if !more {
            break;
        }
    }
    let count = all.len() as u64;
    for entry in all.into_iter().rev() {
        line(export_line(&entry));
    }
    Ok(count)
}

/// One event as a JSON line: RFC 3339 time, the codes, and the detail as an object.
pub fn export_line(e: &AuditEntry) -> String {
    super::events::event_json(e).to_string()
}

/// Deletes events past the retention period; returns how many.
pub async fn prune(core: &Core) -> Result<u64, Error> {
    let before = core.clock.now().minus_ms(i64::from(core.settings.audit_retention_days) * crate::time::DAY_MS);
    Ok(store::audit::prune(core.db.pool(), before).await?)
}
