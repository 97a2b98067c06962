//! What the tokens island knows: the page's data, the four server actions, and what the page shows
//! because of them (the reveal, the notice, the errors). Each action's answer is handled once, here:
//! the components only dispatch and read.

use super::{CreateToken, CreatedToken, DeleteToken, RevokeAllTokens, RotateToken, TokensPageData, row::display_name};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::{domain::org::Role, time::Timestamp};

/// The page's address: the open form or dialog (without JavaScript, they open through it) and the
/// page of each list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    /// `?new=1`: the create form is open.
    pub new: bool,
    /// `?delete=<id>`, `?rotate=<id>`: that token's dialog is open.
    pub delete: Option<String>,
    pub rotate: Option<String>,
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
    pub rotated: Option<Result<super::RotatedToken, AppError>>,
    pub deleted: Option<Result<(), AppError>>,
    pub revoked_all: Option<Result<usize, AppError>>,
    /// What was typed into the form that was posted, by field name (never a secret).
    pub kept: Vec<(String, String)>,
}

impl Posted {
    /// Whether a secret came in with the page (then the island forgets its props once hydrated).
    pub fn has_secret(&self) -> bool {
        matches!(self.created, Some(Ok(_))) || matches!(self.rotated, Some(Ok(_)))
    }
}

/// A new secret on show: a created token, or a rotation's successor with the old secret's deadline.
#[derive(Clone, PartialEq, Eq)]
pub struct Reveal {
    pub token: CreatedToken,
    pub old_valid_until: Option<Timestamp>,
}

/// What was just done, said in the page's status region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A token was deleted: its name (or short id), when known.
    Deleted(Option<String>),
    /// Every token of the organization was revoked: how many.
    RevokedAll(usize),
}

#[derive(Clone, Copy)]
pub struct Ctx {
    pub data: RwSignal<TokensPageData>,
    pub role: Role,
    pub create: ServerAction<CreateToken>,
    pub delete: ServerAction<DeleteToken>,
    pub rotate: ServerAction<RotateToken>,
    pub revoke_all: ServerAction<RevokeAllTokens>,
    pub form_open: RwSignal<bool>,
    pub reveal: RwSignal<Option<Reveal>>,
    pub notice: RwSignal<Option<Notice>>,
    pub create_error: RwSignal<Option<AppError>>,
    pub revoke_error: RwSignal<Option<AppError>>,
    /// A failed delete or rotation posted without JavaScript (shown above the lists).
    pub page_error: RwSignal<Option<AppError>>,
    /// A failed delete or rotation with JavaScript: the token's id, and the error (shown in its dialog).
    pub row_error: RwSignal<Option<(String, AppError)>>,
    /// What was typed into the form whose post failed, to fill it in again.
    pub kept: StoredValue<Vec<(String, String)>>,
    /// The dialog the address opened (`?delete=`/`?rotate=`), until the list is first refreshed.
    pub opened: StoredValue<(Option<String>, Option<String>)>,
    cursors: StoredValue<Cursors>,
    /// The token the last delete and the last rotation were about.
    deleting: StoredValue<Option<String>>,
    rotating: StoredValue<Option<String>>,
    /// Refreshes started (an answer is used only if no later one was started), and whether one is on
    /// its way. Only the browser refreshes.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    refreshes: StoredValue<u64>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    refreshing: StoredValue<bool>,
}

