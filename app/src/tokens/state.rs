//! What the tokens island knows: the page's data, what is on its way, and what the page shows because
//! of it (the reveal, the notice, the error). Each action calls its typed server function and handles
//! the answer here, once; the components only start actions and read.
//!
//! The island is kept small on purpose (every signal type, effect and view type is WebAssembly the page
//! downloads): a handful of signals, no effect per action (each call is one task that awaits its answer),
//! and the page's data read with the same JSON decoder as the server functions' answers.

use super::{CreatedToken, RotatedToken, TokensPageData, names::display_name};
use crate::{
    error::AppError,
    ui::{dom, submit::FormFields as Fields},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::{domain::org::Role, time::Timestamp};

/// The page's address: the open form or dialog (without JavaScript, they open through it) and the
/// page of each list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    /// `?new=1`: the create form is open.
    pub new: bool,
    /// `?delete=<id>`, `?rotate=<id>`, `?leaked=<id>`: that token's dialog is open.
    pub delete: Option<String>,
    pub rotate: Option<String>,
    pub leaked: Option<String>,
    pub cursors: Cursors,
}

/// Where each list's page starts (`?after=`, `?expired_after=`, `?revoked_after=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors {
    pub after: Option<String>,
    pub expired_after: Option<String>,
    pub revoked_after: Option<String>,
}

/// The outcome of a form posted without JavaScript, which the page was rendered after. The created
/// token's secret is in it (the one time it is shown): the server puts it into that one answer only.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Posted {
    pub created: Option<Result<CreatedToken, AppError>>,
    pub rotated: Option<Result<RotatedToken, AppError>>,
    pub deleted: Option<Result<(), AppError>>,
    /// "Report as leaked": true when the report revoked the token.
    pub reported: Option<Result<bool, AppError>>,
    pub revoked_all: Option<Result<usize, AppError>>,
    /// What was typed into the form that was posted, by field name (never a secret).
    pub kept: Vec<(String, String)>,
}

/// Everything the island starts from, as the server renders it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Initial {
    pub data: TokensPageData,
    pub org_name: String,
    pub role: Role,
    pub query: PageQuery,
    pub posted: Posted,
}

impl Initial {
    /// Whether a secret came in with the page (then the island forgets its props once hydrated).
    pub fn has_secret(&self) -> bool {
        matches!(self.posted.created, Some(Ok(_))) || matches!(self.posted.rotated, Some(Ok(_)))
    }
}

/// A new secret on show: a created token, or a rotation's successor with the old secret's deadline.
#[derive(Clone, PartialEq, Eq)]
pub struct Reveal {
    pub token: CreatedToken,
    pub old_valid_until: Option<Timestamp>,
}

/// The token the delete, rotate and report dialogs (one of each on the page) are about.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub id: String,
    /// How the dialog's title calls it.
    pub title: String,
    /// The successor's lifetime, unless another is chosen: the token's own, within the policy.
    pub rotation_days: i64,
}

impl Target {
    pub fn of(listing: &tessera_core::views::TokenListing, policy_max: i64) -> Self {
        let t = &listing.token;
        Self {
            id: t.id.to_string(),
            title: display_name(t),
            rotation_days: tessera_core::domain::policy::rotation_days(t.created_at, t.expires_at, policy_max),
        }
    }
}

/// The dialog the page's address opened (`?delete=<id>`, `?rotate=<id>`, `?leaked=<id>`): the server
/// renders it open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Delete,
    Rotate,
    Leaked,
}

/// What was just done, said in the page's status region.
#[derive(Clone, PartialEq, Eq)]
pub enum Notice {
    /// A token was deleted: its name (or short id), when known.
    Deleted(Option<String>),
    /// Every token of the organization was revoked: how many.
    RevokedAll(usize),
    /// A token was reported as leaked: its name (or short id), when known, and whether the report
    /// revoked it (false: it had stopped working already; the report is recorded).
    Reported(Option<String>, bool),
}

/// What the island is waiting for: its button says so and can't be pressed again.
#[derive(Clone, PartialEq, Eq)]
pub enum Busy {
    Creating,
    Deleting(String),
    Rotating(String),
    Reporting(String),
    Revoking,
}

