//! Creating, listing, rotating and revoking API tokens. The dashboard's server functions, the REST API
//! and the CLI all call these, so the role rules, the policy and the "another organization's token is
//! not found" rule live here once.

use super::{
    audit::{Recorder, Subject},
    notify,
};
use crate::{
    context::Core,
    domain::{
        audit::EventType,
        org::{Action, action_for_token_delete, allows},
        paging::{Cursor, PageSize},
        policy::{TokenPolicy, rotation_days},
        restriction::Restrictions,
        token::{EXPIRING_SOON_DAYS, ExpiryDays, GracePeriod, RevokeReason, TokenName},
    },
    error::Error,
    identity::{ActingToken, Caller, Member, Via},
    ids::{FamilyId, OrgId, TokenId, UserId},
    secret::TokenSecret,
    store::{
        self,
        tokens::{FamilyScope, Listing},
    },
    time::{DAY_MS, Timestamp},
    views::{Page, TokenEntry, TokenListing},
};
use serde_json::json;

pub fn token_not_found() -> Error {
    Error::not_found("That API token")
}

/// A token just created (or a rotation's successor): the only moment its secret exists in plain text.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: TokenId,
    pub name: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub secret: TokenSecret,
}

/// Creation input, parsed: a name (optional), a lifetime (`None`: the organization's default) and
/// optional restrictions.
#[derive(Debug, Clone)]
pub struct CreateInput {
    pub name: Option<TokenName>,
    pub days: Option<ExpiryDays>,
    pub restrictions: Restrictions,
}

impl CreateInput {
    /// From the form: `expires_in_days` is a number, blank, or `custom` to take `custom_days`.
    pub fn parse(name: &str, expires_in_days: &str, custom_days: &str) -> Result<Self, Error> {
        let name = TokenName::parse(name).map_err(|m| Error::invalid("name", m))?;
        let custom = expires_in_days.trim() == "custom";
        if custom && custom_days.trim().is_empty() {
            return Err(Error::invalid(
                "expires_in_days",
                format!(
                    "Enter a number of days from {} to {} for the custom expiration.",
                    ExpiryDays::MIN,
                    ExpiryDays::MAX
                ),
            ));
        }
        let raw = if custom { custom_days } else { expires_in_days };
        let days = if raw.trim().is_empty() {
            None
        } else {
            Some(ExpiryDays::parse(Some(raw)).map_err(|m| Error::invalid("expires_in_days", m))?)
        };
        Ok(Self { name, days, restrictions: Restrictions::default() })
    }

    /// Adds the form's restriction fields (each blank for none).
    pub fn with_restrictions(mut self, ceiling: &str, allowed_ips: &str, rate_limit: &str) -> Result<Self, Error> {
        self.restrictions =
            Restrictions::parse(ceiling, allowed_ips, rate_limit).map_err(|(field, m)| Error::invalid(field, m))?;
        Ok(self)
    }
}

/// What the audit trail and the API show of a token's restrictions (none: all null).
pub fn restrictions_json(r: &Restrictions) -> serde_json::Value {
    json!({
        "ceiling": r.ceiling,
        "allowed_ips": r.allowed_ips.as_ref().map(|ips| ips.networks().iter().map(|n| n.to_string()).collect::<Vec<_>>()),
        "rate_limit_per_minute": r.rate_limit.map(|l| l.per_minute()),
    })
}

/// The lifetime a token gets under the organization's policy, or the error for the form field.
fn lifetime(policy: &TokenPolicy, asked: Option<ExpiryDays>) -> Result<ExpiryDays, Error> {
    policy.lifetime(asked).map_err(|m| Error::invalid("expires_in_days", m))
}

/// Tokens can't mint tokens: a leaked token must not be able to create others.
fn refuse_tokens(caller: &Caller) -> Result<(), Error> {
    match caller.via {
        Via::Dashboard => Ok(()),
        Via::Token(_) => Err(Error::forbidden(
            "API tokens can't create API tokens, so that a leaked token can't create others. \
             Create tokens in the dashboard, under Settings \u{2192} API Tokens.",
        )),
    }
}

