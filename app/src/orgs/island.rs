//! The members page's one island: the invite form and the invitation just made, the pending
//! invitations, and the members with each one's actions. They share the roster ([`Ctx`]), so they are
//! one island: inviting lists the invitation, a role change or a removal shows in its row, without a
//! page load. The server renders it with the roster (and, after a form posted without JavaScript, with
//! that post's outcome), so it all works before and without hydration.

use super::{
    invite::InviteForm,
    rows::{InvitationRow, MemberRow},
    state::{Ctx, Initial, PAGE},
};
use crate::ui::{ActError, Notices, dom};
use leptos::{either::Either, prelude::*};
use tessera_core::domain::org::{Action as Permission, Role, allows};

#[island]
pub fn MembersArea(
    /// Everything the island starts from ([`Initial`]), as JSON (read with the server functions' decoder).
    initial: String,
) -> impl IntoView {
    let Ok(initial) = serde_json::from_slice::<Initial>(initial.as_bytes()) else {
        return Either::Right(view! {
            <div class="alert alert-error" role="alert">"This page could not be read. Reload it."</div>
        });
    };
    let secret_in_props = initial.has_secret();
    let ctx = Ctx::new(initial);
    provide_context(ctx);
    if secret_in_props {
        Effect::new(move |_| dom::forget_props("MembersArea"));
    }
    let (org_name, you) = ctx.roster.with_untracked(|r| (r.org_name.clone(), r.your_role));
    let can_manage = allows(you, Permission::ManageMembers);
    let invitations = move || ctx.roster.with(|r| r.invitations.clone());
    let count = move || {
        let n = ctx.roster.with(|r| r.members.len());
        format!("{n} {}", if n == 1 { "person" } else { "people" })
    };
    let owners = move || ctx.roster.with(|r| r.members.iter().filter(|m| m.role == Role::Owner).count());
    Either::Left(view! {
        <div class="page-header">
            <div>
                <h1>"Members"</h1>
                <p>
                    "People in " <strong>{org_name}</strong>
                    ". A role decides what its holder can do here, and what the API tokens they create can do."
                </p>
            </div>
        </div>
        {can_manage.then(|| view! { <InviteForm /> })}
        <Show when=move || can_manage && !invitations().is_empty()>
            <section class="section" aria-labelledby="invitations-title">
                <div class="section-title">
                    <h2 id="invitations-title">"Pending invitations"</h2>
                </div>
                <ul class="list" data-testid="invitations-list">
                    <For each=invitations key=|i| i.id children=|invitation| view! { <InvitationRow invitation /> } />
                </ul>
            </section>
        </Show>
        <Notices acts=ctx.acts />
        <ActError acts=ctx.acts key=PAGE />
        <section class="section" aria-labelledby="members-title">
            <div class="section-title">
                <h2 id="members-title" tabindex="-1">"Members"</h2>
                <span class="muted">{count}</span>
            </div>
            <ul class="list" data-testid="members-list">
                <For
                    each=move || ctx.roster.with(|r| r.members.clone())
                    key=|m| (m.user_id, m.role, m.active_tokens)
                    children=move |member| {
                        let sole_owner = member.role == Role::Owner && owners() == 1;
                        view! { <MemberRow member sole_owner /> }
                    }
                />
            </ul>
        </section>
    })
}
