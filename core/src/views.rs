//! Read models: what the stores read and every adapter shows (the dashboard, the REST API, the CLI).
//! They compile into the browser too, so the dashboard's server functions can return them as they are.
//! With the `server` feature they decode straight from database rows.

use crate::{
    domain::{
        audit::{ActorKind, EventType, SubjectKind},
        org::Role,
        policy::TokenPolicy,
        token::RevokeReason,
    },
    ids::{EventId, InvitationId, MessageId, OrgId, TokenId, UserId, WebhookId},
    time::Timestamp,
};
use serde::{Deserialize, Serialize};

/// One of a person's organizations, with their role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    pub role: Role,
}

/// A member as the members page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct MemberEntry {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    pub joined_at: Timestamp,
    /// Active tokens they created in this organization.
    pub active_tokens: i64,
}

/// An invitation not yet accepted. Never its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct InvitationEntry {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub invited_by_email: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A token as listed: never its secret, never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct TokenEntry {
    pub id: TokenId,
    pub name: Option<String>,
    pub created_by: UserId,
    /// The creator's email.
    pub creator_email: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    pub revoked_at: Option<Timestamp>,
    pub revoked_reason: Option<RevokeReason>,
    /// Rotated: its successor, and until when this token's secret still works.
    pub replaced_by: Option<TokenId>,
    pub grace_until: Option<Timestamp>,
    /// Reported leaked ("exposed"): when, through which intake, and where it was found, from the report
    /// that revoked it (else the latest). Only the token list and a single token read these.
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub exposed_at: Option<Timestamp>,
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub exposed_via: Option<crate::domain::token::LeakIntake>,
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub exposed_url: Option<String>,
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub exposed_source: Option<String>,
    /// Restrictions chosen at creation (issue 25); none by default.
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub ceiling: Option<crate::domain::org::Role>,
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub allowed_ips: Option<crate::domain::restriction::IpAllowlist>,
    #[cfg_attr(feature = "server", sqlx(default))]
    #[serde(default)]
    pub rate_limit_per_minute: Option<crate::domain::restriction::RateLimit>,
}

impl TokenEntry {
    pub fn restrictions(&self) -> crate::domain::restriction::Restrictions {
        crate::domain::restriction::Restrictions {
            ceiling: self.ceiling,
            allowed_ips: self.allowed_ips.clone(),
            rate_limit: self.rate_limit_per_minute,
        }
    }
}

/// A token, and what the person looking may do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenListing {
    pub token: TokenEntry,
    /// Created by the person looking.
    pub yours: bool,
    pub can_delete: bool,
    pub can_rotate: bool,
    /// Its remaining lifetime exceeds the organization's current maximum: it is refused until replaced.
    pub over_policy: bool,
}

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next (older) page starts, if there is one.
    pub next: Option<String>,
    /// The server's clock when the page was read: "expires in N days" is computed from it.
    pub now: Timestamp,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct AuditEntry {
    pub id: EventId,
    pub at: Timestamp,
    pub org_id: OrgId,
    #[cfg_attr(feature = "server", sqlx(rename = "event_type"))]
    pub event: EventType,
    pub actor_kind: ActorKind,
    /// The user or token that acted (none for the operator and the system).
    pub actor_id: Option<String>,
    /// How the actor is shown: an email, "token 1a2b3c4d (CI)", "operator", "system".
    pub actor_label: String,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    pub subject_label: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// A small JSON object with what else matters for this event (never a secret).
    pub detail: String,
}

/// An organization's token policy, and how many tokens a change would affect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub policy: TokenPolicy,
    pub updated_at: Option<Timestamp>,
}

/// A registered webhook endpoint. Never its signing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct WebhookEntry {
    pub id: WebhookId,
    pub url: String,
    /// Event codes, comma-separated (`token.created,member.*`).
    pub events: String,
    pub created_at: Timestamp,
    /// Failing: deliveries kept failing for a day; admins were told.
    pub failing_since: Option<Timestamp>,
    /// Paused: the member who added it left or lost the admin role; it gets no deliveries until resumed.
    pub paused_since: Option<Timestamp>,
    /// Why it was paused, for people.
    pub paused_reason: Option<String>,
}

/// One delivery attempt of a webhook message, for the endpoint's delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct DeliveryEntry {
    /// The message (the `webhook-id` header): the same for every attempt and for a resend.
    pub message_id: MessageId,
    pub event_type: String,
    pub attempt: i64,
    pub at: Timestamp,
    /// The endpoint's HTTP status; none when it did not answer.
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

impl DeliveryEntry {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}
