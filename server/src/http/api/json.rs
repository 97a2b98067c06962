//! The API's wire types: its public contract (instants as RFC 3339, ids as strings), mapped from the
//! core's read models. Types whose name the core or the app also uses end in `Json`; the document keeps
//! calling them by their plain names (`#[schema(as = …)]`). Clients (and the tests) deserialize them.

use serde::{Deserialize, Serialize};
use tessera_core::{
    domain::{restriction::Restrictions, token::ExpiryDays},
    identity::Member,
    ids::TokenId,
    services::tokens::Rotated,
    time::Timestamp,
    views::{AuditEntry, MemberEntry, PolicyView, TokenListing},
};
use utoipa::{IntoParams, ToSchema};

fn rfc3339(t: Timestamp) -> String {
    t.rfc3339()
}

// The error body, as the document shows it (the server answers with the core's `ErrorBody`). Plain
// comments on the types here: doc comments become the document's descriptions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = ErrorBody)]
pub struct ErrorJson {
    /// Stable, machine-readable: `unauthorized`, `forbidden`, `not_found`, `invalid`, `rate_limited`…
    pub error: String,
    /// What happened and what to do, for a person.
    pub message: String,
    /// With `invalid`: the parameter or field to fix.
    pub field: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    /// The Token ID.
    pub id: String,
    pub name: Option<String>,
    /// RFC 3339; the token is refused from this instant on.
    pub expires_at: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// The token creator's role there, which is what the token may do.
    pub role: String,
}

impl Organization {
    /// The organization a member belongs to, with their role in it.
    pub fn of(member: &Member) -> Self {
        Self { id: member.org_id.to_string(), name: member.org_name.clone(), role: member.role.to_string() }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
}

// `whoami`'s answer as documented and as clients read it; the server writes it from what the caller
// borrows (`identity::Me`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    pub token: TokenInfo,
    pub organization: Organization,
    /// The token's creator, on whose behalf it acts.
    pub user: User,
    /// What the token may do right now: its creator's current role in the organization (owner, admin,
    /// member or viewer), capped by the token's ceiling.
    pub role: String,
    /// The token's restrictions; absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<RestrictionsJson>,
}

/// A token's restrictions, chosen at creation and never loosened (a rotation's successor keeps them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Restrictions)]
pub struct RestrictionsJson {
    /// The most the token may do: `viewer` (read-only), `member`, `admin` or `owner`; never more than
    /// its creator's current role.
    pub ceiling: Option<String>,
    /// The addresses and networks (CIDR) requests may come from; any other gets the uniform 401.
    pub allowed_ips: Option<Vec<String>>,
    /// Requests a minute; beyond it, 429 with `Retry-After`, `RateLimit-Policy` and `RateLimit`.
    pub rate_limit_per_minute: Option<u32>,
}

