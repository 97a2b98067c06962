//! How the settings pages' islands act: one server function call at a time, its button saying so
//! while it runs, its error kept for the place that asked (a form, a row, a dialog), and what was done
//! said in the page's status region. (The tokens page's `Ctx::run` is the same shape with places of its
//! own.) No `ServerAction`, no effect per action: each call is one task awaiting its answer, which keeps
//! the WebAssembly small.

use super::dom;
use crate::error::AppError;
use leptos::prelude::*;
use std::future::Future;

/// What was just done, in words ("Role of x changed to Admin."), with its test id.
#[derive(Clone, PartialEq, Eq)]
pub struct Notice {
    pub test_id: &'static str,
    pub text: String,
}

impl Notice {
    pub fn new(test_id: &'static str, text: impl Into<String>) -> Self {
        Self { test_id, text: text.into() }
    }
}

#[derive(Clone, Copy)]
pub struct Acts {
    /// The action on its way, by key ("invite", "role-<id>").
    busy: RwSignal<Option<String>>,
    /// The last action's error, with the key of the action that failed.
    failure: RwSignal<Option<(String, AppError)>>,
    pub notice: RwSignal<Option<Notice>>,
}

impl Acts {
    /// Starts from what a form posted without JavaScript came back with.
    pub fn new(failure: Option<(String, AppError)>, notice: Option<Notice>) -> Self {
        Self { busy: RwSignal::new(None), failure: RwSignal::new(failure), notice: RwSignal::new(notice) }
    }

    /// Whether the action `key` is on its way.
    pub fn pending(self, key: &str) -> bool {
        self.busy.with(|b| b.as_deref() == Some(key))
    }

    /// [`Self::pending`] as a signal, for a [`SubmitButton`](super::SubmitButton).
    pub fn pending_signal(self, key: impl Into<String>) -> Signal<bool> {
        let key = key.into();
        Signal::derive(move || self.pending(&key))
    }

    /// The error of the last action `key`, if it failed.
    pub fn error(self, key: &str) -> Option<AppError> {
        self.failure.with(|f| f.as_ref().filter(|(k, _)| k == key).map(|(_, e)| e.clone()))
    }

    pub fn say(self, notice: Notice) {
        self.notice.set(Some(notice));
    }

    /// Runs one call (none while another is on its way): the button of `key` says it is pending, then
    /// `done` gets the answer, or the error is kept for `key` and the focus goes to the field it is about.
    pub fn run<T: 'static>(
        self,
        key: String,
        call: impl Future<Output = Result<T, AppError>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.busy.with_untracked(Option::is_some) {
            return;
        }
        self.failure.set(None);
        self.notice.set(None);
        self.busy.set(Some(key.clone()));
        leptos::task::spawn_local(async move {
            let answer = call.await;
            self.busy.set(None);
            match answer {
                Ok(value) => done(value),
                Err(error) => {
                    self.failure.set(Some((key, error)));
                    dom::focus_first(&["[aria-invalid=\"true\"]"]);
                }
            }
        });
    }
}

/// The page's status region (always in the document, so screen readers announce what appears in it).
#[component]
pub fn Notices(acts: Acts) -> impl IntoView {
    view! {
        <div class="notices" role="status">
            {move || acts.notice.get().map(|n| view! { <div class="alert alert-success" data-testid=n.test_id>{n.text}</div> })}
        </div>
    }
}

/// An error not about one of `fields` of the action `key`, above its form (announced).
#[component]
pub fn ActError(acts: Acts, key: &'static str, #[prop(optional)] fields: &'static [&'static str]) -> impl IntoView {
    move || super::form_error(&acts.error(key), fields).map(|e| view! { <super::ErrorAlert error=Some(e) /> })
}
