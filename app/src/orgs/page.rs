//! Settings → Members: who is in the organization, with which role; admins add, re-role and remove.

use super::{
    AddMember, ChangeRole, MemberView, MembersData, RemoveMember,
    domain::{Action, Role, action_for_member_change, allows},
    list_members,
};
use crate::{
    auth::use_session,
    time::Timestamp,
    ui::{
        ConfirmDialog, ErrorAlert, Field, PageForm, SettingsLayout, action_error, field_error, form_error, page_action,
        with_organization,
    },
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

pub const MEMBERS_URL: &str = "/app/settings/members";

#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <Title text="Members" />
        <SettingsLayout>
            {with_organization(|_, _| view! { <Members /> })}
        </SettingsLayout>
    }
}

#[component]
fn Members() -> impl IntoView {
    let session = use_session();
    let add = page_action::<AddMember>();
    let change = page_action::<ChangeRole>();
    let remove = page_action::<RemoveMember>();
    let members = Resource::new(
        move || (session.org_version(), add.version().get(), change.version().get(), remove.version().get()),
        |_| list_members(),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || {
                members
                    .get()
                    .map(|data| match data {
                        Ok(data) => Either::Left(view! { <MembersView data add change remove /> }),
                        Err(e) => Either::Right(view! {
                            <div class="alert alert-error" role="alert">{e.to_string()}</div>
                        }),
                    })
            }}
        </Transition>
    }
}

#[component]
fn MembersView(
    data: MembersData,
    add: ServerAction<AddMember>,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let you = data.your_role;
    let can_manage = allows(you, Action::ManageMembers);
    let change_error = action_error(change);
    let remove_error = action_error(remove);
    let query = use_query_map();
    let confirming = {
        let members = data.members.clone();
        move || {
            let id = query.read().get("remove")?;
            members.iter().find(|m| m.user_id.to_string() == id).cloned()
        }
    };
    let count = data.members.len();
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
        {can_manage.then(|| view! { <AddMemberForm add you /> })}
        <ErrorAlert error=form_error(change_error, &[]) />
        <ErrorAlert error=form_error(remove_error, &[]) />
        <section class="section" aria-labelledby="members-title">
            <div class="section-title">
                <h2 id="members-title">"Members"</h2>
                <span class="muted">{format!("{count} {}", if count == 1 { "person" } else { "people" })}</span>
            </div>
            <ul class="list" data-testid="members-list" role="list">
                {data
                    .members
                    .iter()
                    .cloned()
                    .map(|member| view! { <MemberRow member you change /> })
                    .collect_view()}
            </ul>
        </section>
        {move || {
            confirming()
                .map(|member| {
                    let leaving = member.is_you;
                    let title = if leaving {
                        "Leave this organization?".to_owned()
                    } else {
                        format!("Remove {}?", member.email)
                    };
                    view! {
                        <ConfirmDialog title cancel_href=MEMBERS_URL>
                            <p>
                                {if leaving {
                                    "You will lose access to this organization, and your API tokens for it stop working.".to_owned()
                                } else {
                                    format!("{} loses access at once, and the API tokens they created stop working.", member.email)
                                }}
                            </p>
                            <ActionForm action=remove>
                                <input type="hidden" name="user_id" value=member.user_id.to_string() />
                                <div class="actions end">
                                    <A href=MEMBERS_URL attr:class="button">"Cancel"</A>
                                    <button type="submit" class="danger">
                                        {if leaving { "Leave" } else { "Remove" }}
                                    </button>
                                </div>
                            </ActionForm>
                        </ConfirmDialog>
                    }
                })
        }}
    }
}

/// Roles `you` may give someone (owner only by owners).
fn assignable(you: Role) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| allows(you, action_for_member_change(None, Some(*r)))).collect()
}

