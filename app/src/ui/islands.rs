//! Islands shared by several pages: the only parts of these pages that become WebAssembly. Each works
//! without JavaScript too (a copy button's value is selectable text; a dialog opens through its URL).
//! Islands take their data as serialisable props and never use router hooks (there is no router in the
//! browser).

use leptos::prelude::*;

/// Marks the page as hydrated (`<html data-hydrated="true">`) once the islands before it are: islands
/// hydrate in document order, and this one is last. End-to-end tests wait for it. First it writes the
/// page's times in the browser's time zone (the server wrote UTC).
#[island]
pub fn HydrationMarker() -> impl IntoView {
    Effect::new(|_| {
        super::local_time::rewrite_all();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

/// Copies the text of the element with id `target` to the clipboard. It needs JavaScript, so it
/// appears only after hydration; without JavaScript the value is plain, selectable text beside it.
#[island]
pub fn CopyButton(
    /// The id of the element whose text is copied (the value itself is not repeated in the page).
    target: String,
    /// What is copied, for the button's accessible name: "Copy Token Secret".
    what: String,
    test_id: String,
    #[prop(optional)] label: Option<String>,
) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let (state, set_state) = signal(CopyState::Idle);
    let label = label.unwrap_or_else(|| "Copy".to_owned());
    let aria_label = format!("{label} {what}");
    let idle = label.clone();
    view! {
        <button
            type="button"
            class="small copy"
            hidden=move || !hydrated.get()
            aria-label=aria_label
            data-testid=test_id
            on:click=move |_| copy(&target, set_state)
        >
            {move || match state.get() {
                CopyState::Idle => idle.clone(),
                CopyState::Copied => "Copied".to_owned(),
                CopyState::Failed => "Copy failed: select and copy by hand".to_owned(),
            }}
        </button>
        <span class="visually-hidden" role="status">
            {move || (state.get() == CopyState::Copied).then(|| format!("{what} copied to the clipboard"))}
        </span>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CopyState {
    Idle,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Copied,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Failed,
}

#[cfg(feature = "hydrate")]
fn copy(target: &str, set_state: WriteSignal<CopyState>) {
    let text = document().get_element_by_id(target).and_then(|e| e.text_content()).unwrap_or_default();
    let promise = window().navigator().clipboard().write_text(text.trim());
    leptos::task::spawn_local(async move {
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        set_state.set(if copied { CopyState::Copied } else { CopyState::Failed });
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy(_target: &str, _set_state: WriteSignal<CopyState>) {}

#[cfg(feature = "hydrate")]
fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(element) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn focus(_id: &str) {}

/// A button that opens a modal dialog (its children: a heading with id `title_id`, and a form), for
/// server-rendered pages: the [`ConfirmDialog`](super::ConfirmDialog) as an island of its own.
#[island]
pub fn DialogButton(
    label: String,
    /// The button's accessible name when `label` alone is ambiguous ("Delete CI token").
    aria_label: String,
    test_id: String,
    class: String,
    /// The page the fallback GET goes to, and its parameter.
    page: String,
    param: String,
    value: String,
    /// The dialog's heading id, for `aria-labelledby`.
    title_id: String,
    /// The server rendered the page for this dialog (`?{param}={value}` was in the URL).
    open: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <super::ConfirmDialog label aria_label test_id class page param value title_id open>
            {children()}
        </super::ConfirmDialog>
    }
}

/// Tabs that switch between panels of code (the home page's quick start). Without JavaScript every
/// panel is shown, one after the other.
#[island]
pub fn CodeTabs(
    /// (id, label, code) per tab.
    tabs: Vec<(String, String, String)>,
) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let (selected, set_selected) = signal(0usize);
    let count = tabs.len();
    let ids: Vec<String> = tabs.iter().map(|(id, _, _)| format!("tab-{id}")).collect();
    // Arrow keys select the next tab and move the focus to it (the WAI-ARIA tabs pattern).
    let go = move |to: usize| {
        set_selected.set(to);
        focus(&ids[to]);
    };
    let labels = tabs
        .iter()
        .enumerate()
        .map(|(i, (id, label, _))| {
            let id = id.clone();
            view! {
                <button
                    type="button"
                    role="tab"
                    id=format!("tab-{id}")
                    data-testid=format!("quickstart-tab-{id}")
                    aria-controls=format!("panel-{id}")
                    aria-selected=move || (selected.get() == i).to_string()
                    tabindex=move || if selected.get() == i { "0" } else { "-1" }
                    on:click=move |_| set_selected.set(i)
                    on:keydown={
                        let go = go.clone();
                        move |ev| match ev.key().as_str() {
                            "ArrowRight" => go((selected.get() + 1) % count),
                            "ArrowLeft" => go((selected.get() + count - 1) % count),
                            "Home" => go(0),
                            "End" => go(count - 1),
                            _ => {}
                        }
                    }
                >
                    {label.clone()}
                </button>
            }
        })
        .collect_view();
    let panels = tabs
        .into_iter()
        .enumerate()
        .map(|(i, (id, label, code))| {
            view! {
                <div class="tab-panel" hidden=move || hydrated.get() && selected.get() != i>
                    <h3 class="visually-hidden-when-hydrated" class:visually-hidden=move || hydrated.get()>{label}</h3>
                    <pre
                        class="code"
                        id=format!("panel-{id}")
                        role=move || hydrated.get().then_some("tabpanel")
                        tabindex="0"
                        aria-labelledby=format!("tab-{id}")
                        data-testid=format!("quickstart-code-{id}")
                    >
                        <code>{code}</code>
                    </pre>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="tabs" role="tablist" aria-label="Client" hidden=move || !hydrated.get()>{labels}</div>
        {panels}
    }
}