impl Ctx {
    pub fn new(data: TokensPageData, role: Role, query: PageQuery, posted: Posted) -> Self {
        let reveal = match (&posted.created, &posted.rotated) {
            (Some(Ok(token)), _) => Some(Reveal { token: token.clone(), old_valid_until: None }),
            (_, Some(Ok(rotation))) => {
                Some(Reveal { token: rotation.successor.clone(), old_valid_until: Some(rotation.old_valid_until) })
            }
            _ => None,
        };
        let create_error = posted.created.and_then(Result::err);
        let form_open = reveal.is_none() && (query.new || create_error.is_some());
        let page_error = [posted.rotated.and_then(Result::err), posted.deleted.clone().and_then(Result::err)]
            .into_iter()
            .flatten()
            .next();
        let kept_value = |field: &str| posted.kept.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone());
        let notice = match (posted.deleted, posted.revoked_all.clone()) {
            // The deleted token is in the revoked list now; its id is known if the post's fields were kept.
            (Some(Ok(())), _) => Some(Notice::Deleted(kept_value("id").and_then(|id| {
                data.revoked.items.iter().find(|l| l.token.id.to_string() == id).map(|l| display_name(&l.token))
            }))),
            (_, Some(Ok(n))) => Some(Notice::RevokedAll(n)),
            _ => None,
        };
        let ctx = Self {
            data: RwSignal::new(data),
            role,
            create: ServerAction::new(),
            delete: ServerAction::new(),
            rotate: ServerAction::new(),
            revoke_all: ServerAction::new(),
            form_open: RwSignal::new(form_open),
            reveal: RwSignal::new(reveal),
            notice: RwSignal::new(notice),
            create_error: RwSignal::new(create_error),
            revoke_error: RwSignal::new(posted.revoked_all.and_then(Result::err)),
            page_error: RwSignal::new(page_error),
            row_error: RwSignal::new(None),
            kept: StoredValue::new(posted.kept),
            opened: StoredValue::new((query.delete, query.rotate)),
            cursors: StoredValue::new(query.cursors),
            deleting: StoredValue::new(None),
            rotating: StoredValue::new(None),
            refreshes: StoredValue::new(0),
            refreshing: StoredValue::new(false),
        };
        ctx.handle_answers();
        ctx
    }

    /// What was typed into `field` before a failed post.
    pub fn kept(&self, field: &str) -> Option<String> {
        self.kept.with_value(|kept| kept.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone()))
    }

    /// Whether the address pages through the `kind` list.
    pub fn paged(&self, kind: super::row::ListKind) -> bool {
        use super::row::ListKind;
        self.cursors.with_value(|c| match kind {
            ListKind::Active => c.after.is_some(),
            ListKind::Expired => c.expired_after.is_some(),
            ListKind::Revoked => c.revoked_after.is_some(),
        })
    }

    pub fn start_create(&self, input: CreateToken) {
        self.create_error.set(None);
        self.create.dispatch(input);
    }

    pub fn start_delete(&self, input: DeleteToken) {
        self.row_error.set(None);
        self.deleting.set_value(Some(input.id.clone()));
        self.delete.dispatch(input);
    }

    pub fn start_rotate(&self, input: RotateToken) {
        self.row_error.set(None);
        self.rotating.set_value(Some(input.id.clone()));
        self.rotate.dispatch(input);
    }

    pub fn start_revoke_all(&self, input: RevokeAllTokens) {
        self.revoke_error.set(None);
        self.revoke_all.dispatch(input);
    }

    /// After an action that leaves nothing in particular to focus: the way to the next one.
    pub fn focus_create_button(&self) {
        dom::focus_first(&["#create-token-button", "#active-title"]);
    }

    /// Closes the reveal panel: the secret is forgotten (a reload or leaving the page loses it too).
    /// The list is read again: the token may have been used meanwhile.
    pub fn forget_secret(self) {
        self.reveal.set(None);
        self.refresh();
    }

    /// Whether the delete (or rotation) of token `id` is on its way.
    pub fn deleting(&self, id: &str) -> bool {
        self.delete.input().with(|i| i.as_ref().is_some_and(|i| i.id == id))
    }

    pub fn rotating(&self, id: &str) -> bool {
        self.rotate.input().with(|i| i.as_ref().is_some_and(|i| i.id == id))
    }

    /// The error of the last delete or rotation of token `id`, if it failed.
    pub fn row_error(&self, id: &str) -> Option<AppError> {
        self.row_error.with(|e| e.as_ref().filter(|(i, _)| i == id).map(|(_, e)| e.clone()))
    }

    /// Each answer, once: what it changes on the page. (Effects run in the browser only.)
    fn handle_answers(self) {
        let ctx = self;
        Effect::watch(
            move || ctx.create.version().get(),
            move |_, _, _| match ctx.create.value().try_update(Option::take).flatten() {
                Some(Ok(token)) => {
                    ctx.kept.set_value(Vec::new());
                    ctx.notice.set(None);
                    ctx.form_open.set(false);
                    ctx.reveal.set(Some(Reveal { token, old_valid_until: None }));
                    ctx.refresh();
                }
                Some(Err(error)) => {
                    ctx.create_error.set(Some(error));
                    dom::focus_first(&["[data-testid=\"create-token-form\"] [aria-invalid=\"true\"]"]);
                }
                None => {}
            },
            false,
        );
        Effect::watch(
            move || ctx.delete.version().get(),
            move |_, _, _| {
                let id = ctx.deleting.get_value().unwrap_or_default();
                match ctx.delete.value().try_update(Option::take).flatten() {
                    Some(Ok(())) => {
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
                    }
                    Some(Err(error)) => ctx.row_error.set(Some((id, error))),
                    None => {}
                }
            },
            false,
        );
        Effect::watch(
            move || ctx.rotate.version().get(),
            move |_, _, _| {
                let id = ctx.rotating.get_value().unwrap_or_default();
                match ctx.rotate.value().try_update(Option::take).flatten() {
                    Some(Ok(rotation)) => {
                        dom::close_dialogs();
                        ctx.notice.set(None);
                        ctx.form_open.set(false);
                        ctx.reveal.set(Some(Reveal {
                            token: rotation.successor,
                            old_valid_until: Some(rotation.old_valid_until),
                        }));
                        ctx.refresh();
                    }
                    Some(Err(error)) => ctx.row_error.set(Some((id, error))),
                    None => {}
                }
            },
            false,
        );
        Effect::watch(
            move || ctx.revoke_all.version().get(),
            move |_, _, _| match ctx.revoke_all.value().try_update(Option::take).flatten() {
                Some(Ok(n)) => {
                    ctx.notice.set(Some(Notice::RevokedAll(n)));
                    ctx.focus_create_button();
                    ctx.refresh();
                }
                Some(Err(error)) => {
                    ctx.revoke_error.set(Some(error));
                    dom::focus_first(&["#confirm-revoke-all"]);
                }
                None => {}
            },
            false,
        );
    }

    /// Reads the lists again (the same pages of them), after an action or when the tab is back in view.
    pub fn refresh(self) {
        #[cfg(feature = "hydrate")]
        {
            let started = self.refreshes.get_value() + 1;
            self.refreshes.set_value(started);
            self.refreshing.set_value(true);
            // The address's dialog was for the page as it was loaded; a fresh list doesn't reopen it.
            self.opened.set_value((None, None));
            let Cursors { after, expired_after, revoked_after } = self.cursors.get_value();
            leptos::task::spawn_local(async move {
                let fresh = super::tokens_overview(after, expired_after, revoked_after).await;
                if self.refreshes.get_value() == started {
                    self.refreshing.set_value(false);
                    if let Ok(fresh) = fresh {
                        self.data.set(fresh);
                    }
                }
            });
        }
    }

    /// Refreshes when the tab is shown or focused again, so a token deleted elsewhere (another tab,
    /// another administrator) disappears. A refresh already on its way is enough.
    pub fn refresh_on_return(self) {
        #[cfg(feature = "hydrate")]
        {
            let again = move |_| {
                if !document().hidden() && !self.refreshing.get_value() {
                    self.refresh();
                }
            };
            // The island lives as long as the page: the listeners are never removed.
            let _ = window_event_listener_untyped("visibilitychange", again);
            let _ = window_event_listener_untyped("focus", again);
        }
    }
}

/// The few things the island does to the document directly.
mod dom {
    /// Closes every open dialog (the action it asked for is done).
    pub fn close_dialogs() {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Ok(open) = leptos::prelude::document().query_selector_all("dialog[open]") {
                for i in 0..open.length() {
                    if let Some(dialog) = open.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlDialogElement>().ok()) {
                        dialog.close();
                    }
                }
            }
        }
    }

    /// Moves the focus to the first element found by one of `selectors` (tried in order), once the
    /// page has been redrawn.
    pub fn focus_first(selectors: &'static [&'static str]) {
        #[cfg(feature = "hydrate")]
        leptos::prelude::request_animation_frame(move || {
            use wasm_bindgen::JsCast;
            let document = leptos::prelude::document();
            if let Some(element) = selectors
                .iter()
                .find_map(|s| document.query_selector(s).ok().flatten())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = element.focus();
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = selectors;
    }
}
