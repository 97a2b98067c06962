//! A button that copies a value to the clipboard. It needs JavaScript, so it appears only after
//! hydration; without JavaScript the value is plain, selectable text beside where the button would be.

use crate::ui::hydrated;
use leptos::prelude::*;

#[component]
pub fn CopyButton(
    #[prop(into)] value: String,
    #[prop(default = "Copy")] label: &'static str,
    /// What is copied, for screen readers: "Copy Token Secret".
    #[prop(optional)]
    what: &'static str,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let hydrated = hydrated();
    let (state, set_state) = signal(CopyState::Idle);
    let aria_label = if what.is_empty() { label.to_owned() } else { format!("{label} {what}") };
    view! {
        <button
            type="button"
            class="small"
            hidden=move || !hydrated.get()
            aria-label=aria_label
            data-testid=(!test_id.is_empty()).then_some(test_id)
            on:click=move |_| copy(value.clone(), set_state)
        >
            {move || match state.get() {
                CopyState::Idle => label,
                CopyState::Copied => "Copied",
                CopyState::Failed => "Copy failed: select and copy by hand",
            }}
        </button>
    }
}

// Only the browser build ever leaves Idle.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, PartialEq, Eq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

#[cfg(feature = "hydrate")]
fn copy(value: String, set_state: WriteSignal<CopyState>) {
    let promise = window().navigator().clipboard().write_text(&value);
    leptos::task::spawn_local(async move {
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        set_state.set(if copied { CopyState::Copied } else { CopyState::Failed });
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy(_value: String, _set_state: WriteSignal<CopyState>) {}
