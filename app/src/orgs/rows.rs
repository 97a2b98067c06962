//! One member in the list (their role, when they joined, their active tokens, and what you may do to
//! them: change their role, revoke their tokens, remove them, or leave), and one pending invitation
//! (resend, revoke). Every action's accessible name says whom it is about.

use super::{
    ChangeRole, RemoveMember, ResendInvitation, RevokeInvitation, RevokeMemberTokens, assignable,
    state::{Ctx, key},
};
use crate::{
    routes::MEMBERS_URL,
    ui::{ConfirmDialog, SubmitButton, Time, on_submit},
};
use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use tessera_core::{
    domain::org::{Action as Permission, Role, action_for_member_change, allows},
    views::{InvitationEntry, MemberEntry},
};

/// The error of action `action` on `id`, where the action's controls are.
fn row_error(ctx: Ctx, action: &'static str, id: String) -> impl Fn() -> Option<AnyView> {
    move || {
        ctx.acts
            .error(&key(action, &id))
            .map(|e| view! { <p class="error-text" role="alert">{e.to_string()}</p> }.into_any())
    }
}

#[component]
pub fn MemberRow(
    member: MemberEntry,
    /// The only owner: can't leave (the server would refuse), so "Leave" is not offered.
    sole_owner: bool,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (you, is_you) = ctx.roster.with_untracked(|r| (r.your_role, r.you == member.user_id));
    let can_change = !is_you && allows(you, action_for_member_change(Some(member.role), Some(Role::Viewer)));
    let can_remove = if is_you {
        allows(you, Permission::Leave) && !sole_owner
    } else {
        allows(you, action_for_member_change(Some(member.role), None))
    };
    let can_revoke = allows(you, Permission::RevokeMemberTokens) && member.active_tokens > 0;
    let id = member.user_id.to_string();
    let email = member.email.clone();
    let tokens = member.active_tokens;
    let role_form = if can_change {
        let select_id = format!("role-{id}");
        Either::Left(view! {
            <form method="post" action=ChangeRole::url() class="inline-form role-form" on:submit=on_submit(move |form| ctx.change_role(form))>
                <input type="hidden" name="user_id" value=id.clone() />
                <label for=select_id.clone() class="visually-hidden">{format!("Role of {email}")}</label>
                <select id=select_id name="role" data-testid="role-select">
                    {assignable(you)
                        .into_iter()
                        .map(|r| view! { <option value=r.as_str() selected=r == member.role>{r.label()}</option> })
                        .collect_view()}
                </select>
                <SubmitButton
                    label="Change role"
                    pending_label="Saving…"
                    pending=ctx.acts.pending_signal(key("role", &id))
                    class="small"
                    test_id="change-role"
                    aria_label=format!("Change role of {email}")
                />
            </form>
            {row_error(ctx, "role", id.clone())}
        })
    } else {
        Either::Right(view! { <span class="badge role">{member.role.label()}</span> })
    };
    let revoke = can_revoke.then(|| {
        let (id, email) = (id.clone(), email.clone());
        let open = ctx.opened(&id, false);
        let title_id = format!("revoke-title-{id}");
        let plural = if tokens == 1 { "" } else { "s" };
        view! {
            <ConfirmDialog
                label="Revoke tokens"
                aria_label=format!("Revoke tokens of {email}")
                test_id="revoke-member-tokens"
                class="small danger-outline"
                page=MEMBERS_URL
                param="revoke_tokens"
                value=id.clone()
                title_id=title_id.clone()
                open
            >
                <h2 id=title_id>{format!("Revoke all tokens of {email}?")}</h2>
                <p>{format!("Their {tokens} active token{plural} stop working at once, everywhere. They stay a member and can create new tokens.")}</p>
                <form method="post" action=RevokeMemberTokens::url() on:submit=on_submit(move |form| ctx.revoke_tokens(form))>
                    <input type="hidden" name="user_id" value=id.clone() />
                    {row_error(ctx, "revoke", id.clone())}
                    <div class="actions end">
                        <button type="submit" formmethod="dialog" formnovalidate data-autofocus="" autofocus=open>"Cancel"</button>
                        <SubmitButton
                            label="Revoke tokens"
                            pending_label="Revoking…"
                            pending=ctx.acts.pending_signal(key("revoke", &id))
                            class="danger"
                            test_id="confirm-revoke-tokens"
                        />
                    </div>
                </form>
            </ConfirmDialog>
        }
    });
    let remove = can_remove.then(|| {
        let (id, email) = (id.clone(), email.clone());
        let open = ctx.opened(&id, true);
        let title_id = format!("remove-title-{id}");
        let (label, pending_label, title, text) = if is_you {
            (
                "Leave",
                "Leaving…",
                "Leave this organization?".to_owned(),
                "You will lose access to this organization, and your API tokens for it are revoked for good.".to_owned(),
            )
        } else {
            (
                "Remove",
                "Removing…",
                format!("Remove {email}?"),
                format!("{email} loses access at once, and the API tokens they created are revoked for good: adding them again revives none."),
            )
        };
        view! {
            <ConfirmDialog
                label
                aria_label=if is_you { "Leave this organization".to_owned() } else { format!("Remove {email}") }
                test_id="remove-member"
                class="small danger-outline"
                page=MEMBERS_URL
                param="remove"
                value=id.clone()
                title_id=title_id.clone()
                open
            >
                <h2 id=title_id>{title}</h2>
                <p>{text}</p>
                <form method="post" action=RemoveMember::url() on:submit=on_submit(move |form| ctx.remove(form))>
                    <input type="hidden" name="user_id" value=id.clone() />
                    {row_error(ctx, "remove", id.clone())}
                    <div class="actions end">
                        <button type="submit" formmethod="dialog" formnovalidate data-autofocus="" autofocus=open>"Cancel"</button>
                        <SubmitButton
                            label=label
                            pending_label=pending_label
                            pending=ctx.acts.pending_signal(key("remove", &id))
                            class="danger"
                            test_id="confirm-remove"
                        />
                    </div>
                </form>
            </ConfirmDialog>
        }
    });
    view! {
        <li class="list-row" data-testid="member-row" data-email=email.clone()>
            <div class="row-main">
                <div class="row-title">
                    <span>{email.clone()}</span>
                    {is_you.then(|| view! { <span class="badge">"You"</span> })}
                </div>
                <div class="row-meta-line muted">
                    {format!("{} · joined ", member.role.label())}
                    <Time at=member.joined_at />
                    {format!(" · {tokens} active token{}", if tokens == 1 { "" } else { "s" })}
                </div>
            </div>
            <div class="row-actions">
                {role_form}
                {revoke}
                {remove}
            </div>
        </li>
    }
}