pub async fn create(core: &Core, caller: &Caller, input: CreateInput) -> Result<IssuedToken, Error> {
    caller.require(Action::CreateToken)?;
    refuse_tokens(caller)?;
    if let Some(ceiling) = input.restrictions.ceiling
        && ceiling > caller.member.role
    {
        return Err(Error::invalid(
            "ceiling",
            format!(
                "A token can't be allowed more than its creator: your role is {}, so choose a ceiling of {} or below \
                 (or none).",
                caller.member.role, caller.member.role
            ),
        ));
    }
    let (policy, _) = store::policies::get(core.db.pool(), caller.org_id()).await?;
    let days = lifetime(&policy, input.days)?;
    let id = TokenId::new_random();
    let secret = TokenSecret::generate(&core.settings.token_prefix);
    let now = core.clock.now();
    let expires_at = now.plus_days(days.days());
    let name = input.name.as_ref().map(TokenName::as_str);
    let verifier = secret.digest_hex(&core.key);
    let mut tx = core.db.begin_write().await?;
    store::tokens::insert(
        &mut *tx,
        store::tokens::NewToken {
            id,
            family_id: FamilyId::from(id),
            org_id: caller.org_id(),
            created_by: caller.user_id(),
            name,
            secret_hash: &verifier,
            secret_lookup: &crate::secret::lookup_hex(&core.key, &verifier),
            now,
            expires_at,
            restrictions: &input.restrictions,
        },
    )
    .await?;
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::TokenCreated,
            Subject::token(id, name, Some(caller.user_id())),
            json!({
                "expires_at": expires_at.rfc3339(),
                "lifetime_days": days.days(),
                "restrictions": restrictions_json(&input.restrictions),
            }),
        )
        .await?;
    tx.commit(core).await?;
    tracing::info!(token = %id, org = %caller.org_id(), by = %caller.user_id(), days = days.days(), "API token created");
    Ok(IssuedToken { id, name: name.map(str::to_owned), created_at: now, expires_at, secret })
}

/// What the one looking (a person, or a token through the API) may do with a token.
fn listing(
    viewer: &Caller,
    policy: &TokenPolicy,
    policy_changed_at: Option<Timestamp>,
    token: TokenEntry,
) -> TokenListing {
    let yours = token.created_by == viewer.user_id();
    let over_policy = exceeds_policy(policy, policy_changed_at, token.created_at, token.expires_at);
    let live = token.revoked_at.is_none();
    TokenListing {
        yours,
        can_delete: live && allows(viewer.member.role, action_for_token_delete(yours)),
        can_rotate: live && token.replaced_by.is_none() && may_rotate(viewer, policy, token.id, token.created_by),
        over_policy,
        token,
    }
}

/// Only a token's creator rotates it in the dashboard, and through the API a token rotates only itself:
/// a rotation shows the successor's secret, which acts as the creator, so nobody else may see it.
fn may_rotate(caller: &Caller, policy: &TokenPolicy, token: TokenId, created_by: UserId) -> bool {
    match caller.via {
        Via::Dashboard => created_by == caller.user_id(),
        Via::Token(acting) => acting.id == token && policy.api_rotation,
    }
}

/// A token that was rotated away works for plain use during its grace period, but manages no tokens
/// (its successor does): otherwise whoever holds a leaked old secret could read, rotate or delete the
/// tokens that replaced it. Ending its family as *leaked* stays open to it, as to anyone who holds a
/// secret of the family (revoke by possession): a leaked secret must be killable by whoever finds it,
/// and killing never widens what the holder can do.
fn require_current(caller: &Caller) -> Result<(), Error> {
    match caller.via {
        Via::Token(ActingToken { replaced: true, .. }) => Err(Error::forbidden(
            "This token was rotated: until its grace period ends it works for plain use only, and can't list, \
             read, rotate or delete tokens. Use its successor.",
        )),
        _ => Ok(()),
    }
}

