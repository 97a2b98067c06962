//! A row's two confirmations: delete the token, or rotate it (with the old secret's grace period and the
//! successor's lifetime). Each posts to its server function; with JavaScript the island runs it and the
//! dialog closes when it is done, or shows why it failed.

use super::{DeleteToken, RotateToken, state::Ctx};
use crate::{
    routes::TOKENS_URL,
    ui::{ConfirmDialog, Field, SubmitButton, field_error, form_error, on_submit},
};
use leptos::{prelude::*, server_fn::ServerFn};
use tessera_core::{domain::token::GracePeriod, time::Timestamp};

#[component]
pub fn DeleteDialog(
    id: String,
    /// The token's name, as the dialog's title says it.
    title: String,
    /// The token's name and short id, for the button's accessible name.
    label: String,
    open: bool,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let title_id = format!("delete-title-{id}");
    let pending = Signal::derive({
        let id = id.clone();
        move || ctx.deleting(&id)
    });
    let error = {
        let id = id.clone();
        move || ctx.row_error(&id).map(|e| e.to_string())
    };
    view! {
        <ConfirmDialog
            label="Delete"
            aria_label=format!("Delete {label}")
            test_id="delete-token"
            class="small danger-outline"
            page=TOKENS_URL
            param="delete"
            value=id.clone()
            title_id=title_id.clone()
            open
        >
            <h2 id=title_id>{format!("Delete \u{201c}{title}\u{201d}?")}</h2>
            <p>"Programs using this token stop working immediately. This can't be undone."</p>
            <p class="token-id">{id.clone()}</p>
            <form method="post" action=DeleteToken::url() on:submit=on_submit(move |input| ctx.start_delete(input))>
                <input type="hidden" name="id" value=id.clone() />
                {move || error().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate data-testid="cancel-dialog" data-autofocus="" autofocus=open>"Cancel"</button>
                    <SubmitButton label="Delete token" pending_label="Deleting…" pending class="danger" test_id="confirm-delete" />
                </div>
            </form>
        </ConfirmDialog>
    }
}

#[component]
pub fn RotateDialog(
    id: String,
    title: String,
    label: String,
    open: bool,
    now: Timestamp,
    /// The successor's lifetime unless another is chosen: the token's own, within the policy.
    default_days: i64,
    policy_max: i64,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let title_id = format!("rotate-title-{id}");
    let pending = Signal::derive({
        let id = id.clone();
        move || ctx.rotating(&id)
    });
    let error = Memo::new({
        let id = id.clone();
        move |_| ctx.row_error(&id)
    });
    let days_error = Signal::derive(move || error.with(|e| field_error(e, "expires_in_days")));
    let other_error = move || error.with(|e| form_error(e, &["expires_in_days"]));
    view! {
        <ConfirmDialog
            label="Rotate"
            aria_label=format!("Rotate {label}")
            test_id="rotate-token"
            class="small"
            page=TOKENS_URL
            param="rotate"
            value=id.clone()
            title_id=title_id.clone()
            open
        >
            <h2 id=title_id>{format!("Rotate \u{201c}{title}\u{201d}")}</h2>
            <p>
                "Rotating creates a successor with a new Token ID and a new Token Secret: both values change, so update both in "
                "the programs that use this token. It keeps the name and permissions; the old secret stops working when its "
                "grace period ends."
            </p>
            <p data-testid="rotate-new-expiry">
                {format!("The successor expires in {} days, on {}, as this token's lifetime was, unless you choose another below.",
                    default_days, now.plus_days(default_days).date())}
            </p>
            <form method="post" action=RotateToken::url() on:submit=on_submit(move |input| ctx.start_rotate(input))>
                <input type="hidden" name="id" value=id.clone() />
                <fieldset class="field">
                    <legend>"Old secret keeps working for"</legend>
                    <div class="chips">
                        {GracePeriod::ALL.into_iter().map(|grace| {
                            let input_id = format!("grace-{}-{id}", grace.as_str());
                            let label_for = input_id.clone();
                            view! {
                                <label class="chip" for=label_for>
                                    <input
                                        type="radio"
                                        id=input_id
                                        name="grace"
                                        value=grace.as_str()
                                        checked=grace == GracePeriod::DEFAULT
                                        data-autofocus=(grace == GracePeriod::DEFAULT).then_some("")
                                        autofocus=open && grace == GracePeriod::DEFAULT
                                    />
                                    <span>{grace.label()}</span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <Field
                    label="New secret expires in (days)"
                    name="expires_in_days"
                    id=format!("rotate-days-{id}")
                    kind="number"
                    range=(1, policy_max)
                    value=default_days.to_string()
                    required=true
                    error=days_error
                />
                {move || other_error().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate>"Cancel"</button>
                    <SubmitButton label="Rotate token" pending_label="Rotating…" pending class="primary" test_id="confirm-rotate" />
                </div>
            </form>
        </ConfirmDialog>
    }
}
