//! Which expiry warnings were sent: at most once per token and threshold, ever.

use super::Exec;
use crate::{
    ids::{OrgId, TokenId},
    sql_types::Flag,
    time::{DAY_MS, Timestamp},
    views::TokenEntry,
};

/// Notes a warning; false when it was already noted (by this or another instance).
pub async fn note<'c>(db: impl Exec<'c>, token: TokenId, threshold_days: u16, now: Timestamp) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO token_notices (token_id, threshold_days, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(token)
    .bind(i64::from(threshold_days))
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The thresholds noted for a token, for tests and the dashboard.
pub async fn of_token<'c>(db: impl Exec<'c>, token: TokenId) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT threshold_days FROM token_notices WHERE token_id = $1 ORDER BY threshold_days DESC")
        .bind(token)
        .fetch_all(db)
        .await
}

/// A token that has reached a warning threshold without its notice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    #[sqlx(flatten)]
    pub token: TokenEntry,
    pub org_id: OrgId,
    pub org_name: String,
    /// The organization's thresholds as stored (`30,7,1,0`).
    pub warning_days: String,
    pub creator_is_member: Flag,
}

/// Live tokens whose expiry is within `threshold_days` of `now` (for 0: already past it, by at most a
/// week), that lived longer than the threshold when created, and have no notice for it. Whether the
/// organization wants this threshold is for the caller to check (`warning_days`).
pub async fn due<'c>(db: impl Exec<'c>, threshold_days: u16, now: Timestamp, limit: i64) -> sqlx::Result<Vec<Due>> {
    let t = i64::from(threshold_days) * DAY_MS;
    let window = if threshold_days == 0 {
        "t.expires_at <= $1 AND t.expires_at > $1 - 604800000"
    } else {
        "t.expires_at > $1 AND t.expires_at - $2 <= $1"
    };
    let sql = format!(
        "SELECT t.id, t.name, t.created_by, u.email AS creator_email, t.created_at, t.expires_at, t.last_used_at, \
                t.last_used_ip, t.last_used_user_agent, t.revoked_at, t.revoked_reason, t.replaced_by, t.grace_until, \
                t.org_id, o.name AS org_name, COALESCE(p.expiry_warning_days, '30,7,1,0') AS warning_days, \
                EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = t.org_id AND m.user_id = t.created_by) AS creator_is_member \
         FROM api_tokens t JOIN users u ON u.id = t.created_by JOIN organizations o ON o.id = t.org_id \
         LEFT JOIN org_policies p ON p.org_id = t.org_id \
         WHERE t.revoked_at IS NULL AND t.replaced_by IS NULL AND {window} AND t.expires_at - t.created_at > $2 \
         AND NOT EXISTS (SELECT 1 FROM token_notices n WHERE n.token_id = t.id AND n.threshold_days = $3) \
         ORDER BY t.expires_at, t.id LIMIT $4"
    );
    sqlx::query_as(&sql).bind(now).bind(t).bind(i64::from(threshold_days)).bind(limit).fetch_all(db).await
}