/// Does a token's expiry lie beyond what the policy allows? A maximum applies from when it was set: a
/// token created before then may live at most that long from then; one created after, from its creation.
pub fn exceeds_policy(
    policy: &TokenPolicy,
    changed_at: Option<Timestamp>,
    created_at: Timestamp,
    expires_at: Timestamp,
) -> bool {
    let Some(changed_at) = changed_at else { return false };
    expires_at.millis() > created_at.max(changed_at).millis() + policy.max_lifetime.days() * DAY_MS
}

/// A page of the organization's tokens, newest first.
pub async fn list(
    core: &Core,
    viewer: &Caller,
    which: Listing,
    after: Option<Cursor<TokenId>>,
    limit: PageSize,
) -> Result<Page<TokenListing>, Error> {
    viewer.require(Action::ViewTokens)?;
    require_current(viewer)?;
    let now = core.clock.now();
    let (policy, changed_at) = store::policies::get(core.db.pool(), viewer.org_id()).await?;
    let limit = limit.get();
    let mut rows = store::tokens::page(core.db.pool(), viewer.org_id(), which, after, limit, now).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = more.then(|| rows.last().map(|t| Cursor { at: t.created_at, id: t.id }.to_string())).flatten();
    let items = rows.into_iter().map(|t| listing(viewer, &policy, changed_at, t)).collect();
    Ok(Page { items, next, now })
}

/// What the tokens page shows above the lists.
#[derive(Debug, Clone)]
pub struct Overview {
    pub policy: TokenPolicy,
    pub policy_changed_at: Option<Timestamp>,
    /// Live tokens expiring within [`EXPIRING_SOON_DAYS`], soonest first (at most 5).
    pub expiring_soon: Vec<TokenEntry>,
    /// Live tokens refused because they outlive a lowered maximum.
    pub over_policy: i64,
}

pub async fn overview(core: &Core, viewer: &Member) -> Result<Overview, Error> {
    viewer.require(Action::ViewTokens)?;
    let now = core.clock.now();
    let (policy, policy_changed_at) = store::policies::get(core.db.pool(), viewer.org_id).await?;
    let expiring_soon =
        store::tokens::expiring(core.db.pool(), viewer.org_id, now, now.plus_days(EXPIRING_SOON_DAYS), 5).await?;
    let over_policy = match policy_changed_at {
        Some(since) => {
            store::tokens::count_over_lifetime(core.db.pool(), viewer.org_id, policy.max_lifetime.days(), since, now)
                .await?
        }
        None => 0,
    };
    Ok(Overview { policy, policy_changed_at, expiring_soon, over_policy })
}

/// One token of the viewer's organization. Another organization's token is "not found", never
/// "forbidden": its existence is not revealed.
pub async fn get(core: &Core, viewer: &Caller, id: TokenId) -> Result<TokenListing, Error> {
    viewer.require(Action::ViewTokens)?;
    require_current(viewer)?;
    let token = store::tokens::get(core.db.pool(), viewer.org_id(), id).await?.ok_or_else(token_not_found)?;
    let (policy, changed_at) = store::policies::get(core.db.pool(), viewer.org_id()).await?;
    Ok(listing(viewer, &policy, changed_at, token))
}

