//! Organizations and memberships. Every change is checked against the role table in
//! [`super::domain::allows`] and the last-owner rule, inside one write transaction.

use super::{
    MemberView, OrgSummary,
    domain::{Action, OrgName, Role, action_for_member_change, allows},
};
use crate::{
    auth::{domain::Email, session::Session, session::parse_id},
    error::AppError,
    ids::{OrgId, UserId},
    platform::{
        crypto::{random_urlsafe, sha256_hex},
        request::db_error,
        state::AppState,
    },
    time::{DAY_MS, Timestamp},
};
use sqlx::{Any, Row, Transaction};

/// Invitations are valid for a week.
pub const INVITATION_TTL_MS: i64 = 7 * DAY_MS;

/// Someone acting inside an organization, with their role there right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub role: Role,
}

impl Member {
    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action)
    }

    /// Refuses with a message that names what the role lacks.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.may(action) {
            return Ok(());
        }
        let message = match action {
            Action::DeleteOwnToken => {
                "Viewers can't delete API tokens. Ask an admin to delete it, or to make you a member."
            }
            Action::DeleteAnyToken => "Only admins and owners can delete other people's API tokens.",
            Action::ManageMembers => "Only admins and owners can manage members.",
            Action::ManageOwners => "Only owners can add, remove, promote or demote owners.",
            _ => "Your role in this organization doesn't allow that.",
        };
        Err(AppError::forbidden(message))
    }
}

fn role_of(raw: &str) -> Result<Role, AppError> {
    raw.parse().map_err(|_| {
        tracing::error!(role = raw, "unknown role in the database");
        AppError::Internal
    })
}

/// The organizations a person belongs to, by name.
pub async fn organizations_of(state: &AppState, user_id: UserId) -> Result<Vec<OrgSummary>, AppError> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id \
         WHERE m.user_id = $1 ORDER BY o.name, o.id",
    )
    .bind(user_id.to_string())
    .fetch_all(state.db.pool())
    .await
    .map_err(db_error)?;
    rows.into_iter()
        .map(|r| Ok(OrgSummary { id: parse_id(r.get("id"))?, name: r.get("name"), role: role_of(r.get("role"))? }))
        .collect()
}

/// The member's current role in an organization, read now (never cached across requests).
pub async fn membership(state: &AppState, user_id: UserId, org_id: OrgId) -> Result<Option<Member>, AppError> {
    let row = sqlx::query(
        "SELECT u.email, o.name, m.role FROM memberships m \
         JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id \
         WHERE m.user_id = $1 AND m.org_id = $2",
    )
    .bind(user_id.to_string())
    .bind(org_id.to_string())
    .fetch_optional(state.db.pool())
    .await
    .map_err(db_error)?;
    row.map(|r| {
        Ok(Member { user_id, email: r.get("email"), org_id, org_name: r.get("name"), role: role_of(r.get("role"))? })
    })
    .transpose()
}

/// The session's chosen organization, or the first one the person still belongs to.
pub async fn current_membership(state: &AppState, session: &Session) -> Result<Option<Member>, AppError> {
    if let Some(org_id) = session.current_org_id
        && let Some(member) = membership(state, session.user_id, org_id).await?
    {
        return Ok(Some(member));
    }
    match organizations_of(state, session.user_id).await?.first() {
        Some(first) => membership(state, session.user_id, first.id).await,
        None => Ok(None),
    }
}

pub async fn list_members(state: &AppState, viewer: &Member) -> Result<Vec<MemberView>, AppError> {
    viewer.require(Action::ViewMembers)?;
    let now = state.clock.now().millis();
    let rows = sqlx::query(
        "SELECT u.id, u.email, m.role, m.created_at, \
                (u.password_hash IS NULL AND EXISTS (SELECT 1 FROM invitations i WHERE i.user_id = u.id \
                    AND i.org_id = m.org_id AND i.used_at IS NULL AND i.expires_at > $2)) AS pending \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 \
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, u.email",
    )
    .bind(viewer.org_id.to_string())
    .bind(now)
    .fetch_all(state.db.pool())
    .await
    .map_err(db_error)?;
    rows.into_iter()
        .map(|r| {
            let user_id: UserId = parse_id(r.get("id"))?;
            Ok(MemberView {
                is_you: user_id == viewer.user_id,
                user_id,
                email: r.get("email"),
                role: role_of(r.get("role"))?,
                joined_at: Timestamp(r.get("created_at")),
                pending_invitation: truthy(&r, "pending"),
            })
        })
        .collect()
}

/// Booleans come back as integers from SQLite and as booleans from PostgreSQL.
fn truthy(row: &sqlx::any::AnyRow, column: &str) -> bool {
    row.try_get::<bool, _>(column).or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0)).unwrap_or(false)
}

/// The outcome of adding someone: already had an account, or a one-time link to send them.
#[derive(Debug, Clone)]
pub struct Added {
    pub user_id: UserId,
    pub invitation_code: Option<String>,
}

