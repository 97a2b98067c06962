//! API tokens. The secret is never stored: only its HMAC under the server key.

use super::Exec;
use crate::{
    db::{Invalidation, WriteTx},
    domain::{
        org::Role,
        paging::Cursor,
        restriction::{IpAllowlist, RateLimit, Restrictions},
        token::RevokeReason,
    },
    ids::{FamilyId, OrgId, TokenId, UserId},
    time::{DAY_MS, Timestamp},
    views::TokenEntry,
};

pub struct NewToken<'a> {
    pub id: TokenId,
    pub family_id: FamilyId,
    pub org_id: OrgId,
    pub created_by: UserId,
    pub name: Option<&'a str>,
    pub secret_hash: &'a str,
    /// [`crate::secret::lookup_hex`] of `secret_hash`: how a leak report finds the token.
    pub secret_lookup: &'a str,
    pub now: Timestamp,
    pub expires_at: Timestamp,
    pub restrictions: &'a Restrictions,
}

pub async fn insert<'c>(db: impl Exec<'c>, t: NewToken<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, family_id, org_id, created_by, name, secret_hash, secret_lookup, created_at, \
         expires_at, ceiling, allowed_ips, rate_limit_per_minute) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(t.id)
    .bind(t.family_id)
    .bind(t.org_id)
    .bind(t.created_by)
    .bind(t.name)
    .bind(t.secret_hash)
    .bind(t.secret_lookup)
    .bind(t.now)
    .bind(t.expires_at)
    .bind(t.restrictions.ceiling)
    .bind(t.restrictions.allowed_ips.as_ref())
    .bind(t.restrictions.rate_limit)
    .execute(db)
    .await?;
    Ok(())
}

/// Everything verification needs about a token, in one statement: the token, its creator's current
/// membership, and the organization's policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthRow {
    pub id: TokenId,
    pub secret_hash: String,
    pub name: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub revoked_reason: Option<RevokeReason>,
    pub grace_until: Option<Timestamp>,
    pub family_id: FamilyId,
    pub created_by: UserId,
    pub org_id: OrgId,
    pub org_name: String,
    pub email: String,
    /// The creator's role now; `None` when they are no longer a member.
    pub role: Option<Role>,
    pub max_lifetime_days: Option<i64>,
    pub revoke_unused_after_days: Option<i64>,
    pub policy_changed_at: Option<Timestamp>,
    pub expiry_recorded_at: Option<Timestamp>,
    pub policy_refusal_recorded_at: Option<Timestamp>,
    pub ceiling: Option<Role>,
    pub allowed_ips: Option<IpAllowlist>,
    pub rate_limit_per_minute: Option<RateLimit>,
}

const AUTH_SELECT: &str = "SELECT t.id, t.secret_hash, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, \
            t.revoked_reason, t.grace_until, t.family_id, t.created_by, t.org_id, o.name AS org_name, u.email, m.role, \
            p.max_lifetime_days, p.revoke_unused_after_days, p.updated_at AS policy_changed_at, \
            t.expiry_recorded_at, t.policy_refusal_recorded_at, t.ceiling, t.allowed_ips, t.rate_limit_per_minute \
     FROM api_tokens t \
     JOIN organizations o ON o.id = t.org_id \
     JOIN users u ON u.id = t.created_by \
     LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.created_by \
     LEFT JOIN org_policies p ON p.org_id = t.org_id";

/// The most tokens [`for_auth_many`] reads in one statement.
pub const AUTH_BATCH: usize = 32;

/// One statement per batch size 1, 2, 4 ... [`AUTH_BATCH`] (a batch is padded up to the next), so a
/// handful of prepared statements serve every batch.
static AUTH_STATEMENTS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    std::iter::successors(Some(1usize), |n| (*n < AUTH_BATCH).then_some(n * 2))
        .map(|n| {
            let params = (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            format!("{AUTH_SELECT} WHERE t.id IN ({params})")
        })
        .collect()
});

pub async fn for_auth<'c>(db: impl Exec<'c>, id: TokenId) -> sqlx::Result<Option<AuthRow>> {
    Ok(for_auth_many(db, &[id]).await?.pop())
}

/// [`for_auth`] for up to [`AUTH_BATCH`] tokens in one statement: the rows found, in no order.
pub async fn for_auth_many<'c>(db: impl Exec<'c>, ids: &[TokenId]) -> sqlx::Result<Vec<AuthRow>> {
    let Some(&last) = ids.last() else { return Ok(Vec::new()) };
    if ids.len() > AUTH_BATCH {
        return Err(sqlx::Error::Protocol(format!("at most {AUTH_BATCH} tokens per statement, not {}", ids.len())));
    }
    let shape = ids.len().next_power_of_two();
    let mut query = sqlx::query_as(&AUTH_STATEMENTS[shape.trailing_zeros() as usize]);
    for &id in ids.iter().chain(std::iter::repeat_n(&last, shape - ids.len())) {
        query = query.bind(id);
    }
    query.fetch_all(db).await
}

