//! Forms that call a server function. The `<form>` posts to the function's own URL (`S::url()`), so
//! without JavaScript the browser posts it natively; with JavaScript [`on_submit`] reads the same fields
//! and hands them to the island, which dispatches its `ServerAction` and updates the page in place.

use leptos::{ev::SubmitEvent, prelude::*};
use serde::de::DeserializeOwned;

/// The `on:submit` of a server function's form: the fields, read as the function's arguments, go to
/// `dispatch` instead of a page load. A dialog's Cancel (`formmethod="dialog"`) is left to the browser,
/// which closes the dialog and runs nothing.
pub fn on_submit<S>(dispatch: impl Fn(S) + 'static) -> impl FnMut(SubmitEvent) + 'static
where
    S: DeserializeOwned + 'static,
{
    move |ev: SubmitEvent| {
        let cancel = ev.submitter().is_some_and(|b| b.get_attribute("formmethod").as_deref() == Some("dialog"));
        if cancel || ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        // Only the browser reads forms; the server never runs this.
        #[cfg(feature = "hydrate")]
        if let Ok(input) = <S as leptos::form::FromFormData>::from_event(&ev) {
            dispatch(input);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &dispatch;
    }
}

/// A submit button that says while its action runs ("Creating…") and can't be pressed twice.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    #[prop(into)] pending_label: String,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=(!class.is_empty()).then_some(class)
            disabled=move || pending.get()
            data-testid=(!test_id.is_empty()).then_some(test_id)
        >
            {move || if pending.get() { pending_label.clone() } else { label.clone() }}
        </button>
    }
}
