//! Organization token policies. No row means the defaults.

use super::Exec;
use crate::{
    db::{Invalidation, WriteTx},
    domain::{
        policy::{ExpiryWarnings, TokenPolicy},
        token::ExpiryDays,
    },
    ids::{OrgId, UserId},
    sql_types::Flag,
    time::Timestamp,
};

#[derive(Debug, Clone, sqlx::FromRow)]
struct PolicyRow {
    max_lifetime_days: i64,
    default_lifetime_days: i64,
    revoke_unused_after_days: Option<i64>,
    api_rotation: Flag,
    updated_at: Timestamp,
    expiry_warning_days: String,
}

fn days(n: i64) -> ExpiryDays {
    // The table's CHECK constraints keep these in range; clamp anyway rather than fail a request.
    ExpiryDays::new(n.clamp(ExpiryDays::MIN, ExpiryDays::MAX)).unwrap_or(ExpiryDays::LONGEST)
}

/// The policy and when it last changed (`None`: never set, the defaults apply).
pub async fn get<'c>(db: impl Exec<'c>, org_id: OrgId) -> sqlx::Result<(TokenPolicy, Option<Timestamp>)> {
    let row: Option<PolicyRow> = sqlx::query_as(
        "SELECT max_lifetime_days, default_lifetime_days, revoke_unused_after_days, api_rotation, updated_at, \
                expiry_warning_days FROM org_policies WHERE org_id = $1",
    )
    .bind(org_id)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => (TokenPolicy::default(), None),
        Some(r) => (
            TokenPolicy {
                max_lifetime: days(r.max_lifetime_days),
                default_lifetime: days(r.default_lifetime_days),
                revoke_unused_after: r.revoke_unused_after_days.map(days),
                api_rotation: r.api_rotation.0,
                expiry_warnings: ExpiryWarnings::parse(&r.expiry_warning_days).unwrap_or_default(),
            },
            Some(r.updated_at),
        ),
    })
}

/// Tokens carry their organization's policy: every cached one is invalidated.
pub async fn set(
    tx: &mut WriteTx,
    org_id: OrgId,
    policy: &TokenPolicy,
    by: UserId,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO org_policies (org_id, max_lifetime_days, default_lifetime_days, revoke_unused_after_days, \
                                   api_rotation, updated_at, updated_by, expiry_warning_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (org_id) DO UPDATE SET max_lifetime_days = excluded.max_lifetime_days, \
             default_lifetime_days = excluded.default_lifetime_days, \
             revoke_unused_after_days = excluded.revoke_unused_after_days, \
             api_rotation = excluded.api_rotation, updated_at = excluded.updated_at, updated_by = excluded.updated_by, \
             expiry_warning_days = excluded.expiry_warning_days",
    )
    .bind(org_id)
    .bind(policy.max_lifetime.days())
    .bind(policy.default_lifetime.days())
    .bind(policy.revoke_unused_after.map(ExpiryDays::days))
    .bind(i64::from(policy.api_rotation))
    .bind(now)
    .bind(by)
    .bind(policy.expiry_warnings.to_string())
    .execute(&mut **tx)
    .await?;
    tx.invalidate(Invalidation::All);
    Ok(())
}

/// Every organization's expiry warnings that differ from the defaults.
pub async fn expiry_warnings<'c>(db: impl Exec<'c>) -> sqlx::Result<Vec<(OrgId, ExpiryWarnings)>> {
    let rows: Vec<(OrgId, String)> =
        sqlx::query_as("SELECT org_id, expiry_warning_days FROM org_policies").fetch_all(db).await?;
    Ok(rows.into_iter().map(|(org, raw)| (org, ExpiryWarnings::parse(&raw).unwrap_or_default())).collect())
}