const ENTRY_COLUMNS: &str = "t.id, t.name, t.created_by, u.email AS creator_email, t.created_at, t.expires_at, \
     t.last_used_at, t.last_used_ip, t.last_used_user_agent, t.revoked_at, t.revoked_reason, t.replaced_by, t.grace_until, \
     t.ceiling, t.allowed_ips, t.rate_limit_per_minute";

/// The leak report a listed token shows (the one that revoked it, else the latest), joined by
/// [`EXPOSURE_JOIN`].
const EXPOSURE_COLUMNS: &str =
    "r.reported_at AS exposed_at, r.intake AS exposed_via, r.url AS exposed_url, r.source AS exposed_source";
const EXPOSURE_JOIN: &str = "LEFT JOIN token_leak_reports r ON r.id = (SELECT r2.id FROM token_leak_reports r2 \
     WHERE r2.token_id = t.id ORDER BY r2.revoked DESC, r2.reported_at DESC, r2.id LIMIT 1)";

/// Which of an organization's tokens to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Not revoked, not expired, and (if rotated) still in its grace period.
    Active,
    /// Past their expiry, never revoked.
    Expired,
    /// Revoked (deleted, rotated away, ...), newest first by creation.
    Revoked,
}

/// A page of tokens, newest first: `limit + 1` rows, so the caller can tell whether more follow.
pub async fn page<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    listing: Listing,
    after: Option<Cursor<TokenId>>,
    limit: usize,
    now: Timestamp,
) -> sqlx::Result<Vec<TokenEntry>> {
    let filter = match listing {
        Listing::Active => {
            "t.revoked_at IS NULL AND t.expires_at > $2 AND (t.grace_until IS NULL OR t.grace_until > $2)"
        }
        Listing::Expired => "t.revoked_at IS NULL AND t.expires_at <= $2",
        Listing::Revoked => "(t.revoked_at IS NOT NULL OR (t.grace_until IS NOT NULL AND t.grace_until <= $2))",
    };
    let keyset = if after.is_some() { "AND (t.created_at < $3 OR (t.created_at = $3 AND t.id < $4))" } else { "" };
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, {EXPOSURE_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by \
         {EXPOSURE_JOIN} WHERE t.org_id = $1 AND {filter} {keyset} ORDER BY t.created_at DESC, t.id DESC LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query_as(&sql).bind(org_id).bind(now);
    if let Some(cursor) = after {
        query = query.bind(cursor.at).bind(cursor.id);
    }
    query.fetch_all(db).await
}

/// One token of an organization (whatever its state).
pub async fn get<'c>(db: impl Exec<'c>, org_id: OrgId, id: TokenId) -> sqlx::Result<Option<TokenEntry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, {EXPOSURE_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by \
         {EXPOSURE_JOIN} WHERE t.org_id = $1 AND t.id = $2"
    );
    sqlx::query_as(&sql).bind(org_id).bind(id).fetch_optional(db).await
}

/// What deleting or rotating needs to decide.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenState {
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub name: Option<String>,
    pub family_id: FamilyId,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub replaced_by: Option<TokenId>,
    pub grace_until: Option<Timestamp>,
    pub ceiling: Option<Role>,
    pub allowed_ips: Option<IpAllowlist>,
    pub rate_limit_per_minute: Option<RateLimit>,
}

impl TokenState {
    /// What a rotation's successor keeps.
    pub fn restrictions(&self) -> Restrictions {
        Restrictions {
            ceiling: self.ceiling,
            allowed_ips: self.allowed_ips.clone(),
            rate_limit: self.rate_limit_per_minute,
        }
    }
}