#[component]
fn AddMemberForm(add: ServerAction<AddMember>, you: Role) -> impl IntoView {
    let error = action_error(add);
    let added = move || match add.value().get() {
        Some(Ok(added)) => Some(added),
        _ => None,
    };
    view! {
        <section class="card" aria-labelledby="add-member-title">
            <h2 id="add-member-title">"Add a member"</h2>
            <p class="muted">
                "Add someone by email. If they have no account yet, you get a one-time link to send them, with which they set a password."
            </p>
            {move || {
                added()
                    .map(|added| {
                        view! {
                            <div class="alert alert-success" role="status" data-testid="member-added">
                                <strong>{format!("{} was added as {}.", added.email, added.role.label())}</strong>
                                {added
                                    .invitation_link
                                    .map(|link| {
                                        view! {
                                            <p>"They don't have an account yet. Send them this one-time link (valid for 7 days) to set their password:"</p>
                                            <div class="copy-row invite-link">
                                                <code class="value" data-testid="invitation-link">{link.clone()}</code>
                                                <crate::tokens::CopyButton value=link label="Copy link" />
                                            </div>
                                        }
                                    })}
                            </div>
                        }
                    })
            }}
            <ErrorAlert error=form_error(error, &["email", "role"]) />
            <PageForm action=add url=MEMBERS_URL test_id="add-member-form">
                <div class="form-grid">
                    <Field label="Email" name="email" kind="email" required=true error=field_error(error, "email") />
                    <div class="field">
                        <label for="field-role">"Role"</label>
                        <select id="field-role" name="role">
                            {assignable(you)
                                .into_iter()
                                .map(|r| view! { <option value=r.as_str() selected=r == Role::Member>{r.label()}</option> })
                                .collect_view()}
                        </select>
                        {move || field_error(error, "role").get().map(|e| view! { <span class="error-text">{e}</span> })}
                    </div>
                </div>
                <button type="submit" class="primary" disabled=move || add.pending().get()>
                    "Add member"
                </button>
            </PageForm>
        </section>
    }
}

#[component]
fn MemberRow(member: MemberView, you: Role, change: ServerAction<ChangeRole>) -> impl IntoView {
    let may_change_role = !member.is_you && allows(you, action_for_member_change(Some(member.role), None));
    let may_remove = member.is_you || may_change_role;
    let id = member.user_id.to_string();
    view! {
        <li class="list-row" data-testid="member-row" data-email=member.email.clone()>
            <div>
                <div class="row-title">
                    <span>{member.email.clone()}</span>
                    {member.is_you.then(|| view! { <span class="badge">"You"</span> })}
                    <span class=format!("badge role-{}", member.role.as_str()) data-testid="member-role">
                        {member.role.label()}
                    </span>
                    {member.pending_invitation.then(|| view! { <span class="badge warning">"Invitation pending"</span> })}
                </div>
                <div class="row-meta">
                    <span>"Joined " <time datetime=member.joined_at.rfc3339()>{Timestamp::date(member.joined_at)}</time></span>
                    <span>{member.role.description()}</span>
                </div>
            </div>
            <div class="member-controls">
                {may_change_role
                    .then({
                        let (id, member) = (id.clone(), member.clone());
                        move || {
                        let select_id = format!("role-{id}");
                        view! {
                            <ActionForm action=change attr:class="actions">
                                <input type="hidden" name="user_id" value=id.clone() />
                                <label for=select_id.clone() class="visually-hidden">{format!("Role of {}", member.email)}</label>
                                <select id=select_id name="role">
                                    {assignable(you)
                                        .into_iter()
                                        .map(|r| view! { <option value=r.as_str() selected=r == member.role>{r.label()}</option> })
                                        .collect_view()}
                                </select>
                                <button type="submit" class="small" aria-label=format!("Change role: {}", member.email)>
                                    "Change role"
                                </button>
                            </ActionForm>
                        }
                    }})}
                {may_remove
                    .then(|| {
                        let label = if member.is_you { "Leave".to_owned() } else { format!("Remove {}", member.email) };
                        view! {
                            <leptos_router::components::Form method="GET" action=MEMBERS_URL>
                                <input type="hidden" name="remove" value=id.clone() />
                                <button type="submit" class="small danger-outline" aria-label=label>
                                    {if member.is_you { "Leave" } else { "Remove" }}
                                </button>
                            </leptos_router::components::Form>
                        }
                    })}
            </div>
        </li>
    }
}
