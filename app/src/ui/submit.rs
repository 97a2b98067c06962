//! Forms that call a server function. The `<form>` posts to the function's own URL (`S::url()`), so
//! without JavaScript the browser posts it natively; with JavaScript [`on_submit`] hands the form's
//! fields to the island instead, which calls the same typed server function and updates the page in
//! place. (The fields are read by name: no form decoder in the WebAssembly.)

use leptos::{ev::SubmitEvent, prelude::*};

/// A submitted form's fields.
pub struct FormFields(#[cfg(feature = "hydrate")] web_sys::FormData);

impl FormFields {
    /// The fields of the form `ev` submits (only in the browser).
    fn of(ev: &SubmitEvent) -> Option<Self> {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
            web_sys::FormData::new_with_form(&form).ok().map(Self)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = ev;
            None
        }
    }

    /// The value of field `name` (empty when the form has none).
    pub fn get(&self, name: &str) -> String {
        #[cfg(feature = "hydrate")]
        return self.0.get(name).as_string().unwrap_or_default();
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = name;
            String::new()
        }
    }
}

/// The `on:submit` of a server function's form: its fields go to `run` instead of a page load. A
/// dialog's Cancel (`formmethod="dialog"`) is left to the browser, which closes the dialog and runs
/// nothing.
pub fn on_submit(run: impl Fn(FormFields) + 'static) -> impl FnMut(SubmitEvent) + 'static {
    move |ev: SubmitEvent| {
        let cancel = ev.submitter().is_some_and(|b| b.get_attribute("formmethod").as_deref() == Some("dialog"));
        if cancel || ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        if let Some(fields) = FormFields::of(&ev) {
            run(fields);
        }
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
    /// The accessible name, when the label alone is ambiguous ("Change role of x@example.com").
    #[prop(optional, into)]
    aria_label: Option<String>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=(!class.is_empty()).then_some(class)
            aria-label=aria_label
            disabled=move || pending.get()
            data-testid=(!test_id.is_empty()).then_some(test_id)
        >
            {move || if pending.get() { pending_label.clone() } else { label.clone() }}
        </button>
    }
}