/// Where an error is shown.
#[derive(Clone, PartialEq, Eq)]
pub enum Place {
    /// Beside the create form's fields (or above the form).
    Create,
    /// In the danger zone.
    RevokeAll,
    /// In the dialog of the token with this id.
    Row(String),
    /// Above the lists (a delete or rotation posted without JavaScript).
    Page,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    pub place: Place,
    pub error: AppError,
}

/// What is remembered without being shown.
#[derive(Default)]
struct Memory {
    /// What was typed into the form whose post failed, to fill it in again.
    kept: Vec<(String, String)>,
    cursors: Cursors,
    /// Refreshes started (an answer is used only if no later one was started); one on its way.
    refreshes: u64,
    refreshing: bool,
}

#[derive(Clone, Copy)]
pub struct Ctx {
    pub data: RwSignal<TokensPageData>,
    pub role: Role,
    pub form_open: RwSignal<bool>,
    /// Set once the island runs in the browser (what needs JavaScript says so only then).
    pub hydrated: RwSignal<bool>,
    pub reveal: RwSignal<Option<Reveal>>,
    pub notice: RwSignal<Option<Notice>>,
    pub busy: RwSignal<Option<Busy>>,
    pub failure: RwSignal<Option<Failure>>,
    pub target: RwSignal<Option<Target>>,
    /// The dialog the address opened, if any.
    pub opened: Option<Opened>,
    memory: StoredValue<Memory>,
}

