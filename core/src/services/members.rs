//! Members, roles and invitations. Every change is checked against the role table and the last-owner
//! rule inside one write transaction, with the actor's role read again inside it.
//!
//! How accounts are claimed: adding someone by email creates an *invitation*, never an account or a
//! membership. The invitation is bound to the organization and to the inviter's membership: it dies
//! when that membership is removed or its role changes. Accepting it creates the account (for an email
//! without one), or, for an email that has an account, needs that account to be signed in. So nobody
//! can gain access to an account by holding an old link, and no organization can add an existing
//! account without its owner accepting.

use super::{
    audit::{Actor, Recorder, Subject, no_detail},
    notify::{self, Mail},
    sessions::Identity,
    tokens::revoke_all_in,
    webhooks::{self, Departure},
};
use crate::{
    context::Core,
    crypto::{random_urlsafe, sha256_hex},
    db::{DbResultExt, WriteTx},
    domain::{
        account::{Email, Password},
        audit::{EventType, SubjectKind},
        org::{self, Action, OrgName, Role, action_for_member_change, allows},
        token::RevokeReason,
    },
    error::Error,
    identity::{Caller, Member, Origin},
    ids::{InvitationId, OrgId, UserId},
    store,
    views::{InvitationEntry, MemberEntry},
};
use serde_json::json;
use std::fmt;

/// The secret code of an invitation link. Shown once (or emailed); only its hash is stored. `Debug` is
/// redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationCode(String);

impl InvitationCode {
    /// 43 URL-safe base64 characters (256 random bits); anything else can't be a code.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(raw.to_owned()))
    }

    fn generate() -> Self {
        Self(random_urlsafe::<32>())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl fmt::Debug for InvitationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationCode([redacted])")
    }
}

fn invitation_gone() -> Error {
    Error::of(crate::ErrorKind::NotFound)
        .with_message("This invitation link is invalid, already used or expired. Ask an administrator for a new one.")
}

/// The members page's data: the members, and for those who manage members, the pending invitations.
#[derive(Debug, Clone)]
pub struct OrgMembers {
    pub members: Vec<MemberEntry>,
    pub invitations: Vec<InvitationEntry>,
}

pub async fn list(core: &Core, viewer: &Member) -> Result<OrgMembers, Error> {
    viewer.require(Action::ViewMembers)?;
    let now = core.clock.now();
    let members = store::orgs::members(core.db.pool(), viewer.org_id, now).await?;
    let invitations = if viewer.may(Action::ManageMembers) {
        store::invitations::pending(core.db.pool(), viewer.org_id, now).await?
    } else {
        Vec::new()
    };
    Ok(OrgMembers { members, invitations })
}

/// The actor's role, read again inside the transaction: it may have changed since the request began.
async fn current_role(tx: &mut WriteTx, actor: &Member) -> Result<Role, Error> {
    if !store::orgs::lock(&mut **tx, actor.org_id).await? {
        return Err(Error::not_found("That organization"));
    }
    store::orgs::role_of(&mut **tx, actor.org_id, actor.user_id)
        .await?
        .ok_or_else(|| Error::forbidden("You are no longer a member of this organization."))
}

/// The caller's role now (as [`current_role`]) and the role of `target`, a member of the caller's
/// organization: what a change to that member is checked against.
async fn roles_of(tx: &mut WriteTx, caller: &Caller, target: UserId) -> Result<(Role, Role), Error> {
    let actor_role = current_role(tx, &caller.member).await?;
    let target_role = store::orgs::role_of(&mut **tx, caller.org_id(), target)
        .await?
        .ok_or_else(|| Error::not_found("That member"))?;
    Ok((actor_role, target_role))
}

/// An invitation just issued: the code goes into the link, shown once to the admin, or (when email is
/// configured) made when the email is sent, so that only the invited person ever sees it.
#[derive(Debug)]
pub struct IssuedInvitation {
    pub id: InvitationId,
    pub email: Email,
    pub role: Role,
    /// `None`: the link was emailed.
    pub code: Option<InvitationCode>,
}

