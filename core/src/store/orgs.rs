//! Organizations and memberships.

use super::Exec;
use crate::{
    db::{Invalidation, WriteTx},
    domain::org::Role,
    ids::{OrgId, UserId},
    time::Timestamp,
    views::{MemberEntry, OrgSummary},
};

pub async fn insert<'c>(db: impl Exec<'c>, id: OrgId, name: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Serialises membership changes per organization: on PostgreSQL this row lock makes two owners who
/// demote each other at the same moment take turns (SQLite's `BEGIN IMMEDIATE` already does). Returns
/// whether the organization exists.
pub async fn lock<'c>(db: impl Exec<'c>, id: OrgId) -> sqlx::Result<bool> {
    let locked = sqlx::query("UPDATE organizations SET name = name WHERE id = $1").bind(id).execute(db).await?;
    Ok(locked.rows_affected() == 1)
}

pub async fn name_of<'c>(db: impl Exec<'c>, id: OrgId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1").bind(id).fetch_optional(db).await
}

/// Organizations whose id or exact name is `id_or_name` (for the CLI).
pub async fn find_by_id_or_name<'c>(db: impl Exec<'c>, id_or_name: &str) -> sqlx::Result<Vec<OrgId>> {
    match id_or_name.parse::<OrgId>() {
        Ok(id) => sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1").bind(id).fetch_all(db).await,
        Err(_) => {
            sqlx::query_scalar("SELECT id FROM organizations WHERE name = $1").bind(id_or_name).fetch_all(db).await
        }
    }
}

/// Every organization a person belongs to, by name.
pub async fn of_user<'c>(db: impl Exec<'c>, user_id: UserId) -> sqlx::Result<Vec<OrgSummary>> {
    sqlx::query_as(
        "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id \
         WHERE m.user_id = $1 ORDER BY o.name, o.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub async fn role_of<'c>(db: impl Exec<'c>, org_id: OrgId, user_id: UserId) -> sqlx::Result<Option<Role>> {
    sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// The membership with the names a member view needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub email: String,
    pub org_name: String,
    pub role: Role,
}

pub async fn membership<'c>(db: impl Exec<'c>, org_id: OrgId, user_id: UserId) -> sqlx::Result<Option<MembershipRow>> {
    sqlx::query_as(
        "SELECT u.email, o.name AS org_name, m.role FROM memberships m \
         JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id \
         WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Fails with a unique violation when the person is already a member.
pub async fn insert_membership<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    user_id: UserId,
    role: Role,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(org_id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Tokens carry their creator's role: every cached one is invalidated.
pub async fn set_role(tx: &mut WriteTx, org_id: OrgId, user_id: UserId, role: Role) -> sqlx::Result<()> {
    sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role)
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    tx.invalidate(Invalidation::All);
    Ok(())
}

/// Tokens carry their creator's membership: every cached one is invalidated.
pub async fn delete_membership(tx: &mut WriteTx, org_id: OrgId, user_id: UserId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    tx.invalidate(Invalidation::All);
    Ok(())
}

pub async fn count_owners<'c>(db: impl Exec<'c>, org_id: OrgId) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id)
        .fetch_one(db)
        .await
}

/// Members of an organization, most powerful first, with how many active tokens each has there.
pub async fn members<'c>(db: impl Exec<'c>, org_id: OrgId, now: Timestamp) -> sqlx::Result<Vec<MemberEntry>> {
    sqlx::query_as(
        "SELECT u.id AS user_id, u.email, m.role, m.created_at AS joined_at, \
                (SELECT COUNT(*) FROM api_tokens t WHERE t.org_id = m.org_id AND t.created_by = m.user_id \
                    AND t.revoked_at IS NULL AND t.expires_at > $2) AS active_tokens \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 \
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, u.email",
    )
    .bind(org_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Emails of the organization's members with at least `role` (who to tell when something happens).
pub async fn emails_with_role<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    at_least: Role,
) -> sqlx::Result<Vec<(UserId, String)>> {
    let roles: &[&str] = match at_least {
        Role::Owner => &["owner"],
        Role::Admin => &["owner", "admin"],
        Role::Member => &["owner", "admin", "member"],
        Role::Viewer => &["owner", "admin", "member", "viewer"],
    };
    let list = roles.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(", ");
    // `list` is built from the fixed role names above, never from input.
    sqlx::query_as(&format!(
        "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.role IN ({list}) ORDER BY u.email"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await
}