#[component]
pub fn InvitationRow(invitation: InvitationEntry) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (you, email_enabled) = ctx.roster.with_untracked(|r| (r.your_role, r.email_enabled));
    let may_revoke = allows(you, action_for_member_change(None, Some(invitation.role)));
    let id = invitation.id.to_string();
    let email = invitation.email.clone();
    view! {
        <li class="list-row" data-testid="invitation-row">
            <div class="row-main">
                <div class="row-title">
                    <span>{email.clone()}</span>
                    <span class="badge">{invitation.role.label()}</span>
                    <span class="badge info">"Pending"</span>
                </div>
                <div class="row-meta-line muted">
                    {format!("Invited by {} · expires ", invitation.invited_by_email)}
                    <Time at=invitation.expires_at />
                </div>
                {row_error(ctx, "resend", id.clone())}
                {row_error(ctx, "uninvite", id.clone())}
            </div>
            {may_revoke.then(|| view! {
                <div class="row-actions">
                    {email_enabled.then(|| view! {
                        <form method="post" action=ResendInvitation::url() class="inline-form" on:submit=on_submit(move |form| ctx.resend_invitation(form))>
                            <input type="hidden" name="id" value=id.clone() />
                            <SubmitButton
                                label="Resend"
                                pending_label="Sending…"
                                pending=ctx.acts.pending_signal(key("resend", &id))
                                class="small"
                                test_id="resend-invitation"
                                aria_label=format!("Resend the invitation of {email}")
                            />
                        </form>
                    })}
                    <form method="post" action=RevokeInvitation::url() class="inline-form" on:submit=on_submit(move |form| ctx.revoke_invitation(form))>
                        <input type="hidden" name="id" value=id.clone() />
                        <SubmitButton
                            label="Revoke"
                            pending_label="Revoking…"
                            pending=ctx.acts.pending_signal(key("uninvite", &id))
                            class="small"
                            test_id="revoke-invitation"
                            aria_label=format!("Revoke the invitation of {email}")
                        />
                    </form>
                </div>
            })}
        </li>
    }
}
