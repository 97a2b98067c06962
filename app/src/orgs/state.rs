//! What the members island knows: the roster, the invitation just made (its one-time link lives here,
//! in memory only), and its actions. Each action calls its typed server function and handles the answer
//! here, once; the components only start actions and read.

use super::{Invited, Roster};
use crate::{
    error::AppError,
    ui::{Acts, FormFields as Fields, Notice, dom},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::views::MemberEntry;

/// The outcome of a form posted without JavaScript, which the page was rendered after. The invitation
/// link is in it (the one time it is shown): the server puts it into that one answer only.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Posted {
    pub invited: Option<Result<Invited, AppError>>,
    pub role_changed: Option<Result<(), AppError>>,
    pub removed: Option<Result<(), AppError>>,
    pub invitation_revoked: Option<Result<(), AppError>>,
    pub invitation_resent: Option<Result<(), AppError>>,
    pub tokens_revoked: Option<Result<usize, AppError>>,
    /// What was typed into the form that was posted, by field name.
    pub kept: Vec<(String, String)>,
}

/// Everything the island starts from, as the server renders it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Initial {
    pub roster: Roster,
    /// `?remove=<user id>` / `?revoke_tokens=<user id>`: that dialog is rendered open (without JavaScript).
    pub open_remove: Option<String>,
    pub open_revoke: Option<String>,
    pub posted: Posted,
}

impl Initial {
    /// Whether a one-time link came in with the page (then the island forgets its props once hydrated).
    pub fn has_secret(&self) -> bool {
        matches!(&self.posted.invited, Some(Ok(invited)) if invited.link.is_some())
    }
}

/// The actions' keys (a row's add the member's or invitation's id).
pub const INVITE: &str = "invite";
/// Errors of actions posted without JavaScript, other than the invitation's: above the lists.
pub const PAGE: &str = "page";

pub fn key(action: &str, id: &str) -> String {
    format!("{action}-{id}")
}

#[derive(Clone, Copy)]
pub struct Ctx {
    pub roster: RwSignal<Roster>,
    /// The invitation just made, with its one-time link when the server sends no email.
    pub invited: RwSignal<Option<Invited>>,
    pub acts: Acts,
    /// The dialogs the address opened (remove, revoke tokens), by user id.
    opened: StoredValue<(Option<String>, Option<String>)>,
    kept: StoredValue<Vec<(String, String)>>,
}

impl Ctx {
    pub fn new(initial: Initial) -> Self {
        let Initial { roster, open_remove, open_revoke, posted } = initial;
        let failure = match &posted {
            Posted { invited: Some(Err(e)), .. } => Some((INVITE.to_owned(), e.clone())),
            Posted { role_changed: Some(Err(e)), .. }
            | Posted { removed: Some(Err(e)), .. }
            | Posted { invitation_revoked: Some(Err(e)), .. }
            | Posted { invitation_resent: Some(Err(e)), .. }
            | Posted { tokens_revoked: Some(Err(e)), .. } => Some((PAGE.to_owned(), e.clone())),
            _ => None,
        };
        // Without JavaScript the page knows what was done, not to whom.
        let notice = match &posted {
            Posted { role_changed: Some(Ok(())), .. } => {
                Some(Notice::new("member-role-changed", "The role was changed."))
            }
            Posted { removed: Some(Ok(())), .. } => Some(Notice::new("member-removed", "The member was removed.")),
            Posted { invitation_revoked: Some(Ok(())), .. } => {
                Some(Notice::new("invitation-revoked", "The invitation was revoked."))
            }
            Posted { invitation_resent: Some(Ok(())), .. } => {
                Some(Notice::new("invitation-resent", "The invitation was emailed again, with a new link."))
            }
            Posted { tokens_revoked: Some(Ok(n)), .. } => {
                Some(Notice::new("member-tokens-revoked", revoked_text(*n, None)))
            }
            _ => None,
        };
        Self {
            roster: RwSignal::new(roster),
            invited: RwSignal::new(posted.invited.and_then(Result::ok)),
            acts: Acts::new(failure, notice),
            opened: StoredValue::new((open_remove, open_revoke)),
            kept: StoredValue::new(posted.kept),
        }
    }

