//! The one confirmation dialog: a button ([`DialogTrigger`]) that opens a modal `<dialog>` ([`Dialog`])
//! holding a heading and a form; [`ConfirmDialog`] is the two together, for a dialog of its own per button.
//! A page with many rows can also share one dialog between its rows' buttons (the tokens page does).
//!
//! With JavaScript the dialog is a native modal (`showModal`): focus moves into it (to its
//! `data-autofocus` element: Cancel, or the safe default) and stays there, Escape or Cancel closes it, and
//! focus returns to the button. Without JavaScript the button is a GET form that reloads the page with
//! `?{param}={value}`, where the server renders the dialog open (its Cancel has `formmethod="dialog"`,
//! which closes it natively).

use leptos::{html, prelude::*};

/// The button that opens the dialog with id `dialog_id`; `before_open` runs first (to say what the
/// dialog is about, when it is shared).
#[component]
pub fn DialogTrigger(
    /// The button's text.
    #[prop(into)]
    label: String,
    /// The button's accessible name when `label` alone is ambiguous ("Delete CI (1a2b3c4d)").
    #[prop(into)]
    aria_label: String,
    #[prop(into)] test_id: String,
    #[prop(into)] class: String,
    /// The page the fallback GET goes to, and its parameter.
    #[prop(into)]
    page: String,
    #[prop(into)] param: String,
    #[prop(into)] value: String,
    #[prop(into)] dialog_id: String,
    #[prop(optional)] before_open: Option<Callback<()>>,
) -> impl IntoView {
    let open = move |ev: leptos::ev::MouseEvent| {
        if let Some(dialog) = by_id(&dialog_id) {
            ev.prevent_default();
            if let Some(before_open) = before_open {
                before_open.run(());
            }
            show(&dialog);
        }
    };
    view! {
        <form method="get" action=page class="inline-form">
            <input type="hidden" name=param value=value />
            <button type="submit" class=class aria-label=aria_label data-testid=test_id on:click=open>
                {label}
            </button>
        </form>
    }
}

/// The modal dialog itself (its children: a heading with id `title_id`, and a form).
#[component]
pub fn Dialog<C: IntoView + 'static>(
    #[prop(into)] id: String,
    /// The dialog's heading id, for `aria-labelledby`.
    #[prop(into)]
    title_id: String,
    /// The server rendered the page for this dialog (`?{param}={value}` was in the URL).
    open: bool,
    children: TypedChildren<C>,
) -> impl IntoView {
    let children = children.into_inner();
    let dialog = NodeRef::<html::Dialog>::new();
    // Rendered open by the server: make it modal once hydrated.
    Effect::new(move |_| {
        if open && let Some(dialog) = dialog.get() {
            dialog.close();
            show(&dialog);
        }
    });
    view! {
        <dialog class="dialog" id=id node_ref=dialog aria-labelledby=title_id open=open>
            {children()}
        </dialog>
    }
}

/// A button and the dialog it opens, together.
#[component]
pub fn ConfirmDialog<C: IntoView + 'static>(
    #[prop(into)] label: String,
    #[prop(into)] aria_label: String,
    #[prop(into)] test_id: String,
    #[prop(into)] class: String,
    #[prop(into)] page: String,
    #[prop(into)] param: String,
    #[prop(into)] value: String,
    #[prop(into)] title_id: String,
    open: bool,
    children: TypedChildren<C>,
) -> impl IntoView {
    let children = children.into_inner();
    let dialog_id = format!("{title_id}-dialog");
    view! {
        <DialogTrigger label aria_label test_id class page param value dialog_id=dialog_id.clone() />
        <Dialog id=dialog_id title_id open>
            {children()}
        </Dialog>
    }
}

fn by_id(id: &str) -> Option<leptos::web_sys::HtmlDialogElement> {
    use wasm_bindgen::JsCast;
    document().get_element_by_id(id)?.dyn_into().ok()
}

/// Opens a dialog modally, with the focus on its `data-autofocus` element (the safe choice: Cancel, or
/// the default option), not merely the first control.
fn show(dialog: &leptos::web_sys::HtmlDialogElement) {
    use wasm_bindgen::JsCast;
    let _ = dialog.show_modal();
    if let Ok(Some(element)) = dialog.query_selector("[data-autofocus]")
        && let Ok(element) = element.dyn_into::<leptos::web_sys::HtmlElement>()
    {
        let _ = element.focus();
    }
}