pub async fn add_member(state: &AppState, actor: &Member, email: &Email, role: Role) -> Result<Added, AppError> {
    actor.require(action_for_member_change(None, Some(role)))?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    lock_org(&mut tx, actor.org_id).await?;
    let existing: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    let (user_id, invitation_code) = match existing {
        Some(id) => {
            let user_id: UserId = parse_id(id)?;
            let already: Option<String> =
                sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(actor.org_id.to_string())
                    .bind(user_id.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?;
            if already.is_some() {
                return Err(AppError::Invalid {
                    field: "email".into(),
                    message: format!("{email} is already a member of {}.", actor.org_name),
                });
            }
            (user_id, None)
        }
        None => {
            let user_id = UserId::new_random();
            sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, NULL, $3)")
                .bind(user_id.to_string())
                .bind(email.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let code = create_invitation(&mut tx, user_id, actor.org_id, Some(actor.user_id), now).await?;
            (user_id, Some(code))
        }
    };
    insert_membership(&mut tx, actor.org_id, user_id, role, now).await?;
    tx.commit().await.map_err(db_error)?;
    tracing::info!(org = %actor.org_id, by = %actor.user_id, user = %user_id, %role, invited = invitation_code.is_some(), "member added");
    Ok(Added { user_id, invitation_code })
}

pub async fn change_role(state: &AppState, actor: &Member, target: UserId, role: Role) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    lock_org(&mut tx, actor.org_id).await?;
    let from = role_in(&mut tx, actor.org_id, target).await?.ok_or_else(|| AppError::not_found("That member"))?;
    actor.require(action_for_member_change(Some(from), Some(role)))?;
    if from == Role::Owner && role != Role::Owner {
        ensure_another_owner(&mut tx, actor.org_id, "The last owner can't be demoted").await?;
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(actor.org_id.to_string())
        .bind(target.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    // Tokens carry their creator's role: cached copies must not outlive the change.
    state.token_auth.invalidate_all();
    tracing::info!(org = %actor.org_id, by = %actor.user_id, user = %target, from = %from, to = %role, "role changed");
    Ok(())
}

/// Removes a member, or lets a member leave (when `target` is the actor).
pub async fn remove_member(state: &AppState, actor: &Member, target: UserId) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    lock_org(&mut tx, actor.org_id).await?;
    let from = role_in(&mut tx, actor.org_id, target).await?.ok_or_else(|| AppError::not_found("That member"))?;
    if target == actor.user_id {
        actor.require(Action::Leave)?;
    } else {
        actor.require(action_for_member_change(Some(from), None))?;
    }
    if from == Role::Owner {
        let what =
            if target == actor.user_id { "The last owner can't leave" } else { "The last owner can't be removed" };
        ensure_another_owner(&mut tx, actor.org_id, what).await?;
    }
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(actor.org_id.to_string())
        .bind(target.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    state.token_auth.invalidate_all();
    tracing::info!(org = %actor.org_id, by = %actor.user_id, user = %target, "member removed");
    Ok(())
}

/// Creates an organization with its first owner (setup and the admin CLI).
pub async fn create_org(
    tx: &mut Transaction<'static, Any>,
    name: &OrgName,
    owner: UserId,
    now: Timestamp,
) -> Result<OrgId, AppError> {
    let org_id = OrgId::new_random();
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(org_id.to_string())
        .bind(name.as_str())
        .bind(now.millis())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    insert_membership(tx, org_id, owner, Role::Owner, now).await?;
    Ok(org_id)
}

/// Adds a member without an acting member's permission check: for the server-administration CLI.
pub async fn add_member_as_admin(state: &AppState, org_id: OrgId, user_id: UserId, role: Role) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await.map_err(db_error)?;
    lock_org(&mut tx, org_id).await?;
    if role_in(&mut tx, org_id, user_id).await?.is_some() {
        return Err(AppError::conflict("That person is already a member of this organization."));
    }
    insert_membership(&mut tx, org_id, user_id, role, now).await?;
    tx.commit().await.map_err(db_error)
}

/// Finds an organization by id or by exact name (for the CLI).
pub async fn find_org(state: &AppState, id_or_name: &str) -> Result<OrgId, AppError> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1 OR name = $1")
        .bind(id_or_name.trim())
        .fetch_all(state.db.pool())
        .await
        .map_err(db_error)?;
    match rows.as_slice() {
        [one] => parse_id(one.clone()),
        [] => Err(AppError::not_found("That organization")),
        _ => Err(AppError::conflict("Several organizations have that name; use the organization's id.")),
    }
}

pub(crate) async fn create_invitation(
    tx: &mut Transaction<'static, Any>,
    user_id: UserId,
    org_id: OrgId,
    invited_by: Option<UserId>,
    now: Timestamp,
) -> Result<String, AppError> {
    let code = random_urlsafe::<32>();
    sqlx::query(
        "INSERT INTO invitations (code_hash, user_id, org_id, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sha256_hex(code.as_bytes()))
    .bind(user_id.to_string())
    .bind(org_id.to_string())
    .bind(invited_by.map(|u| u.to_string()))
    .bind(now.millis())
    .bind(now.plus_ms(INVITATION_TTL_MS).millis())
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(code)
}

async fn insert_membership(
    tx: &mut Transaction<'static, Any>,
    org_id: OrgId,
    user_id: UserId,
    role: Role,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(org_id.to_string())
        .bind(user_id.to_string())
        .bind(role.as_str())
        .bind(now.millis())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    Ok(())
}

async fn role_in(tx: &mut Transaction<'static, Any>, org_id: OrgId, user_id: UserId) -> Result<Option<Role>, AppError> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?;
    role.as_deref().map(role_of).transpose()
}

/// Serialises membership changes per organization: on PostgreSQL this row lock makes two owners who
/// demote each other at the same moment take turns (SQLite's `BEGIN IMMEDIATE` already does).
async fn lock_org(tx: &mut Transaction<'static, Any>, org_id: OrgId) -> Result<(), AppError> {
    let locked = sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
        .bind(org_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    if locked.rows_affected() == 0 {
        return Err(AppError::not_found("That organization"));
    }
    Ok(())
}

async fn ensure_another_owner(tx: &mut Transaction<'static, Any>, org_id: OrgId, what: &str) -> Result<(), AppError> {
    let owners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
    if owners <= 1 {
        return Err(AppError::conflict(format!(
            "{what}: an organization always needs an owner. Make someone else an owner first."
        )));
    }
    Ok(())
}