pub async fn state<'c>(db: impl Exec<'c>, org_id: OrgId, id: TokenId) -> sqlx::Result<Option<TokenState>> {
    sqlx::query_as(
        "SELECT created_by, created_at, name, family_id, expires_at, revoked_at, replaced_by, grace_until, ceiling, \
         allowed_ips, rate_limit_per_minute FROM api_tokens \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Revokes one token; returns whether it was live (not already revoked).
pub async fn revoke(
    tx: &mut WriteTx,
    org_id: OrgId,
    id: TokenId,
    by: Option<UserId>,
    reason: RevokeReason,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2, revoked_reason = $3 \
         WHERE org_id = $4 AND id = $5 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(reason)
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    tx.invalidate(Invalidation::Token(id));
    Ok(done.rows_affected() == 1)
}

/// A revoked token, for the audit trail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevokedToken {
    pub id: TokenId,
    pub name: Option<String>,
    pub created_by: UserId,
}

/// Revokes every live token `created_by` made in the organization (all of them when `None`), including
/// rotated-away secrets still in their grace period, and successors a concurrent rotation adds.
pub async fn revoke_all(
    tx: &mut WriteTx,
    org_id: OrgId,
    created_by: Option<UserId>,
    by: Option<UserId>,
    reason: RevokeReason,
    now: Timestamp,
) -> sqlx::Result<Vec<RevokedToken>> {
    let creator = if created_by.is_some() { "AND created_by = $5" } else { "" };
    let sql = format!(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2, revoked_reason = $3 \
         WHERE org_id = $4 {creator} AND revoked_at IS NULL RETURNING id, name, created_by"
    );
    let mut all = Vec::new();
    // Until nothing is left: see `revoke_family`.
    loop {
        let mut query = sqlx::query_as(&sql).bind(now).bind(by).bind(reason).bind(org_id);
        if let Some(creator) = created_by {
            query = query.bind(creator);
        }
        let found: Vec<RevokedToken> = query.fetch_all(&mut **tx).await?;
        if found.is_empty() {
            tx.invalidate(Invalidation::All);
            return Ok(all);
        }
        all.extend(found);
    }
}

/// Which tokens of a family a revocation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyScope {
    /// Every token not revoked yet (a delete, reuse detected, unused).
    Unrevoked,
    /// Only those still working at `now`: not expired, not past a grace period (a leak report). Tokens
    /// that no longer work keep their state: an expired token stays expired.
    Working,
}

/// Revokes the tokens of a family in `scope`, successors a concurrent rotation adds included.
///
/// The statement runs until it finds nothing left. On PostgreSQL (READ COMMITTED) one statement waits
/// for a rotation that holds a token's row and then sees that row only, not the successor the rotation
/// inserted: a token rotating in a loop would outlive its revocation. Each further statement sees what
/// committed before it, and a rotation still waiting on a row revoked here fails once this transaction
/// commits (its successor goes with it), so the loop ends with the whole family revoked. On SQLite,
/// whose writers take turns, the second statement always finds nothing.
pub async fn revoke_family(
    tx: &mut WriteTx,
    family_id: FamilyId,
    scope: FamilyScope,
    by: Option<UserId>,
    reason: RevokeReason,
    now: Timestamp,
) -> sqlx::Result<Vec<RevokedToken>> {
    let sql = match scope {
        FamilyScope::Unrevoked => {
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2, revoked_reason = $3 \
             WHERE family_id = $4 AND revoked_at IS NULL RETURNING id, name, created_by"
        }
        FamilyScope::Working => {
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2, revoked_reason = $3 \
             WHERE family_id = $4 AND revoked_at IS NULL AND expires_at > $1 \
             AND (grace_until IS NULL OR grace_until > $1) RETURNING id, name, created_by"
        }
    };
    let mut all = Vec::new();
    loop {
        let found: Vec<RevokedToken> =
            sqlx::query_as(sql).bind(now).bind(by).bind(reason).bind(family_id).fetch_all(&mut **tx).await?;
        if found.is_empty() {
            return Ok(all);
        }
        for token in &found {
            tx.invalidate(Invalidation::Token(token.id));
        }
        all.extend(found);
    }
}

/// Claims the report of a rotated-away secret's use: the token ends up revoked as `reuse_detected`.
/// True for the one request that changed it (live past its grace, or revoked by a rotation without
/// grace); false when another request already reported it.
pub async fn claim_reuse(tx: &mut WriteTx, id: TokenId, now: Timestamp) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1), revoked_reason = $2 \
         WHERE id = $3 AND replaced_by IS NOT NULL AND (revoked_at IS NULL OR revoked_reason = $4)",
    )
    .bind(now)
    .bind(RevokeReason::ReuseDetected)
    .bind(id)
    .bind(RevokeReason::Rotated)
    .execute(&mut **tx)
    .await?;
    tx.invalidate(Invalidation::Token(id));
    Ok(done.rows_affected() == 1)
}

/// Marks a token as replaced by `successor`; its secret keeps working until `grace_until`. Returns
/// whether it was still live and not yet rotated (a second rotation must fail: it means two holders).
pub async fn mark_rotated(
    tx: &mut WriteTx,
    id: TokenId,
    successor: TokenId,
    grace_until: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET replaced_by = $1, grace_until = $2 \
         WHERE id = $3 AND revoked_at IS NULL AND replaced_by IS NULL",
    )
    .bind(successor)
    .bind(grace_until)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    tx.invalidate(Invalidation::Token(id));
    Ok(done.rows_affected() == 1)
}