/// Deletes a token: one's own for everyone, anyone's for admins and owners. It stops working at once,
/// and with it every live token of its rotation family (a rotated-away secret still in its grace period,
/// or the successor of the one deleted): after a leak, ending one of them must end them all.
pub async fn delete(core: &Core, caller: &Caller, id: TokenId) -> Result<(), Error> {
    require_current(caller)?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let token = store::tokens::state(&mut *tx, caller.org_id(), id)
        .await?
        .filter(|t| t.revoked_at.is_none())
        .ok_or_else(token_not_found)?;
    let own = token.created_by == caller.user_id();
    let itself = caller.token_id() == Some(id);
    if !itself {
        caller.require(action_for_token_delete(own))?;
    }
    store::tokens::revoke(&mut tx, caller.org_id(), id, Some(caller.user_id()), RevokeReason::Deleted, now).await?;
    let family = store::tokens::revoke_family(
        &mut tx,
        token.family_id,
        FamilyScope::Unrevoked,
        Some(caller.user_id()),
        RevokeReason::Deleted,
        now,
    )
    .await?;
    let by = if itself {
        "the token itself"
    } else if own {
        "its creator"
    } else {
        "an administrator"
    };
    let recorder = Recorder::for_caller(caller, now);
    recorder
        .record(
            &mut tx,
            EventType::TokenDeleted,
            Subject::token(id, token.name.as_deref(), Some(token.created_by)),
            json!({"by": by}),
        )
        .await?;
    for other in &family {
        recorder
            .record(
                &mut tx,
                EventType::TokenRevoked,
                Subject::token(other.id, other.name.as_deref(), Some(other.created_by)),
                json!({"reason": RevokeReason::Deleted, "with": id}),
            )
            .await?;
    }
    if !own && !itself {
        let token = (id, token.name.as_deref(), token.created_by);
        notify::token_deleted_by_other(&mut tx, core, &recorder, &caller.member.org_name, token, &caller.member.email)
            .await?;
    }
    tx.commit(core).await?;
    tracing::info!(token = %id, family = family.len(), org = %caller.org_id(), by = %caller.user_id(), "API token deleted");
    Ok(())
}

/// The calling token deletes itself (leak response): allowed whatever the role, as it only takes access away.
pub async fn revoke_self(core: &Core, caller: &Caller) -> Result<(), Error> {
    let Some(id) = caller.token_id() else {
        return Err(Error::forbidden("Only an API token can revoke itself; delete tokens in the dashboard."));
    };
    caller.require(Action::RevokeCurrentToken)?;
    delete(core, caller, id).await
}

/// A rotation's outcome: the successor (secret shown once) and until when the old secret works.
#[derive(Debug)]
pub struct Rotated {
    pub old_id: TokenId,
    pub successor: IssuedToken,
    pub old_valid_until: Timestamp,
}

