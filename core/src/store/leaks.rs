//! Leak response: tokens found by their lookup digest, the lookup digests of older tokens filled in, and
//! the reports that a token leaked (never the secret).

use super::Exec;
use crate::{
    domain::token::LeakIntake,
    ids::{FamilyId, OrgId, TokenId, UserId},
    time::Timestamp,
};

/// Tokens still without a lookup digest (created before it existed, or by an older instance), at most
/// `limit`: their ids and verifiers.
pub async fn missing_lookup<'c>(db: impl Exec<'c>, limit: i64) -> sqlx::Result<Vec<(TokenId, String)>> {
    sqlx::query_as("SELECT id, secret_hash FROM api_tokens WHERE secret_lookup IS NULL LIMIT $1")
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Fills one token's lookup digest, unless something already did.
pub async fn set_lookup<'c>(db: impl Exec<'c>, id: TokenId, lookup: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET secret_lookup = $1 WHERE id = $2 AND secret_lookup IS NULL")
        .bind(lookup)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A token found from its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Found {
    pub id: TokenId,
    pub secret_lookup: String,
    pub secret_hash: String,
    pub org_id: OrgId,
    pub family_id: FamilyId,
    pub name: Option<String>,
    pub created_by: UserId,
}

/// The most lookup digests [`find`] takes in one statement.
pub const FIND_BATCH: usize = 64;

/// The tokens whose lookup digest is one of `lookups` (at most [`FIND_BATCH`]), in no order. The
/// statement has [`FIND_BATCH`] parameters whatever the count (the list is padded with its first
/// element), so every lookup costs the same statement.
pub async fn find<'c>(db: impl Exec<'c>, lookups: &[String]) -> sqlx::Result<Vec<Found>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let params = (1..=FIND_BATCH).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        format!(
            "SELECT id, secret_lookup, secret_hash, org_id, family_id, name, created_by FROM api_tokens \
             WHERE secret_lookup IN ({params})"
        )
    });
    let Some(first) = lookups.first() else { return Ok(Vec::new()) };
    if lookups.len() > FIND_BATCH {
        return Err(sqlx::Error::Protocol(format!("at most {FIND_BATCH} lookups per statement")));
    }
    let mut query = sqlx::query_as(&SQL);
    for lookup in lookups.iter().chain(std::iter::repeat_n(first, FIND_BATCH - lookups.len())) {
        query = query.bind(lookup.as_str());
    }
    query.fetch_all(db).await
}

pub struct NewReport<'a> {
    pub token_id: TokenId,
    pub org_id: OrgId,
    pub intake: LeakIntake,
    pub url: Option<&'a str>,
    pub source: Option<&'a str>,
    pub at: Timestamp,
    pub by: Option<UserId>,
    pub revoked: bool,
}

pub async fn insert_report<'c>(db: impl Exec<'c>, r: NewReport<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO token_leak_reports (id, token_id, org_id, intake, url, source, reported_at, reported_by, revoked) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(r.token_id)
    .bind(r.org_id)
    .bind(r.intake)
    .bind(r.url)
    .bind(r.source)
    .bind(r.at)
    .bind(r.by)
    .bind(i64::from(r.revoked))
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the same report (token, intake and location) is already stored: a dead secret reported again
/// and again the same way adds no row.
pub async fn already_reported<'c>(
    db: impl Exec<'c>,
    token_id: TokenId,
    intake: LeakIntake,
    url: Option<&str>,
    source: Option<&str>,
) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM token_leak_reports WHERE token_id = $1 AND intake = $2 \
         AND url IS NOT DISTINCT FROM $3 AND source IS NOT DISTINCT FROM $4 LIMIT 1",
    )
    .bind(token_id)
    .bind(intake)
    .bind(url)
    .bind(source)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// A report as the token list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Report {
    pub token_id: TokenId,
    pub intake: LeakIntake,
    pub url: Option<String>,
    pub source: Option<String>,
    pub reported_at: Timestamp,
    pub revoked: i64,
}

/// A token's reports, newest first.
pub async fn reports<'c>(db: impl Exec<'c>, org_id: OrgId, token_id: TokenId) -> sqlx::Result<Vec<Report>> {
    sqlx::query_as(
        "SELECT token_id, intake, url, source, reported_at, revoked FROM token_leak_reports \
         WHERE org_id = $1 AND token_id = $2 ORDER BY reported_at DESC, id",
    )
    .bind(org_id)
    .bind(token_id)
    .fetch_all(db)
    .await
}