pub async fn record_use<'c>(
    db: impl Exec<'c>,
    id: TokenId,
    at: Timestamp,
    ip: &str,
    user_agent: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1, last_used_ip = $2, last_used_user_agent = $3 WHERE id = $4")
        .bind(at)
        .bind(ip)
        .bind(user_agent)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes that the first refusal for expiry was recorded; false when it already was.
pub async fn note_expiry_recorded<'c>(db: impl Exec<'c>, id: TokenId, now: Timestamp) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE api_tokens SET expiry_recorded_at = $1 WHERE id = $2 AND expiry_recorded_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes that a refusal under the current policy was recorded; false when one already was since the
/// policy last changed.
pub async fn note_policy_refusal_recorded<'c>(
    db: impl Exec<'c>,
    id: TokenId,
    policy_changed_at: Timestamp,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET policy_refusal_recorded_at = $1 \
         WHERE id = $2 AND (policy_refusal_recorded_at IS NULL OR policy_refusal_recorded_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(policy_changed_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Live tokens (at `now`) whose expiry lies beyond what a maximum lifetime of `max_days`, in force since
/// `since`, allows: a token may live `max_days` from its creation or from `since`, whichever is later.
pub async fn count_over_lifetime<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    max_days: i64,
    since: Timestamp,
    now: Timestamp,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         AND (grace_until IS NULL OR grace_until > $2) \
         AND expires_at > (CASE WHEN created_at > $3 THEN created_at ELSE $3 END) + $4",
    )
    .bind(org_id)
    .bind(now)
    .bind(since)
    .bind(max_days * DAY_MS)
    .fetch_one(db)
    .await
}

/// Live tokens expiring before `until`, soonest first.
pub async fn expiring<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<TokenEntry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by \
         WHERE t.org_id = $1 AND t.revoked_at IS NULL AND t.replaced_by IS NULL AND t.expires_at > $2 AND t.expires_at <= $3 \
         ORDER BY t.expires_at, t.id LIMIT $4"
    );
    sqlx::query_as(&sql).bind(org_id).bind(now).bind(until).bind(limit).fetch_all(db).await
}

/// Live tokens unused (since their last use, or creation) for longer than their organization allows.
pub async fn unused_beyond_policy<'c>(db: impl Exec<'c>, now: Timestamp) -> sqlx::Result<Vec<(OrgId, TokenId)>> {
    sqlx::query_as(
        "SELECT t.org_id, t.id FROM api_tokens t JOIN org_policies p ON p.org_id = t.org_id \
         WHERE p.revoke_unused_after_days IS NOT NULL AND t.revoked_at IS NULL AND t.expires_at > $1 \
         AND COALESCE(t.last_used_at, t.created_at) + p.revoke_unused_after_days * 86400000 <= $1",
    )
    .bind(now)
    .fetch_all(db)
    .await
}

/// Notes that a request from outside the token's allowlist was recorded; false when one already was in
/// the last minute (on any instance).
pub async fn note_ip_refusal_recorded<'c>(db: impl Exec<'c>, id: TokenId, now: Timestamp) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET ip_refusal_recorded_at = $1 \
         WHERE id = $2 AND (ip_refusal_recorded_at IS NULL OR ip_refusal_recorded_at <= $3)",
    )
    .bind(now)
    .bind(id)
    .bind(Timestamp(now.millis() - 60_000))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes up to `want` requests of a token's minute starting at `window_start` for this instance,
/// never handing out more than `limit` in all: how many it got (0 when the minute is used up), and how
/// many all instances have taken so far.
/// One statement; its row is the only thing instances share about rate limits.
pub async fn claim_rate_lease<'c>(
    db: impl Exec<'c>,
    id: TokenId,
    window_start: Timestamp,
    want: i64,
    limit: i64,
) -> sqlx::Result<(i64, i64)> {
    let claimed: Option<i64> = sqlx::query_scalar(
        "INSERT INTO token_rate_windows (token_id, window_start, claimed) VALUES ($1, $2, $3) \
         ON CONFLICT (token_id, window_start) DO UPDATE SET claimed = token_rate_windows.claimed + $3 \
         WHERE token_rate_windows.claimed < $4 RETURNING claimed",
    )
    .bind(id)
    .bind(window_start)
    .bind(want)
    .bind(limit)
    .fetch_optional(db)
    .await?;
    // `claimed` is the total after this claim; before it, `claimed - want` (< limit).
    Ok(match claimed {
        Some(total) => (want.min(limit - (total - want)).max(0), total.min(limit)),
        None => (0, limit),
    })
}

/// Forgets rate-limit windows that ended before `before`.
pub async fn delete_rate_windows_before<'c>(db: impl Exec<'c>, before: Timestamp) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM token_rate_windows WHERE window_start < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}