/// Invites someone by email, whether or not they have an account (the answer is the same, so admins
/// can't learn which emails have accounts). Inviting the same email again replaces the old link.
pub async fn invite(core: &Core, caller: &Caller, email: &Email, role: Role) -> Result<IssuedInvitation, Error> {
    caller.require(action_for_member_change(None, Some(role)))?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let inviter_role = current_role(&mut tx, &caller.member).await?;
    org::require(inviter_role, action_for_member_change(None, Some(role)))?;
    if let Some(existing) = store::users::id_by_email(&mut *tx, email).await?
        && store::orgs::role_of(&mut *tx, caller.org_id(), existing).await?.is_some()
    {
        return Err(Error::invalid("email", format!("{email} is already a member of {}.", caller.member.org_name)));
    }
    store::invitations::delete_for_email(&mut *tx, caller.org_id(), email).await?;
    let id = InvitationId::new_random();
    let code = InvitationCode::generate();
    store::invitations::insert(
        &mut *tx,
        store::invitations::NewInvitation {
            id,
            code_hash: &code.hash(),
            org_id: caller.org_id(),
            email,
            role,
            invited_by: caller.user_id(),
            inviter_role,
            now,
            expires_at: now.plus_days(org::INVITATION_VALID_DAYS),
        },
    )
    .await?;
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::MemberInvited,
            Subject::other(SubjectKind::Invitation, id.to_string(), Some(email.to_string())),
            json!({"role": role}),
        )
        .await?;
    let emailed = core.settings.email;
    notify::queue_invitation(&mut tx, core, (caller.org_id(), &caller.member.org_name), id, email.as_str(), now)
        .await?;
    tx.commit(core).await?;
    tracing::info!(org = %caller.org_id(), by = %caller.user_id(), invitation = %id, %role, emailed, "member invited");
    Ok(IssuedInvitation { id, email: email.clone(), role, code: (!emailed).then_some(code) })
}

/// Emails a pending invitation again, with a new link (the previous one stops working).
pub async fn resend_invitation(core: &Core, caller: &Caller, id: InvitationId) -> Result<(), Error> {
    caller.require(Action::ManageMembers)?;
    if !core.settings.email {
        return Err(Error::conflict(
            "Email is not configured on this server, so invitations can't be emailed. Invite the person again to get a new link to send them.",
        ));
    }
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    // Locks the organization: its invitation emails are counted one request at a time.
    org::require(current_role(&mut tx, &caller.member).await?, Action::ManageMembers)?;
    let pending = store::invitations::pending(&mut *tx, caller.org_id(), now).await?;
    let invitation = pending.iter().find(|i| i.id == id).ok_or_else(|| Error::not_found("That invitation"))?;
    notify::queue_invitation(&mut tx, core, (caller.org_id(), &caller.member.org_name), id, &invitation.email, now)
        .await?;
    tx.commit(core).await?;
    Ok(())
}

/// The invitation email, with a new code made now (delivery calls this; the outbox never holds a code).
/// `None` when the invitation was accepted, revoked or has expired meanwhile.
pub(crate) async fn invitation_mail(core: &Core, id: InvitationId) -> Result<Option<Mail>, Error> {
    let now = core.clock.now();
    let code = InvitationCode::generate();
    let mut tx = core.db.begin_write().await?;
    let Some(row) = store::invitations::recode(&mut tx, id, &code.hash(), now).await? else {
        return Ok(None);
    };
    tx.commit(core).await?;
    let link = format!("{}/invite/{}", core.settings.links_base.trim_end_matches('/'), code.expose());
    Ok(Some(invitation_letter(&row.inviter_email, &row.org_name, row.role, &link, row.expires_at, row.email)))
}

/// The invitation email's text.
fn invitation_letter(
    inviter: &str,
    org: &str,
    role: Role,
    link: &str,
    until: crate::time::Timestamp,
    to: String,
) -> Mail {
    let text = format!(
        "{inviter} invited you to join the organization {org} on Tessera as {role}.\n\n\
         Accept the invitation: {link}\n\n\
         The link works once, until {until}. If you did not expect this email, ignore it.\n",
        role = role.label(),
        until = until.date_time(),
    );
    Mail { to: vec![to], subject: format!("You are invited to join {org} on Tessera"), text }
}