/// Replaces a token with a successor: a new Token ID and secret, the same name, organization and
/// creator; the old secret keeps working for the grace period.
///
/// Who may: the token's creator in the dashboard, or the token itself through the API (when the policy
/// allows), never anyone else, since the successor's secret acts as the creator. Through the API the
/// successor never outlives the token's own fixed expiry (a leaked token can't renew itself); in the
/// dashboard its creator chooses a lifetime within the policy, by default the original's. A token
/// rotates once: a second rotation is refused and changes nothing.
pub async fn rotate(
    core: &Core,
    caller: &Caller,
    id: TokenId,
    grace: GracePeriod,
    days: Option<ExpiryDays>,
) -> Result<Rotated, Error> {
    caller.require(Action::RotateOwnToken)?;
    let (policy, _) = store::policies::get(core.db.pool(), caller.org_id()).await?;
    if let Via::Token(acting) = caller.via {
        if !policy.api_rotation {
            return Err(Error::forbidden(
                "Rotation through the API is off for this organization. Rotate the token in the dashboard, or ask \
                 an owner to allow API rotation under Settings \u{2192} Token policy.",
            ));
        }
        if acting.id != id {
            return Err(Error::forbidden(
                "Through the API a token rotates only itself: POST /api/v1/tokens/current/rotate with that \
                 token. Its creator can rotate it in the dashboard.",
            ));
        }
    }
    let asked = days.map(|d| lifetime(&policy, Some(d))).transpose()?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let old = store::tokens::state(&mut *tx, caller.org_id(), id)
        .await?
        .filter(|t| t.revoked_at.is_none() || t.replaced_by.is_some())
        .ok_or_else(token_not_found)?;
    if old.created_by != caller.user_id() {
        return Err(Error::forbidden(
            "Only a token's creator can rotate it: the new secret acts as its creator, so nobody else may see it. \
             You can delete it instead, and its creator is told.",
        ));
    }
    if old.replaced_by.is_some() {
        return Err(Error::conflict(
            "This token was already rotated. Nothing was changed; use its successor's secret (a rotation shows \
             it once).",
        ));
    }
    if now >= old.expires_at {
        return Err(Error::conflict("An expired token can't be rotated. Create a new token instead."));
    }
    let expires_at = match (caller.via, asked) {
        (Via::Token(_), Some(days)) => now.plus_days(days.days()).min(old.expires_at),
        (Via::Token(_), None) => old.expires_at,
        (Via::Dashboard, Some(days)) => now.plus_days(days.days()),
        (Via::Dashboard, None) => now.plus_days(original_lifetime(&policy, &old).days()),
    };
    let successor_id = TokenId::new_random();
    let secret = TokenSecret::generate(&core.settings.token_prefix);
    let verifier = secret.digest_hex(&core.key);
    store::tokens::insert(
        &mut *tx,
        store::tokens::NewToken {
            id: successor_id,
            family_id: old.family_id,
            org_id: caller.org_id(),
            created_by: old.created_by,
            name: old.name.as_deref(),
            secret_hash: &verifier,
            secret_lookup: &crate::secret::lookup_hex(&core.key, &verifier),
            now,
            expires_at,
            // The successor keeps every restriction: a rotation never loosens a token.
            restrictions: &old.restrictions(),
        },
    )
    .await?;
    let old_valid_until = now.plus_ms(grace.millis());
    if !store::tokens::mark_rotated(&mut tx, id, successor_id, old_valid_until).await? {
        // Another rotation of the same token committed first; this one rolls back.
        return Err(Error::conflict(
            "This token was already rotated by a request at the same moment. Nothing was changed; use the \
             successor that request returned.",
        ));
    }
    if grace == GracePeriod::None {
        store::tokens::revoke(&mut tx, caller.org_id(), id, Some(caller.user_id()), RevokeReason::Rotated, now).await?;
    }
    let recorder = Recorder::for_caller(caller, now);
    let lifetime_days = rotation_days(now, expires_at, ExpiryDays::MAX);
    recorder
        .record(
            &mut tx,
            EventType::TokenRotated,
            Subject::token(id, old.name.as_deref(), Some(old.created_by)),
            json!({
                "successor": successor_id,
                "grace_period": grace.as_str(),
                "old_secret_valid_until": old_valid_until.rfc3339(),
                "successor_expires_at": expires_at.rfc3339(),
            }),
        )
        .await?;
    // The successor's own history starts here (its audit filter finds it), and webhooks hear of a new token.
    recorder
        .record(
            &mut tx,
            EventType::TokenCreated,
            Subject::token(successor_id, old.name.as_deref(), Some(old.created_by)),
            json!({
                "expires_at": expires_at.rfc3339(),
                "lifetime_days": lifetime_days,
                "rotated_from": id,
                "restrictions": restrictions_json(&old.restrictions()),
            }),
        )
        .await?;
    if let Via::Token(_) = caller.via {
        // The creator did not press anything: their token rotated itself, perhaps in someone else's hands.
        let rotation = (id, old.name.as_deref(), successor_id, old_valid_until);
        notify::token_rotated_through_api(&mut tx, core, &recorder, &caller.member, rotation).await?;
    }
    tx.commit(core).await?;
    tracing::info!(token = %id, successor = %successor_id, org = %caller.org_id(), "API token rotated");
    Ok(Rotated {
        old_id: id,
        successor: IssuedToken { id: successor_id, name: old.name, created_at: now, expires_at, secret },
        old_valid_until,
    })
}