    /// What was typed into `field` before a failed post.
    pub fn kept(&self, field: &str) -> Option<String> {
        self.kept.with_value(|k| k.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone()))
    }

    /// Whether the address opened the remove (or revoke tokens) dialog of `id`.
    pub fn opened(&self, id: &str, remove: bool) -> bool {
        self.opened.with_value(|(r, t)| if remove { r } else { t }.as_deref() == Some(id))
    }

    fn member(&self, id: &str) -> Option<MemberEntry> {
        self.roster.with_untracked(|r| r.members.iter().find(|m| m.user_id.to_string() == id).cloned())
    }

    fn invitation_email(&self, id: &str) -> String {
        self.roster.with_untracked(|r| {
            r.invitations.iter().find(|i| i.id.to_string() == id).map(|i| i.email.clone()).unwrap_or_default()
        })
    }

    pub fn invite(self, form: Fields) {
        let call = super::invite_member(form.get("email"), form.get("role"));
        self.acts.run(INVITE.to_owned(), call, move |invited| {
            self.invited.set(Some(invited));
            dom::reset_form("invite-form");
            dom::focus_first(&["#invited-title"]);
            self.refresh();
        });
    }

    pub fn change_role(self, form: Fields) {
        let (id, role) = (form.get("user_id"), form.get("role"));
        let call = super::change_role(id.clone(), role.clone());
        self.acts.run(key("role", &id), call, move |()| {
            let role = role.parse::<tessera_core::domain::org::Role>().ok();
            if let (Some(member), Some(role)) = (self.member(&id), role) {
                self.acts.say(Notice::new(
                    "member-role-changed",
                    format!("Role of {} changed to {}.", member.email, role.label()),
                ));
            }
            self.refresh();
        });
    }

    pub fn remove(self, form: Fields) {
        let id = form.get("user_id");
        let leaving = self.roster.with_untracked(|r| r.you.to_string() == id);
        self.acts.run(key("remove", &id), super::remove_member(id.clone()), move |()| {
            if leaving {
                // Nothing on this page is theirs any more.
                dom::go_to(crate::routes::TOKENS_URL);
                return;
            }
            let email = self.member(&id).map(|m| m.email).unwrap_or_default();
            dom::close_dialogs();
            self.roster.update(|r| r.members.retain(|m| m.user_id.to_string() != id));
            self.acts.say(Notice::new(
                "member-removed",
                format!("Member {email} removed. The API tokens they created were revoked."),
            ));
            dom::focus_first(&["#members-title"]);
            self.refresh();
        });
    }

    pub fn revoke_tokens(self, form: Fields) {
        let id = form.get("user_id");
        self.acts.run(key("revoke", &id), super::revoke_member_tokens(id.clone()), move |n| {
            let email = self.member(&id).map(|m| m.email);
            dom::close_dialogs();
            self.roster.update(|r| {
                r.members.iter_mut().filter(|m| m.user_id.to_string() == id).for_each(|m| m.active_tokens = 0)
            });
            self.acts.say(Notice::new("member-tokens-revoked", revoked_text(n, email.as_deref())));
            dom::focus_first(&["#members-title"]);
            self.refresh();
        });
    }

    pub fn revoke_invitation(self, form: Fields) {
        let id = form.get("id");
        self.acts.run(key("uninvite", &id), super::revoke_invitation(id.clone()), move |()| {
            let email = self.invitation_email(&id);
            self.roster.update(|r| r.invitations.retain(|i| i.id.to_string() != id));
            self.acts.say(Notice::new(
                "invitation-revoked",
                format!("Invitation of {email} revoked. Its link no longer works."),
            ));
            dom::focus_first(&["#members-title"]);
            self.refresh();
        });
    }

    pub fn resend_invitation(self, form: Fields) {
        let id = form.get("id");
        self.acts.run(key("resend", &id), super::resend_invitation(id.clone()), move |()| {
            let email = self.invitation_email(&id);
            self.acts.say(Notice::new(
                "invitation-resent",
                format!("Invitation emailed again to {email}, with a new link; the previous one no longer works."),
            ));
        });
    }

    /// Reads the roster again (it may have changed meanwhile, and counts follow the action).
    fn refresh(self) {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = super::list_members().await {
                self.roster.set(fresh);
            }
        });
    }
}

fn revoked_text(n: usize, email: Option<&str>) -> String {
    let whose = email.map(|e| format!(" of {e}")).unwrap_or_default();
    let (s, verb) = if n == 1 { ("", "was") } else { ("s", "were") };
    format!("{n} token{s}{whose} {verb} revoked.")
}