/// Revokes a pending invitation (its link stops working).
pub async fn revoke_invitation(core: &Core, caller: &Caller, id: InvitationId) -> Result<(), Error> {
    caller.require(Action::ManageMembers)?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let role = current_role(&mut tx, &caller.member).await?;
    let (email, invited_role) = store::invitations::delete_in_org(&mut *tx, caller.org_id(), id)
        .await?
        .ok_or_else(|| Error::not_found("That invitation"))?;
    org::require(role, action_for_member_change(None, Some(invited_role)))?;
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::InvitationRevoked,
            Subject::other(SubjectKind::Invitation, id.to_string(), Some(email)),
            no_detail(),
        )
        .await?;
    tx.commit(core).await?;
    Ok(())
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationView {
    pub email: String,
    pub org_name: String,
    pub role: Role,
    /// The email already has an account: accepting needs that account signed in.
    pub account_exists: bool,
}

/// A live invitation whose inviter still holds the membership that issued it.
async fn live_invitation<'c>(
    db: impl store::Exec<'c>,
    core: &Core,
    code: &str,
) -> Result<(InvitationCode, store::invitations::InvitationRow), Error> {
    let code = InvitationCode::parse(code).ok_or_else(invitation_gone)?;
    let row = store::invitations::find_live(db, &code.hash(), core.clock.now()).await?.ok_or_else(invitation_gone)?;
    let inviter_holds = row.inviter_current_role == Some(row.inviter_role)
        && allows(row.inviter_role, action_for_member_change(None, Some(row.role)));
    if !inviter_holds {
        return Err(invitation_gone());
    }
    Ok((code, row))
}

pub async fn view_invitation(core: &Core, code: &str) -> Result<InvitationView, Error> {
    let (_, row) = live_invitation(core.db.pool(), core, code).await?;
    Ok(InvitationView {
        email: row.email,
        org_name: row.org_name,
        role: row.role,
        account_exists: row.existing_user.is_some(),
    })
}

/// Accepts an invitation. For an email without an account, `password` creates it; for an email with
/// one, `signed_in` must be that account.
pub async fn accept_invitation(
    core: &Core,
    code: &str,
    password: Option<Password>,
    signed_in: Option<&Identity>,
    origin: &Origin,
) -> Result<(UserId, OrgId), Error> {
    let now = core.clock.now();
    // Hash before the write transaction: argon2 takes tens of milliseconds.
    let hash = match &password {
        Some(password) => Some(core.passwords.hash(password).await?),
        None => None,
    };
    let mut tx = core.db.begin_write().await?;
    let (_, row) = live_invitation(&mut *tx, core, code).await?;
    let user_id = match (row.existing_user, signed_in) {
        (Some(existing), Some(identity)) if identity.user_id == existing => existing,
        (Some(_), Some(identity)) => {
            return Err(Error::forbidden(format!(
                "This invitation is for {}, but you are signed in as {}. Sign out, then sign in as {} to accept it.",
                row.email, identity.email, row.email
            )));
        }
        (Some(_), None) => {
            return Err(Error::unauthorized().with_message(format!(
                "{} already has an account. Sign in as {} to accept this invitation.",
                row.email, row.email
            )));
        }
        (None, _) => {
            let hash = hash.ok_or_else(|| Error::invalid("password", "Choose a password for your new account."))?;
            let email = Email::parse(&row.email).map_err(Error::internal)?;
            let user_id = UserId::new_random();
            store::users::insert(&mut *tx, user_id, &email, &hash, now).await.on_unique(|| {
                Error::conflict(format!(
                    "{} has an account now. Sign in as {} to accept this invitation.",
                    row.email, row.email
                ))
            })?;
            user_id
        }
    };
    store::orgs::insert_membership(&mut *tx, row.org_id, user_id, row.role, now)
        .await
        .on_unique(|| Error::conflict(format!("You are already a member of {}.", row.org_name)))?;
    store::invitations::delete(&mut *tx, row.id).await?;
    Recorder { org_id: row.org_id, actor: Actor::person(user_id, &row.email), origin, at: now }
        .record(
            &mut tx,
            EventType::MemberAdded,
            Subject::member(user_id, &row.email),
            json!({"role": row.role, "how": "invitation", "invited_by": row.invited_by}),
        )
        .await?;
    tx.commit(core).await?;
    tracing::info!(user = %user_id, org = %row.org_id, "invitation accepted");
    Ok((user_id, row.org_id))
}