/// The lifetime a token was created with, within what the policy allows now: what a rotation in the
/// dashboard gives its successor unless the creator chooses otherwise.
fn original_lifetime(policy: &TokenPolicy, token: &store::tokens::TokenState) -> ExpiryDays {
    policy.rotation_lifetime(token.created_at, token.expires_at)
}

/// Revokes every live token of a family and records the exposure, in `tx`, and commits it.
pub(crate) async fn revoke_family(
    core: &Core,
    mut tx: crate::db::WriteTx,
    recorder: &Recorder<'_>,
    family: FamilyId,
    presented: TokenId,
    how: &str,
) -> Result<Vec<TokenId>, Error> {
    let revoked = store::tokens::revoke_family(
        &mut tx,
        family,
        FamilyScope::Unrevoked,
        None,
        RevokeReason::ReuseDetected,
        recorder.at,
    )
    .await?;
    let state = store::tokens::state(&mut *tx, recorder.org_id, presented).await?;
    let (name, creator) = state.map_or((None, None), |s| (s.name, Some(s.created_by)));
    recorder
        .record(
            &mut tx,
            EventType::TokenExposed,
            Subject::token(presented, name.as_deref(), creator),
            json!({"how": how, "family": family, "revoked": revoked.iter().map(|r| r.id).collect::<Vec<_>>()}),
        )
        .await?;
    for token in &revoked {
        recorder
            .record(
                &mut tx,
                EventType::TokenRevoked,
                Subject::token(token.id, token.name.as_deref(), Some(token.created_by)),
                json!({"reason": RevokeReason::ReuseDetected}),
            )
            .await?;
    }
    notify::family_revoked(&mut tx, core, recorder, (presented, name.as_deref(), creator), revoked.len(), how).await?;
    tx.commit(core).await?;
    tracing::warn!(family = %family, token = %presented, how, revoked = revoked.len(), "token family revoked: reuse detected");
    Ok(revoked.iter().map(|r| r.id).collect())
}

/// Revokes, in `tx`, every live token of `creator` in the organization (all tokens when `None`), with
/// one audit event per token. With `tell`, each creator other than the one acting is emailed.
pub(crate) async fn revoke_all_in(
    core: &Core,
    tx: &mut crate::db::WriteTx,
    recorder: &Recorder<'_>,
    (org_id, org_name): (OrgId, &str),
    creator: Option<UserId>,
    reason: RevokeReason,
    tell: bool,
) -> Result<Vec<TokenId>, Error> {
    let by = match recorder.actor {
        super::audit::Actor::Member { user_id, .. } => Some(user_id),
        _ => None,
    };
    let revoked = store::tokens::revoke_all(tx, org_id, creator, by, reason, recorder.at).await?;
    for token in &revoked {
        recorder
            .record(
                tx,
                EventType::TokenRevoked,
                Subject::token(token.id, token.name.as_deref(), Some(token.created_by)),
                json!({"reason": reason}),
            )
            .await?;
    }
    if tell {
        let mut creators: Vec<UserId> = revoked.iter().map(|r| r.created_by).filter(|c| Some(*c) != by).collect();
        creators.sort_unstable_by_key(|c| c.0);
        creators.dedup();
        for person in creators {
            let count = revoked.iter().filter(|r| r.created_by == person).count();
            notify::member_tokens_revoked(tx, core, recorder, org_name, person, count, false).await?;
        }
    }
    Ok(revoked.iter().map(|r| r.id).collect())
}

/// Whose tokens an incident ends.
#[derive(Debug, Clone, Copy)]
pub enum Incident<'a> {
    /// Every token one member created in the organization.
    Member(UserId),
    /// Every token of the organization, confirmed by typing the organization's exact name.
    Organization { confirmation: &'a str },
}

/// Incident response: every token one member created in the organization stops working, on every
/// instance, before this returns.
pub async fn revoke_member_tokens(core: &Core, caller: &Caller, member: UserId) -> Result<Vec<TokenId>, Error> {
    caller.require(Action::RevokeMemberTokens)?;
    require_current(caller)?;
    let recorder = Recorder::for_caller(caller, core.clock.now());
    revoke_for_incident(core, &recorder, Incident::Member(member)).await
}

