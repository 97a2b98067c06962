//! Settings → Members: who is in the organization, with which role; admins invite, re-role and remove,
//! and revoke a member's tokens.

use super::{
    ChangeRole, InviteMember, Invited, RemoveMember, ResendInvitation, RevokeInvitation, RevokeMemberTokens, Roster,
};
use crate::routes::MEMBERS_URL;
use crate::{
    forms::posted,
    ui::{
        CopyButton, DialogButton, ErrorAlert, Field, SettingsLayout, Time, field_error, form_error, with_organization,
    },
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;
use tessera_core::{
    domain::org::{Action as Permission, Role, action_for_member_change, allows},
    views::{InvitationEntry, MemberEntry},
};

#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Members">
            {with_organization(|_, _| view! { <Members /> })}
        </SettingsLayout>
    }
}

#[component]
fn Members() -> impl IntoView {
    let roster = Resource::new(|| (), |_| super::list_members());
    let invited = posted::<InviteMember>();
    let outcome_error = [
        posted::<ChangeRole>().and_then(Result::err),
        posted::<RemoveMember>().and_then(Result::err),
        posted::<RevokeInvitation>().and_then(Result::err),
        posted::<ResendInvitation>().and_then(Result::err),
        posted::<RevokeMemberTokens>().and_then(Result::err),
    ]
    .into_iter()
    .flatten()
    .next();
    let revoked_tokens = posted::<RevokeMemberTokens>().and_then(Result::ok);
    let resent = posted::<ResendInvitation>().is_some_and(|r| r.is_ok());
    let query = use_query_map().get_untracked();
    let open = (query.get("remove"), query.get("revoke_tokens"));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || {
                let (invited, outcome_error, open) = (invited.clone(), outcome_error.clone(), open.clone());
                roster.get().map(move |data| match data {
                    Ok(data) => view! { <MembersView data invited outcome_error revoked_tokens resent open /> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn MembersView(
    data: Roster,
    invited: Option<Result<Invited, crate::error::AppError>>,
    outcome_error: Option<crate::error::AppError>,
    revoked_tokens: Option<usize>,
    resent: bool,
    open: (Option<String>, Option<String>),
) -> impl IntoView {
    let you = data.your_role;
    let can_manage = allows(you, Permission::ManageMembers);
    let count = data.members.len();
    let owners = data.members.iter().filter(|m| m.role == Role::Owner).count();
    let (open_remove, open_revoke) = open;
    view! {
        <div class="page-header">
            <div>
                <h1>"Members"</h1>
                <p>
                    "People in " <strong>{data.org_name.clone()}</strong>
                    ". A role decides what its holder can do here, and what the API tokens they create can do."
                </p>
            </div>
        </div>
        {can_manage.then(|| view! { <InviteForm you outcome=invited.clone() email_enabled=data.email_enabled /> })}
        <ErrorAlert error=form_error(&outcome_error, &[]) />
        {revoked_tokens.map(|n| view! {
            <div class="alert alert-success" role="status" data-testid="member-tokens-revoked">
                {format!("{n} token{} revoked.", if n == 1 { " was" } else { "s were" })}
            </div>
        })}
        {resent.then(|| view! {
            <div class="alert alert-success" role="status" data-testid="invitation-resent">"The invitation was emailed again, with a new link."</div>
        })}
        {(can_manage && !data.invitations.is_empty()).then(|| view! { <Invitations list=data.invitations.clone() you email_enabled=data.email_enabled /> })}
        <section class="section" aria-labelledby="members-title">
            <div class="section-title">
                <h2 id="members-title">"Members"</h2>
                <span class="muted">{format!("{count} {}", if count == 1 { "person" } else { "people" })}</span>
            </div>
            <ul class="list" data-testid="members-list">
                {data
                    .members
                    .iter()
                    .cloned()
                    .map(|member| {
                        let id = member.user_id.to_string();
                        let is_you = member.user_id == data.you;
                        let remove_open = open_remove.as_deref() == Some(id.as_str());
                        let revoke_open = open_revoke.as_deref() == Some(id.as_str());
                        let sole_owner = member.role == Role::Owner && owners == 1;
                        view! { <MemberRow member you is_you remove_open revoke_open sole_owner /> }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// Roles `you` may give someone (owner only by owners).
fn assignable(you: Role) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| allows(you, action_for_member_change(None, Some(*r)))).collect()
}

#[component]
fn InviteForm(
    you: Role,
    outcome: Option<Result<Invited, crate::error::AppError>>,
    email_enabled: bool,
) -> impl IntoView {
    let error = outcome.clone().and_then(Result::err);
    let invited = outcome.and_then(Result::ok);
    let how = if email_enabled {
        format!(
            "We email them a one-time link (valid for {} days). They open it to join: with a new password, or by signing in if they already have an account.",
            tessera_core::domain::org::INVITATION_VALID_DAYS
        )
    } else {
        format!(
            "You get a one-time link (valid for {} days) to send them: email is not configured on this server, so Tessera can't send it. They open it to join: with a new password, or by signing in if they already have an account.",
            tessera_core::domain::org::INVITATION_VALID_DAYS
        )
    };
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite a member"</h2>
            <p class="muted" data-testid="invite-how">{how}</p>
            {invited.map(|invited| match invited.link.clone() {
                Some(link) => view! {
                    <div class="alert alert-success" role="status" data-testid="member-invited">
                        <strong>{format!("{} was invited as {}.", invited.email, invited.role.label())}</strong>
                        <p>"Send them this one-time link. It works once, for this email only, and stops working if your role changes."</p>
                        <div class="copy-row invite-link">
                            <code class="value" id="invitation-link" data-testid="invitation-link">{link}</code>
                            <CopyButton target="invitation-link".to_owned() what="invitation link".to_owned() test_id="copy-invitation-link".to_owned() />
                        </div>
                    </div>
                }
                .into_any(),
                None => view! {
                    <div class="alert alert-success" role="status" data-testid="member-invited">
                        <strong>{format!("Invitation sent to {} as {}.", invited.email, invited.role.label())}</strong>
                        <p>"They get an email with a one-time link. You can resend or revoke it below while it is pending."</p>
                    </div>
                }
                .into_any(),
            })}
            <ErrorAlert error=form_error(&error, &["email", "role"]) />
            <form method="post" action=InviteMember::PATH data-testid="invite-form">
                <div class="form-grid">
                    <Field label="Email" name="email" kind="email" required=true error=field_error(&error, "email") />
                    <div class="field">
                        <label for="field-role">"Role"</label>
                        <select id="field-role" name="role">
                            {assignable(you)
                                .into_iter()
                                .map(|r| view! { <option value=r.as_str() selected=r == Role::Member>{r.label()}</option> })
                                .collect_view()}
                        </select>
                        {field_error(&error, "role").map(|e| view! { <span class="error-text">{e}</span> })}
                    </div>
                </div>
                <button type="submit" class="primary">"Invite member"</button>
            </form>
        </section>
    }
}

#[component]
fn Invitations(list: Vec<InvitationEntry>, you: Role, email_enabled: bool) -> impl IntoView {
    view! {
        <section class="section" aria-labelledby="invitations-title">
            <div class="section-title">
                <h2 id="invitations-title">"Pending invitations"</h2>
            </div>
            <ul class="list" data-testid="invitations-list">
                {list
                    .into_iter()
                    .map(|inv| {
                        let may_revoke = allows(you, action_for_member_change(None, Some(inv.role)));
                        view! {
                            <li class="list-row" data-testid="invitation-row">
                                <div class="row-main">
                                    <div class="row-title">
                                        <span>{inv.email.clone()}</span>
                                        <span class="badge">{inv.role.label()}</span>
                                        <span class="badge info">"Pending"</span>
                                    </div>
                                    <div class="row-meta-line muted">
                                        {format!("Invited by {} · expires ", inv.invited_by_email)}
                                        <Time at=inv.expires_at />
                                    </div>
                                </div>
                                {may_revoke.then(|| view! {
                                    <div class="row-actions">
                                        {email_enabled.then(|| view! {
                                            <form method="post" action=ResendInvitation::PATH class="inline-form">
                                                <input type="hidden" name="id" value=inv.id.to_string() />
                                                <button type="submit" class="small" data-testid="resend-invitation" aria-label=format!("Resend the invitation of {}", inv.email)>"Resend"</button>
                                            </form>
                                        })}
                                        <form method="post" action=RevokeInvitation::PATH class="inline-form">
                                            <input type="hidden" name="id" value=inv.id.to_string() />
                                            <button type="submit" class="small" data-testid="revoke-invitation" aria-label=format!("Revoke the invitation of {}", inv.email)>"Revoke"</button>
                                        </form>
                                    </div>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn MemberRow(
    member: MemberEntry,
    you: Role,
    is_you: bool,
    remove_open: bool,
    revoke_open: bool,
    /// The only owner: can't leave (the server would refuse), so "Leave" is not offered.
    sole_owner: bool,
) -> impl IntoView {
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
                {if can_change {
                    let select_id = format!("role-{id}");
                    view! {
                        <form method="post" action=ChangeRole::PATH class="inline-form role-form">
                            <input type="hidden" name="user_id" value=id.clone() />
                            <label for=select_id.clone() class="visually-hidden">{format!("Role of {email}")}</label>
                            <select id=select_id name="role" data-testid="role-select">
                                {assignable(you)
                                    .into_iter()
                                    .map(|r| view! { <option value=r.as_str() selected=r == member.role>{r.label()}</option> })
                                    .collect_view()}
                            </select>
                            <button type="submit" class="small" aria-label=format!("Change role of {email}")>"Change role"</button>
                        </form>
                    }
                    .into_any()
                } else {
                    view! { <span class="badge role">{member.role.label()}</span> }.into_any()
                }}
                {can_revoke.then({
                    let (id, email) = (id.clone(), email.clone());
                    move || {
                    let title_id = format!("revoke-title-{id}");
                    view! {
                        <DialogButton
                            label="Revoke tokens".to_owned()
                            aria_label=format!("Revoke tokens of {email}")
                            test_id="revoke-member-tokens".to_owned()
                            class="small danger-outline".to_owned()
                            page=MEMBERS_URL.to_owned()
                            param="revoke_tokens".to_owned()
                            value=id.clone()
                            title_id=title_id.clone()
                            open=revoke_open
                        >
                            <h2 id=title_id>{format!("Revoke all tokens of {email}?")}</h2>
                            <p>{format!("Their {tokens} active token{} stop working at once, everywhere. They stay a member and can create new tokens.", if tokens == 1 { "" } else { "s" })}</p>
                            <form method="post" action=RevokeMemberTokens::PATH>
                                <input type="hidden" name="user_id" value=id.clone() />
                                <div class="actions end">
                                    <button type="submit" formmethod="dialog" formnovalidate data-autofocus="" autofocus=revoke_open>"Cancel"</button>
                                    <button type="submit" class="danger" data-testid="confirm-revoke-tokens">"Revoke tokens"</button>
                                </div>
                            </form>
                        </DialogButton>
                    }
                }})}
                {can_remove.then(|| {
                    let title_id = format!("remove-title-{id}");
                    let (label, title, text) = if is_you {
                        ("Leave", "Leave this organization?".to_owned(), "You will lose access to this organization, and your API tokens for it are revoked for good.".to_owned())
                    } else {
                        ("Remove", format!("Remove {email}?"), format!("{email} loses access at once, and the API tokens they created are revoked for good: adding them again revives none."))
                    };
                    view! {
                        <DialogButton
                            label=label.to_owned()
                            aria_label=if is_you { "Leave this organization".to_owned() } else { format!("Remove {email}") }
                            test_id="remove-member".to_owned()
                            class="small danger-outline".to_owned()
                            page=MEMBERS_URL.to_owned()
                            param="remove".to_owned()
                            value=id.clone()
                            title_id=title_id.clone()
                            open=remove_open
                        >
                            <h2 id=title_id>{title}</h2>
                            <p>{text}</p>
                            <form method="post" action=RemoveMember::PATH>
                                <input type="hidden" name="user_id" value=id.clone() />
                                <div class="actions end">
                                    <button type="submit" formmethod="dialog" formnovalidate data-autofocus="" autofocus=remove_open>"Cancel"</button>
                                    <button type="submit" class="danger" data-testid="confirm-remove">{label}</button>
                                </div>
                            </form>
                        </DialogButton>
                    }
                })}
            </div>
        </li>
    }
}