impl RestrictionsJson {
    pub fn of(r: &Restrictions) -> Option<Self> {
        (!r.is_none()).then(|| RestrictionsJson {
            ceiling: r.ceiling.map(|c| c.to_string()),
            allowed_ips: r.allowed_ips.as_ref().map(|ips| ips.networks().iter().map(|n| n.to_string()).collect()),
            rate_limit_per_minute: r.rate_limit.map(|l| l.per_minute()),
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Member)]
pub struct MemberJson {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub joined_at: String,
    pub active_tokens: i64,
}

impl From<MemberEntry> for MemberJson {
    fn from(m: MemberEntry) -> Self {
        MemberJson {
            user_id: m.user_id.to_string(),
            email: m.email,
            role: m.role.to_string(),
            joined_at: rfc3339(m.joined_at),
            active_tokens: m.active_tokens,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Revoked)]
pub struct RevokedJson {
    /// How many tokens were revoked.
    pub revoked: usize,
    /// Their Token IDs.
    pub tokens: Vec<String>,
}

impl From<Vec<TokenId>> for RevokedJson {
    fn from(ids: Vec<TokenId>) -> Self {
        RevokedJson { revoked: ids.len(), tokens: ids.iter().map(ToString::to_string).collect() }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub name: Option<String>,
    /// Email of the creator.
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    /// When rotated: the successor, and until when this token's secret still works.
    pub replaced_by: Option<String>,
    pub grace_until: Option<String>,
    /// When revoked: when, and why (`deleted`, `member_removed`, `rotated`, `reuse_detected`, …).
    pub revoked_at: Option<String>,
    pub revoked_reason: Option<String>,
    /// Whether the calling token may delete or rotate this one.
    pub can_delete: bool,
    pub can_rotate: bool,
    /// Refused: its remaining lifetime exceeds the organization's maximum.
    pub over_policy: bool,
    /// Reported leaked: when, how and where (absent otherwise).
    #[serde(default)]
    pub exposure: Option<Exposure>,
    /// Its restrictions (absent when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<RestrictionsJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Exposure {
    /// RFC 3339.
    pub reported_at: String,
    /// Which intake reported it: `github`, `gitlab`, `possession`, `api`, `dashboard`, `cli`.
    pub intake: String,
    /// Where it was found, as reported.
    pub url: Option<String>,
    pub source: Option<String>,
}

impl From<TokenListing> for Token {
    fn from(l: TokenListing) -> Self {
        let t = l.token;
        let restrictions = RestrictionsJson::of(&t.restrictions());
        Token {
            id: t.id.to_string(),
            name: t.name,
            created_by: t.creator_email,
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            last_used_at: t.last_used_at.map(rfc3339),
            last_used_ip: t.last_used_ip,
            replaced_by: t.replaced_by.map(|r| r.to_string()),
            grace_until: t.grace_until.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
            revoked_reason: t.revoked_reason.map(|r| r.to_string()),
            can_delete: l.can_delete,
            can_rotate: l.can_rotate,
            over_policy: l.over_policy,
            exposure: t.exposed_at.zip(t.exposed_via).map(|(at, intake)| Exposure {
                reported_at: rfc3339(at),
                intake: intake.to_string(),
                url: t.exposed_url,
                source: t.exposed_source,
            }),
            restrictions,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPage {
    /// Active tokens, newest first. Never a secret.
    pub tokens: Vec<Token>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PaginationQuery {
    /// The `next` value of the previous page.
    pub after: Option<String>,
    /// Items per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RotateRequest {
    /// How long the current secret keeps working: `none`, `1h`, `24h` (default) or `7d`.
    #[schema(value_type = Option<GraceChoice>)]
    pub grace: Option<String>,
    /// The successor's lifetime in days, at most the organization's maximum; it never expires later than
    /// the rotated token (default: exactly when the rotated token expires).
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "whole_number")]
    pub expires_in_days: Option<i64>,
}

/// A JSON integer, as JSON Schema counts them: `30` and `30.0` alike (`30.5` is refused).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Ok(Some(i)),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom("expires_in_days must be a whole number of days")),
    }
}

/// The grace periods a rotation offers (the document's names for what `grace` accepts).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum GraceChoice {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "24h")]
    OneDay,
    #[serde(rename = "7d")]
    SevenDays,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = RotatedToken)]
pub struct RotatedTokenJson {
    /// The successor's Token ID.
    pub id: String,
    /// The successor's Token Secret: shown this once.
    pub secret: String,
    pub name: Option<String>,
    pub expires_at: String,
    /// The token that was rotated, and until when its secret still works.
    pub replaces: String,
    pub old_secret_valid_until: String,
}

impl From<Rotated> for RotatedTokenJson {
    fn from(rotated: Rotated) -> Self {
        RotatedTokenJson {
            id: rotated.successor.id.to_string(),
            secret: rotated.successor.secret.expose().to_owned(),
            name: rotated.successor.name,
            expires_at: rfc3339(rotated.successor.expires_at),
            replaces: rotated.old_id.to_string(),
            old_secret_valid_until: rfc3339(rotated.old_valid_until),
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevokeAllRequest {
    /// The organization's exact name, to confirm. Required: without it nothing is revoked (422).
    #[schema(required = true, nullable = false, min_length = 1)]
    pub confirm: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub time: String,
    /// `token.created`, `member.removed`, …
    pub r#type: String,
    pub actor: AuditParty,
    pub subject: AuditParty,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// A small object with what else matters for this event.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditParty {
    pub kind: String,
    pub id: Option<String>,
    pub label: Option<String>,
}

impl From<AuditEntry> for AuditEvent {
    fn from(e: AuditEntry) -> Self {
        AuditEvent {
            id: e.id.to_string(),
            time: rfc3339(e.at),
            r#type: e.event.to_string(),
            actor: AuditParty { kind: e.actor_kind.to_string(), id: e.actor_id, label: Some(e.actor_label) },
            subject: AuditParty { kind: e.subject_kind.to_string(), id: Some(e.subject_id), label: e.subject_label },
            client_ip: e.client_ip,
            user_agent: e.user_agent,
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// The `next` value of the previous page.
    pub after: Option<String>,
    /// Only this event type, like `token.created`.
    pub r#type: Option<String>,
    /// Only events about this token.
    pub token_id: Option<String>,
    /// Only events about this member.
    pub member_id: Option<String>,
    /// Events per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Policy {
    pub max_lifetime_days: i64,
    pub default_lifetime_days: i64,
    pub revoke_unused_after_days: Option<i64>,
    pub api_rotation: bool,
    /// Days before expiry at which creators are warned (0: when it expires).
    pub expiry_warning_days: Vec<u16>,
}

impl From<PolicyView> for Policy {
    fn from(view: PolicyView) -> Self {
        let p = view.policy;
        Policy {
            max_lifetime_days: p.max_lifetime.days(),
            default_lifetime_days: p.default_lifetime.days(),
            revoke_unused_after_days: p.revoke_unused_after.map(ExpiryDays::days),
            api_rotation: p.api_rotation,
            expiry_warning_days: p.expiry_warnings.days().to_vec(),
        }
    }
}

// Leak response (issue 23).

// One item of a GitHub secret-scanning report.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct GithubLeak {
    /// The secret GitHub found.
    pub token: String,
    /// The token type registered with GitHub.
    #[serde(rename = "type", default)]
    pub token_type: Option<String>,
    /// Where it was found.
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place: content, commit, pull_request_comment, …
    #[serde(default)]
    pub source: Option<String>,
}

// GitHub's feedback format: one per reported item.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct GithubFeedback {
    pub token_raw: String,
    pub token_type: String,
    /// `true_positive` for a live Tessera token that was revoked, `false_positive` for anything else.
    pub label: String,
}

// One item of a GitLab Token Revocation API request.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct GitlabLeak {
    #[serde(rename = "type", default)]
    pub token_type: Option<String>,
    pub token: String,
    /// Where it was found.
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GitlabTokenType {
    #[serde(rename = "type")]
    pub token_type: String,
    pub name: String,
    pub description: String,
    pub example: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GitlabTokenTypes {
    pub types: Vec<GitlabTokenType>,
}

#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RevokeCredentialsRequest {
    /// At most 100 secrets (`tsr_…`).
    #[serde(default)]
    pub credentials: Vec<String>,
}

// The one answer to every revoke-by-possession request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CredentialsAccepted {
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct LeakedRequest {
    /// Where the secret was found (optional, at most 2,000 characters kept).
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place (optional, at most 100 characters kept).
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeakedJson {
    /// The Token ID reported.
    pub id: String,
    /// Whether this report revoked it (false: it no longer worked; the report is recorded).
    pub revoked: bool,
}

/// `Debug` for the DTOs that carry a secret: every field but the secret, which shows as `[redacted]`.
macro_rules! redacted_debug {
    ($($ty:ident { $secret:ident; $($field:ident),* })*) => {$(
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field(stringify!($secret), &"[redacted]")
                    $(.field(stringify!($field), &self.$field))*
                    .finish()
            }
        }
    )*};
}

redacted_debug! {
    RotatedTokenJson { secret; id, name, expires_at, replaces, old_secret_valid_until }
    GithubLeak { token; token_type, url, source }
    GithubFeedback { token_raw; token_type, label }
    GitlabLeak { token; token_type, location }
    RevokeCredentialsRequest { credentials; }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let secret = "tsr_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM";
        let shown = [
            format!("{:?}", GithubLeak { token: secret.into(), token_type: None, url: None, source: None }),
            format!(
                "{:?}",
                GithubFeedback { token_raw: secret.into(), token_type: "t".into(), label: "true_positive".into() }
            ),
            format!("{:?}", GitlabLeak { token: secret.into(), token_type: None, location: None }),
            format!("{:?}", RevokeCredentialsRequest { credentials: vec![secret.into()] }),
            format!(
                "{:?}",
                RotatedTokenJson {
                    id: "id".into(),
                    secret: secret.into(),
                    name: None,
                    expires_at: String::new(),
                    replaces: String::new(),
                    old_secret_valid_until: String::new(),
                }
            ),
        ];
        for line in shown {
            assert!(!line.contains(secret) && line.contains("[redacted]"), "{line}");
        }
    }
}