impl Ctx {
    pub fn new(initial: Initial) -> Self {
        let Initial { data, role, query, posted, .. } = initial;
        let kept = |field: &str| posted.kept.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone());
        let reveal = match (&posted.created, &posted.rotated) {
            (Some(Ok(token)), _) => Some(Reveal { token: token.clone(), old_valid_until: None }),
            (_, Some(Ok(rotation))) => {
                Some(Reveal { token: rotation.successor.clone(), old_valid_until: Some(rotation.old_valid_until) })
            }
            _ => None,
        };
        let failure = match (&posted.created, &posted.revoked_all, &posted.rotated, &posted.deleted, &posted.reported) {
            (Some(Err(e)), ..) => Some(Failure { place: Place::Create, error: e.clone() }),
            (_, Some(Err(e)), ..) => Some(Failure { place: Place::RevokeAll, error: e.clone() }),
            (_, _, Some(Err(e)), ..) | (_, _, _, Some(Err(e)), _) | (.., Some(Err(e))) => {
                Some(Failure { place: Place::Page, error: e.clone() })
            }
            _ => None,
        };
        let form_open = reveal.is_none() && (query.new || failure.as_ref().is_some_and(|f| f.place == Place::Create));
        // The deleted (or reported) token is in the revoked list now; its id is known if the post's fields
        // were kept.
        let revoked_name = || {
            kept("id").and_then(|id| {
                data.revoked.items.iter().find(|l| l.token.id.to_string() == id).map(|l| display_name(&l.token))
            })
        };
        let notice = match (&posted.deleted, &posted.revoked_all, &posted.reported) {
            (Some(Ok(())), ..) => Some(Notice::Deleted(revoked_name())),
            (_, Some(Ok(n)), _) => Some(Notice::RevokedAll(*n)),
            (.., Some(Ok(revoked))) => Some(Notice::Reported(revoked_name(), *revoked)),
            _ => None,
        };
        let opened = [
            (query.delete.as_deref(), Opened::Delete),
            (query.rotate.as_deref(), Opened::Rotate),
            (query.leaked.as_deref(), Opened::Leaked),
        ]
        .into_iter()
        .find_map(|(id, dialog)| {
            let all = data.active.items.iter().chain(&data.expired.items);
            let listing = all.clone().find(|l| id.is_some_and(|id| l.token.id.to_string() == id))?;
            Some((dialog, Target::of(listing, data.policy.max_lifetime.days())))
        });
        Self {
            opened: opened.as_ref().map(|(dialog, _)| *dialog),
            target: RwSignal::new(opened.map(|(_, target)| target)),
            data: RwSignal::new(data),
            role,
            form_open: RwSignal::new(form_open),
            hydrated: RwSignal::new(false),
            reveal: RwSignal::new(reveal),
            notice: RwSignal::new(notice),
            busy: RwSignal::new(None),
            failure: RwSignal::new(failure),
            memory: StoredValue::new(Memory { kept: posted.kept, cursors: query.cursors, ..Memory::default() }),
        }
    }

    /// What was typed into `field` before a failed post.
    pub fn kept(&self, field: &str) -> Option<String> {
        self.memory.with_value(|m| m.kept.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone()))
    }

    /// Whether the address pages through the `kind` list.
    pub fn paged(&self, kind: super::names::ListKind) -> bool {
        use super::names::ListKind;
        self.memory.with_value(|m| match kind {
            ListKind::Active => m.cursors.after.is_some(),
            ListKind::Expired => m.cursors.expired_after.is_some(),
            ListKind::Revoked => m.cursors.revoked_after.is_some(),
        })
    }

    /// Whether `busy` is what the island waits for.
    pub fn is_busy(&self, busy: &Busy) -> bool {
        self.busy.with(|b| b.as_ref() == Some(busy))
    }

    /// Whether the dialogs' token is being deleted (or rotated).
    pub fn target_busy(&self, busy: fn(String) -> Busy) -> bool {
        self.target.with(|t| t.as_ref().is_some_and(|t| self.is_busy(&busy(t.id.clone()))))
    }

    /// The error of the last action on the dialogs' token.
    pub fn target_error(&self) -> Option<AppError> {
        self.target.with(|t| t.as_ref().and_then(|t| self.error_at(&Place::Row(t.id.clone()))))
    }

    /// The error shown at `place`, if any.
    pub fn error_at(&self, place: &Place) -> Option<AppError> {
        self.failure.with(|f| f.as_ref().filter(|f| f.place == *place).map(|f| f.error.clone()))
    }

    pub fn open_form(&self) {
        self.notice.set(None);
        self.form_open.set(true);
        dom::focus_first(&["#token-name"]);
    }

    pub fn close_form(&self) {
        self.clear_failure(&Place::Create);
        self.form_open.set(false);
        self.focus_create_button();
    }

    fn clear_failure(&self, place: &Place) {
        if self.failure.with_untracked(|f| f.as_ref().is_some_and(|f| f.place == *place)) {
            self.failure.set(None);
        }
    }

    /// Runs one call: the page says it is waiting, then shows its answer.
    fn run<T: 'static>(
        self,
        busy: Busy,
        place: Place,
        call: impl std::future::Future<Output = Result<T, AppError>> + 'static,
        done: impl FnOnce(Self, T) + 'static,
    ) {
        if self.busy.with_untracked(Option::is_some) {
            return;
        }
        self.clear_failure(&place);
        self.busy.set(Some(busy));
        leptos::task::spawn_local(async move {
            let answer = call.await;
            self.busy.set(None);
            match answer {
                Ok(value) => done(self, value),
                Err(error) => {
                    let focus: &'static [&'static str] = match place {
                        Place::Create => &["[data-testid=\"create-token-form\"] [aria-invalid=\"true\"]"],
                        Place::RevokeAll => &["#confirm-revoke-all"],
                        Place::Row(_) | Place::Page => &[],
                    };
                    self.failure.set(Some(Failure { place, error }));
                    dom::focus_first(focus);
                }
            }
        });
    }

    pub fn create(self, form: Fields) {
        let call = super::create_token(form.get("name"), form.get("expires_in_days"), form.get("custom_days"));
        self.run(Busy::Creating, Place::Create, call, |ctx, token| {
            ctx.memory.update_value(|m| m.kept.clear());
            ctx.notice.set(None);
            ctx.form_open.set(false);
            ctx.show_secret(Reveal { token, old_valid_until: None });
        });
    }

    pub fn delete(self, form: Fields) {
        let id = form.get("id");
        let call = super::delete_token(id.clone());
        self.run(Busy::Deleting(id.clone()), Place::Row(id.clone()), call, move |ctx, ()| {
            let name = ctx.data.with_untracked(|d| {
                d.active
                    .items
                    .iter()
                    .chain(&d.expired.items)
                    .find(|l| l.token.id.to_string() == id)
                    .map(|l| display_name(&l.token))
            });
            dom::close_dialogs();
            ctx.data.update(|d| {
                d.active.items.retain(|l| l.token.id.to_string() != id);
                d.expired.items.retain(|l| l.token.id.to_string() != id);
            });
            ctx.notice.set(Some(Notice::Deleted(name)));
            ctx.focus_create_button();
            ctx.refresh();
        });
    }

    /// Reports the token as leaked: it is revoked (with its rotation family) and moves to the revoked
    /// list, which is read again (it shows where the leak was found).
    pub fn report_leaked(self, form: Fields) {
        let id = form.get("id");
        let call = super::report_leaked(id.clone(), form.get("url"), form.get("source"));
        self.run(Busy::Reporting(id.clone()), Place::Row(id.clone()), call, move |ctx, revoked| {
            let name = ctx.data.with_untracked(|d| {
                d.active.items.iter().find(|l| l.token.id.to_string() == id).map(|l| display_name(&l.token))
            });
            dom::close_dialogs();
            ctx.data.update(|d| d.active.items.retain(|l| l.token.id.to_string() != id));
            ctx.notice.set(Some(Notice::Reported(name, revoked)));
            ctx.focus_create_button();
            ctx.refresh();
        });
    }

    pub fn rotate(self, form: Fields) {
        let id = form.get("id");
        let call = super::rotate_token(id.clone(), form.get("grace"), form.get("expires_in_days"));
        self.run(Busy::Rotating(id.clone()), Place::Row(id), call, |ctx, rotation| {
            dom::close_dialogs();
            ctx.notice.set(None);
            ctx.form_open.set(false);
            ctx.show_secret(Reveal { token: rotation.successor, old_valid_until: Some(rotation.old_valid_until) });
        });
    }

    pub fn revoke_all(self, form: Fields) {
        let call = super::revoke_all_tokens(form.get("confirm"));
        self.run(Busy::Revoking, Place::RevokeAll, call, |ctx, n| {
            ctx.notice.set(Some(Notice::RevokedAll(n)));
            ctx.focus_create_button();
            ctx.refresh();
        });
    }

    /// Shows a new secret (it takes the focus), and reads the list again, where its token now is.
    fn show_secret(self, reveal: Reveal) {
        self.reveal.set(Some(reveal));
        dom::focus_first(&["#token-secret-value"]);
        self.refresh();
    }

    /// Closes the reveal panel: the secret is forgotten (a reload or leaving the page loses it too).
    /// The list is read again: the token may have been used meanwhile.
    pub fn forget_secret(self) {
        self.reveal.set(None);
        self.focus_create_button();
        self.refresh();
    }

    /// After an action that leaves nothing in particular to focus: the way to the next one.
    pub fn focus_create_button(&self) {
        dom::focus_first(&["#create-token-button", "#active-title"]);
    }

    /// Reads the lists again (the same pages of them), after an action or when the tab is back in view.
    pub fn refresh(self) {
        let (started, cursors) = self
            .memory
            .try_update_value(|m| {
                m.refreshes += 1;
                m.refreshing = true;
                (m.refreshes, m.cursors.clone())
            })
            .unwrap_or_default();
        leptos::task::spawn_local(async move {
            let fresh = super::tokens_overview(cursors.after, cursors.expired_after, cursors.revoked_after).await;
            let latest = self.memory.try_update_value(|m| {
                let latest = m.refreshes == started;
                m.refreshing &= !latest;
                latest
            });
            if latest == Some(true)
                && let Ok(fresh) = fresh
            {
                self.data.set(fresh);
            }
        });
    }

    /// Once in the browser: refreshes whenever the tab is shown or focused again, so a token deleted
    /// elsewhere (another tab, another administrator) disappears. A refresh on its way is enough.
    pub fn start(self) {
        self.hydrated.set(true);
        #[cfg(feature = "hydrate")]
        {
            let again = move |_| {
                if !document().hidden() && !self.memory.with_value(|m| m.refreshing) {
                    self.refresh();
                }
            };
            // The island lives as long as the page: the listeners are never removed.
            let _ = window_event_listener_untyped("visibilitychange", again);
            let _ = window_event_listener_untyped("focus", again);
        }
    }
}