/// Changes a member's role. Their tokens follow on their next request; invitations they issued die.
pub async fn change_role(core: &Core, caller: &Caller, target: UserId, role: Role) -> Result<(), Error> {
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let (actor_role, from) = roles_of(&mut tx, caller, target).await?;
    org::require(actor_role, action_for_member_change(Some(from), Some(role)))?;
    if from == role {
        return Ok(());
    }
    if from == Role::Owner {
        ensure_another_owner(&mut tx, caller.org_id(), "The last owner can't be demoted").await?;
    }
    store::orgs::set_role(&mut tx, caller.org_id(), target, role).await?;
    let dropped = store::invitations::delete_issued_by(&mut *tx, caller.org_id(), target).await?;
    let email = store::users::email_of(&mut *tx, target).await?.unwrap_or_default();
    if !allows(role, Action::ManageWebhooks) {
        let recorder = Recorder::for_caller(caller, now);
        let member = (target, email.as_str());
        webhooks::pause_added_by(&mut tx, core, &recorder, &caller.member.org_name, member, Departure::NoLongerAdmin)
            .await?;
    }
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::MemberRoleChanged,
            Subject::member(target, &email),
            json!({"from": from, "to": role, "invitations_revoked": dropped}),
        )
        .await?;
    if role == Role::Owner {
        notify::new_owner(&mut tx, core, &Recorder::for_caller(caller, now), &email).await?;
    }
    // Tokens carry their creator's role: cached copies must not outlive the change.
    tx.commit(core).await?;
    tracing::info!(org = %caller.org_id(), by = %caller.user_id(), user = %target, %from, to = %role, "role changed");
    Ok(())
}

/// Removes a member, or lets a member leave (when `target` is the caller). Their tokens in the
/// organization are revoked for good (re-adding them revives nothing), and invitations they issued die.
pub async fn remove(core: &Core, caller: &Caller, target: UserId) -> Result<(), Error> {
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let (actor_role, from) = roles_of(&mut tx, caller, target).await?;
    let leaving = target == caller.user_id();
    org::require(actor_role, if leaving { Action::Leave } else { action_for_member_change(Some(from), None) })?;
    if from == Role::Owner {
        let what = if leaving { "The last owner can't leave" } else { "The last owner can't be removed" };
        ensure_another_owner(&mut tx, caller.org_id(), what).await?;
    }
    let email = store::users::email_of(&mut *tx, target).await?.unwrap_or_default();
    store::orgs::delete_membership(&mut tx, caller.org_id(), target).await?;
    let recorder = Recorder::for_caller(caller, now);
    // First, so that none of the events below (token names, the removal) reaches their endpoints.
    let departure = if leaving { Departure::Left } else { Departure::Removed };
    let org_name = &caller.member.org_name;
    webhooks::pause_added_by(&mut tx, core, &recorder, org_name, (target, &email), departure).await?;
    let revoked = revoke_all_in(
        core,
        &mut tx,
        &recorder,
        (caller.org_id(), &caller.member.org_name),
        Some(target),
        RevokeReason::MemberRemoved,
        false,
    )
    .await?;
    let dropped = store::invitations::delete_issued_by(&mut *tx, caller.org_id(), target).await?;
    recorder
        .record(
            &mut tx,
            EventType::MemberRemoved,
            Subject::member(target, &email),
            json!({"role": from, "left": leaving, "tokens_revoked": revoked.len(), "invitations_revoked": dropped}),
        )
        .await?;
    if !leaving {
        notify::member_tokens_revoked(&mut tx, core, &recorder, &caller.member.org_name, target, revoked.len(), true)
            .await?;
    }
    tx.commit(core).await?;
    tracing::info!(org = %caller.org_id(), by = %caller.user_id(), user = %target, tokens_revoked = revoked.len(), "member removed");
    Ok(())
}

async fn ensure_another_owner(tx: &mut WriteTx, org_id: OrgId, what: &str) -> Result<(), Error> {
    if store::orgs::count_owners(&mut **tx, org_id).await? <= 1 {
        return Err(Error::conflict(format!(
            "{what}: an organization always needs an owner. Make someone else an owner first."
        )));
    }
    Ok(())
}

/// Operator (CLI): a new organization owned by an existing account.
pub async fn operator_create_org(core: &Core, name: &OrgName, owner: UserId) -> Result<OrgId, Error> {
    create_org_owned_by(core, name, owner, None).await
}