/// Incident response: every token of the organization stops working. The organization's name must be
/// typed to confirm.
pub async fn revoke_org_tokens(core: &Core, caller: &Caller, confirmation: &str) -> Result<Vec<TokenId>, Error> {
    caller.require(Action::RevokeAllTokens)?;
    require_current(caller)?;
    let recorder = Recorder::for_caller(caller, core.clock.now());
    revoke_for_incident(core, &recorder, Incident::Organization { confirmation }).await
}

/// Operator (CLI): the same actions without a member acting, through the same path: the same checks,
/// audit events and emails (queued in the outbox, sent by the running server).
pub async fn operator_revoke(core: &Core, org_id: OrgId, incident: Incident<'_>) -> Result<Vec<TokenId>, Error> {
    revoke_for_incident(core, &Recorder::operator(org_id, core.clock.now()), incident).await
}

/// The one path of both incident actions, whoever acts: checks, revocations, one audit event per token,
/// an email to each creator other than the one acting, all in one transaction.
async fn revoke_for_incident(
    core: &Core,
    recorder: &Recorder<'_>,
    incident: Incident<'_>,
) -> Result<Vec<TokenId>, Error> {
    let org_id = recorder.org_id;
    let mut tx = core.db.begin_write().await?;
    let org_name =
        store::orgs::name_of(&mut *tx, org_id).await?.ok_or_else(|| Error::not_found("That organization"))?;
    let (creator, reason) = match incident {
        Incident::Member(member) => {
            if store::orgs::role_of(&mut *tx, org_id, member).await?.is_none() {
                return Err(Error::not_found("That member"));
            }
            (Some(member), RevokeReason::MemberTokensRevoked)
        }
        Incident::Organization { confirmation } => {
            if confirmation.trim() != org_name {
                return Err(Error::invalid(
                    "confirm",
                    format!("Type the organization's name, {org_name}, to confirm."),
                ));
            }
            (None, RevokeReason::OrganizationTokensRevoked)
        }
    };
    let revoked = revoke_all_in(core, &mut tx, recorder, (org_id, &org_name), creator, reason, true).await?;
    tx.commit(core).await?;
    let by = match recorder.actor {
        super::audit::Actor::Member { user_id, .. } => user_id.to_string(),
        _ => "operator".to_owned(),
    };
    tracing::warn!(org = %org_id, member = ?creator, %by, revoked = revoked.len(), "tokens revoked (incident response)");
    Ok(revoked)
}

/// The policy sweep: tokens unused for longer than their organization allows are revoked, each with
/// its rotation family (a successor never used while its predecessor is, say, must not leave that
/// predecessor alive without anything to manage it).
pub async fn revoke_unused(core: &Core) -> Result<usize, Error> {
    let now = core.clock.now();
    let stale = store::tokens::unused_beyond_policy(core.db.pool(), now).await?;
    if stale.is_empty() {
        return Ok(0);
    }
    let mut tx = core.db.begin_write().await?;
    let mut revoked = 0;
    for (org_id, id) in &stale {
        let Some(state) = store::tokens::state(&mut *tx, *org_id, *id).await? else { continue };
        let recorder = Recorder::system(*org_id, now);
        for token in store::tokens::revoke_family(
            &mut tx,
            state.family_id,
            FamilyScope::Unrevoked,
            None,
            RevokeReason::Unused,
            now,
        )
        .await?
        {
            recorder
                .record(
                    &mut tx,
                    EventType::TokenRevoked,
                    Subject::token(token.id, token.name.as_deref(), Some(token.created_by)),
                    json!({"reason": RevokeReason::Unused}),
                )
                .await?;
            revoked += 1;
        }
    }
    tx.commit(core).await?;
    tracing::info!(revoked, "unused tokens revoked by policy");
    Ok(revoked)
}
