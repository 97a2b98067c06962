//! Settings → Members: who is in the organization, with which role; admins invite, re-role and remove,
//! and revoke a member's tokens.
//!
//! The server renders the page: the roster, and the island ([`MembersArea`]) that shows it and runs
//! every action in place. Without JavaScript every control still works: each dialog opens through the
//! address (`?remove=<id>`, `?revoke_tokens=<id>`), and each form posts to its server function's own
//! URL, after which the page is rendered with the outcome.

use super::{
    ChangeRole, InviteMember, MembersArea, RemoveMember, ResendInvitation, RevokeInvitation, RevokeMemberTokens,
    state::{Initial, Posted},
};
use crate::{
    forms::{kept_value, posted},
    ui::{SettingsLayout, with_organization},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <SettingsLayout title="Members">
            {with_organization(|_, _| view! { <Members /> })}
        </SettingsLayout>
    }
}

/// The fields of the members page's forms worth giving back after a failed post.
const KEPT_FIELDS: [&str; 2] = ["email", "role"];

#[component]
fn Members() -> impl IntoView {
    let roster = Resource::new(|| (), |_| super::list_members());
    let query = use_query_map().get_untracked();
    let param = move |name: &str| query.get(name).filter(|v| !v.is_empty());
    let (open_remove, open_revoke) = (param("remove"), param("revoke_tokens"));
    let posted = Posted {
        invited: posted::<InviteMember>(),
        role_changed: posted::<ChangeRole>(),
        removed: posted::<RemoveMember>(),
        invitation_revoked: posted::<RevokeInvitation>(),
        invitation_resent: posted::<ResendInvitation>(),
        tokens_revoked: posted::<RevokeMemberTokens>(),
        kept: KEPT_FIELDS.iter().filter_map(|f| kept_value(f).map(|v| ((*f).to_owned(), v))).collect(),
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || {
                let (open_remove, open_revoke, posted) = (open_remove.clone(), open_revoke.clone(), posted.clone());
                roster.get().map(move |data| match data {
                    Ok(roster) => {
                        let initial = Initial { roster, open_remove, open_revoke, posted };
                        let initial = serde_json::to_string(&initial).unwrap_or_default();
                        view! { <MembersArea initial /> }.into_any()
                    }
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}