/// A signed-in person creates an organization and becomes its owner (as on GitHub), from the dashboard.
pub async fn create_org(core: &Core, identity: &Identity, origin: &Origin, name: &OrgName) -> Result<OrgId, Error> {
    create_org_owned_by(core, name, identity.user_id, Some(origin)).await
}

/// The one way an organization comes to exist (besides first-run setup): the organization, its owner's
/// membership and the event saying so, in one transaction. `origin` is the person's request; `None` is
/// the operator at the command line.
async fn create_org_owned_by(core: &Core, name: &OrgName, owner: UserId, by: Option<&Origin>) -> Result<OrgId, Error> {
    let now = core.clock.now();
    let org_id = OrgId::new_random();
    let mut tx = core.db.begin_write().await?;
    store::orgs::insert(&mut *tx, org_id, name.as_str(), now).await?;
    store::orgs::insert_membership(&mut *tx, org_id, owner, Role::Owner, now).await?;
    let email = store::users::email_of(&mut *tx, owner).await?.unwrap_or_default();
    let (recorder, how) = match by {
        Some(origin) => (Recorder { org_id, actor: Actor::person(owner, &email), origin, at: now }, "created"),
        None => (Recorder::operator(org_id, now), "operator"),
    };
    recorder
        .record(
            &mut tx,
            EventType::MemberAdded,
            Subject::member(owner, &email),
            json!({"role": Role::Owner, "how": how, "organization": name.as_str()}),
        )
        .await?;
    tx.commit(core).await?;
    tracing::info!(org = %org_id, owner = %owner, by_operator = by.is_none(), "organization created");
    Ok(org_id)
}

/// Operator (CLI): adds an existing account directly. The operator runs the server, so no invitation is
/// needed; the event names the operator.
pub async fn operator_add_member(core: &Core, org_id: OrgId, user_id: UserId, role: Role) -> Result<(), Error> {
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    if !store::orgs::lock(&mut *tx, org_id).await? {
        return Err(Error::not_found("That organization"));
    }
    store::orgs::insert_membership(&mut *tx, org_id, user_id, role, now)
        .await
        .on_unique(|| Error::conflict("That person is already a member of this organization."))?;
    let email = store::users::email_of(&mut *tx, user_id).await?.unwrap_or_default();
    Recorder::operator(org_id, now)
        .record(
            &mut tx,
            EventType::MemberAdded,
            Subject::member(user_id, &email),
            json!({"role": role, "how": "operator"}),
        )
        .await?;
    if role == Role::Owner {
        notify::new_owner(&mut tx, core, &Recorder::operator(org_id, now), &email).await?;
    }
    tx.commit(core).await?;
    Ok(())
}

/// Finds an organization by id or by exact name (for the CLI).
pub async fn find_org(core: &Core, id_or_name: &str) -> Result<OrgId, Error> {
    match store::orgs::find_by_id_or_name(core.db.pool(), id_or_name.trim()).await?.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::not_found("That organization")),
        _ => Err(Error::conflict("Several organizations have that name; use the organization's id.")),
    }
}

/// A member of an organization, as the CLI acts for the operator.
pub async fn member_of(core: &Core, org_id: OrgId, user_id: UserId) -> Result<Option<Member>, Error> {
    Ok(store::orgs::membership(core.db.pool(), org_id, user_id).await?.map(|m| Member {
        user_id,
        email: m.email,
        org_id,
        org_name: m.org_name,
        role: m.role,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{DAY_MS, Timestamp};

    #[test]
    fn the_invitation_email_says_who_where_and_until_when_without_stray_indentation() {
        let mail = invitation_letter(
            "ada@example.com",
            "Acme",
            Role::Admin,
            "https://tessera.example.com/invite/CODE",
            Timestamp(1_767_225_600_000 + 7 * DAY_MS),
            "bob@example.com".into(),
        );
        assert_eq!(mail.to, ["bob@example.com"]);
        assert_eq!(mail.subject, "You are invited to join Acme on Tessera");
        assert_eq!(
            mail.text,
            "ada@example.com invited you to join the organization Acme on Tessera as Admin.\n\
             \n\
             Accept the invitation: https://tessera.example.com/invite/CODE\n\
             \n\
             The link works once, until Jan 8, 2026, 00:00 UTC. If you did not expect this email, ignore it.\n"
        );
    }
}
