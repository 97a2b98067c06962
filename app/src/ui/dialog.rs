//! The one confirmation dialog: a button that opens a modal `<dialog>` holding a heading and a form.
//!
//! With JavaScript the dialog is a native modal (`showModal`): focus moves into it (to its
//! `data-autofocus` element: Cancel, or the safe default) and stays there, Escape or Cancel closes it, and
//! focus returns to the button. Without JavaScript the button is a GET form that reloads the page with
//! `?{param}={value}`, where the server renders the dialog open (its Cancel has `formmethod="dialog"`,
//! which closes it natively).

use leptos::{html, prelude::*};

#[component]
pub fn ConfirmDialog(
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
    /// The dialog's heading id, for `aria-labelledby`.
    #[prop(into)]
    title_id: String,
    /// The server rendered the page for this dialog (`?{param}={value}` was in the URL).
    open: bool,
    /// For the owner to close the dialog when its action is done.
    #[prop(optional)]
    node_ref: Option<NodeRef<html::Dialog>>,
    children: Children,
) -> impl IntoView {
    let dialog = node_ref.unwrap_or_default();
    // Rendered open by the server: make it modal once hydrated.
    Effect::new(move |_| {
        if open && let Some(dialog) = dialog.get() {
            dialog.close();
            show(&dialog);
        }
    });
    let open_dialog = move |ev: leptos::ev::MouseEvent| {
        if let Some(dialog) = dialog.get() {
            ev.prevent_default();
            show(&dialog);
        }
    };
    view! {
        <form method="get" action=page class="inline-form">
            <input type="hidden" name=param value=value />
            <button type="submit" class=class aria-label=aria_label data-testid=test_id on:click=open_dialog>
                {label}
            </button>
        </form>
        <dialog class="dialog" node_ref=dialog aria-labelledby=title_id open=open>
            {children()}
        </dialog>
    }
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
