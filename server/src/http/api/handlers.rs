//! The endpoints. Each is thin: the identity comes from the [`ApiCaller`] extractor, the rules from the
//! same services the dashboard uses, and every answer carries the token's expiry. The types here are
//! the API's public contract (instants as RFC 3339), mapped from the core's read models.

use super::auth::ApiCaller;
use crate::http::{
    Json, ServerState,
    errors::{ApiError, ApiQuery},
};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::borrow::Cow;
use tessera_core::{
    Error,
    domain::{
        paging::{Cursor, PageSize},
        token::{ExpiryDays, GracePeriod},
    },
    ids::TokenId,
    services::{audit as audit_service, members as members_service, policy as policy_service, tokens},
    store::tokens::Listing,
    time::Timestamp,
    views::{AuditEntry, TokenListing},
};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `unauthorized`, `forbidden`, `not_found`, `invalid`, `rate_limited`…
    pub error: String,
    /// What happened and what to do, for a person.
    pub message: String,
    /// With `invalid`: the parameter or field to fix.
    pub field: Option<String>,
}

fn rfc3339(t: Timestamp) -> String {
    t.rfc3339()
}

// The answers of the hottest endpoints borrow what they show from the caller (`Cow`): an
// authenticated `whoami` allocates nothing but its body. Deserialized (by clients and tests), they own.

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo<'a> {
    /// The Token ID.
    pub id: Cow<'a, str>,
    pub name: Option<Cow<'a, str>>,
    /// RFC 3339; the token is refused from this instant on.
    pub expires_at: Cow<'a, str>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Organization<'a> {
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    /// The token creator's role there, which is what the token may do.
    pub role: Cow<'a, str>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct User<'a> {
    pub id: Cow<'a, str>,
    pub email: Cow<'a, str>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI<'a> {
    pub token: TokenInfo<'a>,
    pub organization: Organization<'a>,
    /// The token's creator, on whose behalf it acts.
    pub user: User<'a>,
    /// The creator's current role in the organization: owner, admin, member or viewer.
    pub role: Cow<'a, str>,
}

/// Ids written into stack buffers, borrowed by an answer.
struct IdText([u8; 36]);

impl IdText {
    fn new() -> Self {
        Self([0; 36])
    }

    fn of(&mut self, id: uuid::Uuid) -> Cow<'_, str> {
        Cow::Borrowed(id.hyphenated().encode_lower(&mut self.0))
    }
}

fn organization_of<'a>(caller: &'a ApiCaller, buffer: &'a mut IdText) -> Organization<'a> {
    let m = &caller.identity.member;
    Organization { id: buffer.of(m.org_id.0), name: Cow::Borrowed(&m.org_name), role: Cow::Borrowed(m.role.as_str()) }
}

/// Who is calling: the token, its organization, its creator and their role right now.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "identity",
    responses(
        (status = 200, description = "The caller", body = WhoAmI),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 429, description = "Too many failed authentications from this address or for this token", body = ErrorBody),
    )
)]
pub async fn whoami(caller: ApiCaller) -> Response {
    let m = &caller.identity.member;
    let (mut token, mut org, mut user) = (IdText::new(), IdText::new(), IdText::new());
    let body = WhoAmI {
        token: TokenInfo {
            id: token.of(caller.identity.token_id.0),
            name: caller.identity.token_name.as_deref().map(Cow::Borrowed),
            expires_at: Cow::Borrowed(&caller.identity.expires_rfc3339),
        },
        organization: organization_of(&caller, &mut org),
        user: User { id: user.of(m.user_id.0), email: Cow::Borrowed(&m.email) },
        role: Cow::Borrowed(m.role.as_str()),
    };
    caller.respond(Json(&body))
}

/// The organizations the token can reach: exactly its own.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = ErrorBody)))]
pub async fn organizations(caller: ApiCaller) -> Response {
    let mut org = IdText::new();
    caller.respond(Json(&[organization_of(&caller, &mut org)]))
}

/// The same as `GET /api/v1/organizations`, for ZeroPath clients.
#[utoipa::path(post, path = "/api/v1/orgs/list", tag = "organizations",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = ErrorBody)))]
pub async fn orgs_list(caller: ApiCaller) -> Response {
    let mut org = IdText::new();
    caller.respond(Json(&[organization_of(&caller, &mut org)]))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub joined_at: String,
    pub active_tokens: i64,
}

/// The organization's members and their roles.
#[utoipa::path(get, path = "/api/v1/members", tag = "organizations",
    responses((status = 200, body = Vec<Member>), (status = 401, body = ErrorBody)))]
