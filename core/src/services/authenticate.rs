//! Authenticating an API request by its token: the hot path of every `/api/v1` call.
//!
//! Shape and checksum are checked first, touching nothing. Then the token is found (in the in-process
//! cache, or with one database statement that also reads the creator's current membership and the
//! organization's policy), its secret compared in constant time with the stored HMAC, and its state
//! checked. No argon2 anywhere on this path, and a successful request writes nothing but (at most once a
//! minute, off the request's path) its last use.
//!
//! Refusals that mean something for the audit trail are recorded once per token: the first refusal for
//! expiry, the first under a lowered policy, and a rotated-away secret used after its grace period
//! (which revokes the token's whole family).

use super::{
    audit::Recorder,
    tokens::{exceeds_policy, revoke_family},
};
use crate::{
    context::Core,
    domain::{
        audit::EventType,
        policy::TokenPolicy,
        restriction::Restrictions,
        token::{ExpiryDays, RevokeReason},
    },
    error::Error,
    identity::{Member, Origin},
    ids::TokenId,
    secret::PresentedSecret,
    services::audit::Subject,
    store::{self, tokens::AuthRow},
    time::Timestamp,
    verify::{
        ApiIdentity, AuthFailure, Known,
        rate::{Count, RateState},
    },
};
use serde_json::json;
use std::sync::{Arc, atomic::Ordering};

/// Checks the two header values and returns who is calling.
pub async fn authenticate(
    core: &Core,
    id: Option<&str>,
    secret: Option<&str>,
    origin: &Origin,
) -> Result<ApiIdentity, AuthFailure> {
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(AuthFailure::Missing);
    };
    let token_id: TokenId = id.parse().map_err(|_| AuthFailure::MalformedId)?;
    let secret =
        PresentedSecret::parse(&core.settings.token_prefix, secret.trim()).map_err(AuthFailure::MalformedSecret)?;
    let now = core.clock.now();

    let cache = core.verifier.cache();
    let known = match cache.and_then(|c| c.get(token_id, now)) {
        Some(hit) => hit,
        None => {
            let ticket = cache.map(|c| c.ticket());
            let row = core.verifier.lookups.find(&core.db, token_id).await.map_err(|_| AuthFailure::Unavailable)?;
            let known = Arc::new(known_from(row.ok_or(AuthFailure::UnknownId)?)?);
            if let (Some(cache), Some(ticket)) = (cache, ticket)
                && known.cacheable()
            {
                cache.insert(ticket, token_id, now, known.clone());
            }
            known
        }
    };

    if !secret.matches(&core.key, &known.digest) {
        return Err(AuthFailure::WrongSecret);
    }
    // A rotated-away secret presented after its grace period (none counts) means a second holder:
    // detected whatever the grace, and before "revoked", which a rotation without grace also sets.
    let rotated_away = known.rotated_away || (!known.revoked && known.grace_until.is_some_and(|until| now >= until));
    if rotated_away {
        if let Some(member) = &known.member {
            reuse_detected(core, member, token_id, &known, origin, now).await;
        }
        return Err(AuthFailure::RotatedAway);
    }
    if known.revoked {
        return Err(AuthFailure::Revoked);
    }
    let member = known.member.clone().ok_or(AuthFailure::NotMember)?;
    if now >= known.expires_at {
        if !known.expiry_recorded.swap(true, Ordering::SeqCst) {
            record_refusal(core, &member, token_id, &known, origin, now, Refusal::Expired).await;
        }
        return Err(AuthFailure::Expired);
    }
    if let Some((max_days, changed_at)) = known.max_lifetime {
        let policy = TokenPolicy {
            max_lifetime: ExpiryDays::new(max_days).unwrap_or(ExpiryDays::LONGEST),
            ..TokenPolicy::default()
        };
        if exceeds_policy(&policy, Some(changed_at), known.created_at, known.expires_at) {
            if !known.policy_refusal_recorded.swap(true, Ordering::SeqCst) {
                record_refusal(core, &member, token_id, &known, origin, now, Refusal::Policy(changed_at)).await;
            }
            return Err(AuthFailure::OverPolicy);
        }
    }
    let mut rate = None;
    if let Some(restrictions) = &known.restrictions {
        // Allocation-free checks on what was parsed when the token was read.
        if let Some(allowed) = &restrictions.allowed_ips
            && !origin.ip.is_some_and(|ip| allowed.allows(ip))
        {
            if core.verifier.allowlist_refusals.first_in_minute(token_id, now) {
                record_refusal(core, &member, token_id, &known, origin, now, Refusal::Address).await;
            }
            return Err(AuthFailure::AddressNotAllowed);
        }
        if let Some(limit) = restrictions.rate_limit {
            rate = Some(count_request(core, token_id, limit.per_minute(), now).await?);
        }
    }
    if let Some(ip) = origin.ip {
        core.verifier.usage.note(token_id, now, ip, origin.user_agent.as_deref());
    }
    Ok(ApiIdentity {
        token_id,
        family_id: known.family_id,
        token_name: known.name.clone(),
        expires_at: known.expires_at,
        expires_rfc3339: known.expires_rfc3339.clone(),
        member,
        replaced: known.grace_until.is_some(),
        restrictions: known.restrictions.clone(),
        rate,
    })
}

