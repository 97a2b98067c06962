//! Invitations to join an organization. Only the SHA-256 of the code in the link is stored.

use super::Exec;
use crate::{
    domain::{account::Email, org::Role},
    ids::{InvitationId, OrgId, UserId},
    time::Timestamp,
    views::InvitationEntry,
};

pub struct NewInvitation<'a> {
    pub id: InvitationId,
    pub code_hash: &'a str,
    pub org_id: OrgId,
    pub email: &'a Email,
    pub role: Role,
    pub invited_by: UserId,
    pub inviter_role: Role,
    pub now: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert<'c>(db: impl Exec<'c>, i: NewInvitation<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO org_invitations (id, code_hash, org_id, email, role, invited_by, inviter_role, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(i.id)
    .bind(i.code_hash)
    .bind(i.org_id)
    .bind(i.email.as_str())
    .bind(i.role)
    .bind(i.invited_by)
    .bind(i.inviter_role)
    .bind(i.now)
    .bind(i.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A live invitation as its link shows it, with what acceptance must re-check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: InvitationId,
    pub org_id: OrgId,
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: UserId,
    pub inviter_role: Role,
    /// The inviter's role now (`None`: no longer a member).
    pub inviter_current_role: Option<Role>,
    /// The account with the invited email, if there is one.
    pub existing_user: Option<UserId>,
}

pub async fn find_live<'c>(db: impl Exec<'c>, code_hash: &str, now: Timestamp) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query_as(
        "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role, i.invited_by, i.inviter_role, \
                m.role AS inviter_current_role, u.id AS existing_user \
         FROM org_invitations i \
         JOIN organizations o ON o.id = i.org_id \
         LEFT JOIN memberships m ON m.org_id = i.org_id AND m.user_id = i.invited_by \
         LEFT JOIN users u ON u.email = i.email \
         WHERE i.code_hash = $1 AND i.expires_at > $2",
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Uses up an invitation; returns whether it was still there.
pub async fn delete<'c>(db: impl Exec<'c>, id: InvitationId) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM org_invitations WHERE id = $1").bind(id).execute(db).await?.rows_affected() == 1)
}

/// Revokes an organization's invitation; returns it if it existed.
pub async fn delete_in_org<'c>(
    db: impl Exec<'c>,
    org_id: OrgId,
    id: InvitationId,
) -> sqlx::Result<Option<(String, Role)>> {
    sqlx::query_as("DELETE FROM org_invitations WHERE org_id = $1 AND id = $2 RETURNING email, role")
        .bind(org_id)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// An invitation dies with the membership that issued it: removed, or its role changed.
pub async fn delete_issued_by<'c>(db: impl Exec<'c>, org_id: OrgId, inviter: UserId) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND invited_by = $2")
        .bind(org_id)
        .bind(inviter)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Inviting an email again replaces its pending invitation (a new link; the old one dies).
pub async fn delete_for_email<'c>(db: impl Exec<'c>, org_id: OrgId, email: &Email) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND email = $2")
        .bind(org_id)
        .bind(email.as_str())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn pending<'c>(db: impl Exec<'c>, org_id: OrgId, now: Timestamp) -> sqlx::Result<Vec<InvitationEntry>> {
    sqlx::query_as(
        "SELECT i.id, i.email, i.role, u.email AS invited_by_email, i.created_at, i.expires_at \
         FROM org_invitations i JOIN users u ON u.id = i.invited_by \
         WHERE i.org_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id",
    )
    .bind(org_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// A pending invitation as its email shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Letterhead {
    pub email: String,
    pub org_name: String,
    pub role: Role,
    pub inviter_email: String,
    pub expires_at: Timestamp,
}

/// Gives a live invitation a new code (the email's link; the previous link stops working), and returns
/// what its email says. `None`: accepted, revoked or expired.
pub async fn recode(
    conn: &mut sqlx::AnyConnection,
    id: InvitationId,
    code_hash: &str,
    now: Timestamp,
) -> sqlx::Result<Option<Letterhead>> {
    let done = sqlx::query("UPDATE org_invitations SET code_hash = $1 WHERE id = $2 AND expires_at > $3")
        .bind(code_hash)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query_as(
        "SELECT i.email, o.name AS org_name, i.role, u.email AS inviter_email, i.expires_at \
         FROM org_invitations i JOIN organizations o ON o.id = i.org_id JOIN users u ON u.id = i.invited_by WHERE i.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}