pub async fn members(State(state): State<ServerState>, caller: ApiCaller) -> Response {
    let members = members_service::list(&state.app.core, &caller.identity.member).await.map(|roster| {
        Json(
            roster
                .members
                .into_iter()
                .map(|m| Member {
                    user_id: m.user_id.to_string(),
                    email: m.email,
                    role: m.role.to_string(),
                    joined_at: rfc3339(m.joined_at),
                    active_tokens: m.active_tokens,
                })
                .collect::<Vec<_>>(),
        )
    });
    caller.respond(members.map_err(ApiError))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Revoked {
    /// How many tokens were revoked.
    pub revoked: usize,
    /// Their Token IDs.
    pub tokens: Vec<String>,
}

fn member_id(raw: &str) -> Result<tessera_core::ids::UserId, ApiError> {
    raw.parse().map_err(|_| ApiError(Error::not_found("That member")))
}

/// Incident response: every token the member created in the organization stops working, on every
/// instance, before this answers. Admins and owners.
#[utoipa::path(post, path = "/api/v1/members/{id}/revoke-tokens", tag = "organizations",
    params(("id" = String, Path, description = "The member's user id")),
    responses((status = 200, body = Revoked), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_member_tokens(
    State(state): State<ServerState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let revoked = async {
        let ids = tokens::revoke_member_tokens(&state.app.core, &caller.caller(), member_id(&id)?).await?;
        Ok::<_, ApiError>(Json(Revoked { revoked: ids.len(), tokens: ids.iter().map(ToString::to_string).collect() }))
    };
    caller.respond(revoked.await)
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
}

impl From<TokenListing> for Token {
    fn from(l: TokenListing) -> Self {
        let t = l.token;
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
pub struct PageQuery {
    /// The `next` value of the previous page.
    pub after: Option<String>,
    /// Items per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

fn page_size(raw: &Option<String>) -> Result<PageSize, ApiError> {
    PageSize::parse(raw.as_deref()).map_err(|m| ApiError(Error::invalid("limit", m)))
}

/// The organization's active tokens, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(PageQuery),
    responses((status = 200, body = TokenPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Response {
    let page = async {
        let limit = page_size(&query.limit)?;
        let after = query
            .after
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(Cursor::parse)
            .transpose()
            .map_err(|m| ApiError(Error::invalid("after", m)))?;
        let page = tokens::list(&state.app.core, &caller.caller(), Listing::Active, after, limit).await?;
        Ok::<_, ApiError>(Json(TokenPage {
            tokens: page.items.into_iter().map(Token::from).collect(),
            next: page.next,
        }))
    };
    caller.respond(page.await)
}

/// Refused: tokens are created in the dashboard only, so a leaked token can't mint successors.
/// (Rotation replaces a token; it never adds one.)
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 403, description = "Always", body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_token(caller: ApiCaller) -> Response {
    caller.respond(ApiError(Error::forbidden(
        "API tokens can't create API tokens, so that a leaked token can't create others. \
         Create tokens in the dashboard, under Settings \u{2192} API Tokens.",
    )))
}

fn token_id(raw: &str) -> Result<TokenId, ApiError> {
    raw.parse().map_err(|_| ApiError(tokens::token_not_found()))
}

/// One token of the organization (whatever its state). Another organization's token is 404.
#[utoipa::path(get, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    responses((status = 200, body = Token), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_token(State(state): State<ServerState>, caller: ApiCaller, Path(id): Path<String>) -> Response {
    let token = async {
        Ok::<_, ApiError>(Json(Token::from(tokens::get(&state.app.core, &caller.caller(), token_id(&id)?).await?)))
    };
    caller.respond(token.await)
}

/// Deletes a token: own tokens for members, any for admins and owners. It stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_token(State(state): State<ServerState>, caller: ApiCaller, Path(id): Path<String>) -> Response {
    let deleted = async {
        tokens::delete(&state.app.core, &caller.caller(), token_id(&id)?).await?;
        Ok::<_, ApiError>(StatusCode::NO_CONTENT)
    };
    caller.respond(deleted.await)
}

/// The calling token deletes itself, for example when it has leaked.
#[utoipa::path(delete, path = "/api/v1/tokens/current", tag = "tokens",
    responses((status = 204, description = "Deleted; the token no longer works"), (status = 401, body = ErrorBody)))]
pub async fn revoke_current_token(State(state): State<ServerState>, caller: ApiCaller) -> Response {
    let revoked = tokens::revoke_self(&state.app.core, &caller.caller()).await.map(|()| StatusCode::NO_CONTENT);
    caller.respond(revoked.map_err(ApiError))
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RotatedToken {
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

/// An optional JSON body: empty means the defaults.
fn json_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let field =
            ["grace", "expires_in_days", "confirm"].into_iter().find(|f| e.to_string().contains(f)).unwrap_or("");
        ApiError(Error::invalid(field, "The body must be a JSON object as the API documentation shows."))
    })
}

async fn rotate(
    state: &ServerState,
    caller: &ApiCaller,
    id: TokenId,
    body: &Bytes,
) -> Result<Json<RotatedToken>, ApiError> {
    let request: RotateRequest = json_body(body)?;
    let grace = GracePeriod::parse(request.grace.as_deref()).map_err(|m| ApiError(Error::invalid("grace", m)))?;
    let days = request
        .expires_in_days
        .map(ExpiryDays::new)
        .transpose()
        .map_err(|m| ApiError(Error::invalid("expires_in_days", m)))?;
    let rotated = tokens::rotate(&state.app.core, &caller.caller(), id, grace, days).await?;
    Ok(Json(RotatedToken {
        id: rotated.successor.id.to_string(),
        secret: rotated.successor.secret.expose().to_owned(),
        name: rotated.successor.name,
        expires_at: rfc3339(rotated.successor.expires_at),
        replaces: rotated.old_id.to_string(),
        old_secret_valid_until: rfc3339(rotated.old_valid_until),
    }))
}

/// A token rotates itself (if the organization allows API rotation): `{id}` must be the calling token's
/// own ID (another token, even the same creator's, is 403). The successor has a new ID and secret,
/// shown once, and expires no later than the rotated token; the old secret keeps working for the grace
/// period, for plain use only. A second rotation of the same token is refused (409) and changes nothing.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/rotate", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    request_body(content = RotateRequest, description = "Optional"),
    responses((status = 200, body = RotatedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_token(
    State(state): State<ServerState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let rotated = async { rotate(&state, &caller, token_id(&id)?, &body).await };
    caller.respond(rotated.await)
}

/// The calling token rotates itself (if the organization allows API rotation): the same as
/// `/api/v1/tokens/{id}/rotate` with its own ID.
#[utoipa::path(post, path = "/api/v1/tokens/current/rotate", tag = "tokens",
    request_body(content = RotateRequest, description = "Optional"),
    responses((status = 200, body = RotatedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_current_token(State(state): State<ServerState>, caller: ApiCaller, body: Bytes) -> Response {
    let id = caller.identity.token_id;
    let rotated = rotate(&state, &caller, id, &body).await;
    caller.respond(rotated)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevokeAllRequest {
    /// The organization's exact name, to confirm. Required: without it nothing is revoked (422).
    #[schema(required = true, nullable = false, min_length = 1)]
    pub confirm: Option<String>,
}

/// Incident response (owners): every token of the organization stops working, on every instance.
#[utoipa::path(post, path = "/api/v1/tokens/revoke-all", tag = "tokens", request_body = RevokeAllRequest,
    responses((status = 200, body = Revoked), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_all_tokens(State(state): State<ServerState>, caller: ApiCaller, body: Bytes) -> Response {
    let revoked = async {
        let request: RevokeAllRequest = json_body(&body)?;
        let ids =
            tokens::revoke_org_tokens(&state.app.core, &caller.caller(), request.confirm.as_deref().unwrap_or(""))
                .await?;
        Ok::<_, ApiError>(Json(Revoked { revoked: ids.len(), tokens: ids.iter().map(ToString::to_string).collect() }))
    };
    caller.respond(revoked.await)
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

/// The organization's audit trail, newest first (admins and owners).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn audit(State(state): State<ServerState>, caller: ApiCaller, ApiQuery(q): ApiQuery<AuditQuery>) -> Response {
    let page = async {
        let query = audit_service::Query::parse(
            q.r#type.as_deref(),
            q.token_id.as_deref(),
            q.member_id.as_deref(),
            q.after.as_deref(),
            q.limit.as_deref(),
        )?;
        let page = audit_service::list(&state.app.core, &caller.identity.member, query).await?;
        Ok::<_, ApiError>(Json(AuditPage {
            events: page.items.into_iter().map(AuditEvent::from).collect(),
            next: page.next,
        }))
    };
    caller.respond(page.await)
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

/// The organization's token policy.
#[utoipa::path(get, path = "/api/v1/policy", tag = "organizations",
    responses((status = 200, body = Policy), (status = 401, body = ErrorBody)))]
pub async fn policy(State(state): State<ServerState>, caller: ApiCaller) -> Response {
    let policy = policy_service::get(&state.app.core, &caller.identity.member).await.map(|view| {
        let p = view.policy;
        Json(Policy {
            max_lifetime_days: p.max_lifetime.days(),
            default_lifetime_days: p.default_lifetime.days(),
            revoke_unused_after_days: p.revoke_unused_after.map(ExpiryDays::days),
            api_rotation: p.api_rotation,
            expiry_warning_days: p.expiry_warnings.days().to_vec(),
        })
    });
    caller.respond(policy.map_err(ApiError))
}

pub const ORG_HEADER: HeaderName = HeaderName::from_static("x-tessera-org-id");
pub const USER_HEADER: HeaderName = HeaderName::from_static("x-tessera-user-id");
pub const ROLE_HEADER: HeaderName = HeaderName::from_static("x-tessera-role");
pub const TOKEN_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-id");

/// Forward authentication for reverse proxies (nginx `auth_request`, Traefik ForwardAuth): 200 with
/// the caller in `X-Tessera-Org-Id`, `X-Tessera-User-Id`, `X-Tessera-Role` and `X-Tessera-Token-Id`, or 401.
#[utoipa::path(get, path = "/api/v1/auth/verify", tag = "forward-auth",
    responses((status = 200, description = "Authenticated; see the headers"), (status = 401, body = ErrorBody)))]
pub async fn verify(caller: ApiCaller) -> Response {
    let m = &caller.identity.member;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (ORG_HEADER, m.org_id.to_string()),
        (USER_HEADER, m.user_id.to_string()),
        (ROLE_HEADER, m.role.to_string()),
        (TOKEN_HEADER, caller.identity.token_id.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    caller.respond((StatusCode::OK, headers))
}