/// Counts a request against its token's rate limit: in memory, and with several instances a lease
/// from the database whenever this instance's share of the minute is used up (see [`crate::verify::rate`]).
async fn count_request(core: &Core, token_id: TokenId, limit: u32, now: Timestamp) -> Result<RateState, AuthFailure> {
    let rates = &core.verifier.rates;
    let mut claiming = None;
    // With the claim lock held, a lease just taken is counted from before anyone else can take it.
    for _ in 0..4 {
        match rates.count(token_id, limit, now) {
            Count::Allowed(state) => return Ok(state),
            Count::Limited { retry_after } => return Err(AuthFailure::OverRateLimit { limit, retry_after }),
            Count::NeedLease { .. } if claiming.is_none() => {
                // Wait for a claim in flight, then count again: it may have brought enough.
                claiming = Some(rates.claiming.lock().await);
            }
            Count::NeedLease { window, want } => {
                let (granted, everywhere) = store::tokens::claim_rate_lease(
                    core.db.pool(),
                    token_id,
                    Timestamp(window),
                    i64::from(want),
                    i64::from(limit),
                )
                .await
                .map_err(|e| {
                    tracing::warn!(token = %token_id, error = %e, "could not lease a token's rate limit");
                    AuthFailure::Unavailable
                })?;
                rates.add_lease(token_id, window, granted as u32, everywhere as u32);
            }
        }
    }
    let retry_after = 1;
    Err(AuthFailure::OverRateLimit { limit, retry_after })
}

fn known_from(row: AuthRow) -> Result<Known, AuthFailure> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(&row.secret_hash, &mut digest).map_err(|_| {
        tracing::error!("a stored token hash is not 64 hex characters");
        AuthFailure::Unavailable
    })?;
    let restrictions =
        Restrictions { ceiling: row.ceiling, allowed_ips: row.allowed_ips, rate_limit: row.rate_limit_per_minute };
    // The ceiling caps the creator's current role, once per read: the request path sees the capped role.
    let member = row.role.map(|role| {
        let role = restrictions.effective_role(role);
        Arc::new(Member { user_id: row.created_by, email: row.email, org_id: row.org_id, org_name: row.org_name, role })
    });
    let restrictions = (!restrictions.is_none()).then(|| Arc::new(restrictions));
    Ok(Known {
        digest,
        name: row.name.map(Arc::from),
        family_id: row.family_id,
        created_at: row.created_at,
        expires_at: row.expires_at,
        expires_rfc3339: Arc::from(row.expires_at.rfc3339()),
        revoked: row.revoked_at.is_some(),
        rotated_away: row.revoked_reason == Some(RevokeReason::Rotated),
        grace_until: row.grace_until,
        member,
        max_lifetime: row.max_lifetime_days.zip(row.policy_changed_at),
        expiry_recorded: row.expiry_recorded_at.is_some().into(),
        policy_refusal_recorded: row
            .policy_refusal_recorded_at
            .is_some_and(|at| Some(at) >= row.policy_changed_at)
            .into(),
        restrictions,
    })
}

enum Refusal {
    Expired,
    Policy(Timestamp),
    /// A request from outside the token's allowlist (at most one event a minute per token).
    Address,
}

/// The first refusal of its kind for a token goes into the audit trail (once, even across instances:
/// the token row remembers it). A failure to record is logged; the request is refused either way.
async fn record_refusal(
    core: &Core,
    member: &Member,
    id: TokenId,
    known: &Known,
    origin: &Origin,
    now: Timestamp,
    refusal: Refusal,
) {
    let recorded = async {
        let mut tx = core.db.begin_write().await?;
        let first = match refusal {
            Refusal::Expired => store::tokens::note_expiry_recorded(&mut *tx, id, now).await?,
            Refusal::Policy(changed_at) => {
                store::tokens::note_policy_refusal_recorded(&mut *tx, id, changed_at, now).await?
            }
            Refusal::Address => store::tokens::note_ip_refusal_recorded(&mut *tx, id, now).await?,
        };
        if first {
            let (event, detail) = match refusal {
                Refusal::Expired => (EventType::TokenExpired, json!({"expired_at": known.expires_at.rfc3339()})),
                Refusal::Policy(_) => (
                    EventType::TokenRefusedByPolicy,
                    json!({"expires_at": known.expires_at.rfc3339(), "max_lifetime_days": known.max_lifetime.map(|m| m.0)}),
                ),
                Refusal::Address => (
                    EventType::TokenRefusedByAllowlist,
                    json!({
                        "client_ip": origin.ip.map(|ip| ip.to_string()),
                        "allowed_ips": known.restrictions.as_ref().and_then(|r| r.allowed_ips.as_ref()).map(|a| a.to_string()),
                        "note": "at most one such event a minute per token",
                    }),
                ),
            };
            let recorder = Recorder { org_id: member.org_id, actor: super::audit::Actor::System, origin, at: now };
            recorder
                .record(&mut tx, event, Subject::token(id, known.name.as_deref(), Some(member.user_id)), detail)
                .await?;
        }
        tx.commit(core).await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = recorded.await {
        tracing::warn!(token = %id, error = ?e, "could not record a token refusal in the audit trail");
    }
}

/// A secret that was rotated away was presented after its grace period (or at all, when rotated without
/// one): one of its two holders is not legitimate, so the whole family is revoked, once.
async fn reuse_detected(core: &Core, member: &Member, id: TokenId, known: &Known, origin: &Origin, now: Timestamp) {
    let revoked = async {
        let mut tx = core.db.begin_write().await?;
        if !store::tokens::claim_reuse(&mut tx, id, now).await? {
            return Ok(Vec::new()); // another request (or instance) reported this use already
        }
        let recorder = Recorder { org_id: member.org_id, actor: super::audit::Actor::System, origin, at: now };
        revoke_family(core, tx, &recorder, known.family_id, id, "rotated-away secret used after its grace period").await
    };
    if let Err(e) = revoked.await {
        tracing::warn!(token = %id, error = ?e, "could not revoke a token family after reuse");
    }
}
