//! The rows' three confirmations, one of each on the page: delete a token, rotate it (with the old
//! secret's grace period and the successor's lifetime), or report it as leaked (with where it was found).
//! A row's button says which token the dialog is about ([`Ctx::target`]) and opens it; without
//! JavaScript the button's address (`?delete=<id>`, `?rotate=<id>`, `?leaked=<id>`) has the server render
//! it open. Each posts to its server function; with JavaScript the
//! island runs it, and the dialog closes when it is done or shows why it failed.

use super::{
    DeleteToken, ReportLeaked, RotateToken,
    state::{Busy, Ctx, Opened, dom},
};
use crate::ui::{Dialog, Field, SubmitButton, field_error, form_error, on_submit};
use leptos::{prelude::*, server_fn::ServerFn};
use tessera_core::domain::token::{ExpiryDays, GracePeriod};

pub const DELETE_DIALOG: &str = "delete-dialog";
pub const ROTATE_DIALOG: &str = "rotate-dialog";
pub const LEAK_DIALOG: &str = "leak-dialog";

#[component]
pub fn DeleteDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = ctx.opened == Some(Opened::Delete);
    let id = move || ctx.target.with(|t| t.as_ref().map(|t| t.id.clone()).unwrap_or_default());
    let title = move || {
        ctx.target.with(|t| t.as_ref().map(|t| format!("Delete \u{201c}{}\u{201d}?", t.title)).unwrap_or_default())
    };
    view! {
        <Dialog id=DELETE_DIALOG title_id="delete-title" open>
            <h2 id="delete-title">{title}</h2>
            <p>"Programs using this token stop working immediately. This can't be undone."</p>
            <p class="token-id">{id}</p>
            <form method="post" action=DeleteToken::url() on:submit=on_submit(move |form| ctx.delete(form))>
                <input type="hidden" name="id" value=id prop:value=id />
                {move || ctx.target_error().map(|e| view! { <p class="error-text" role="alert">{e.to_string()}</p> })}
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate data-testid="cancel-dialog" data-autofocus="" autofocus=open>"Cancel"</button>
                    <SubmitButton
                        label="Delete token"
                        pending_label="Deleting…"
                        pending=Signal::derive(move || ctx.target_busy(Busy::Deleting))
                        class="danger"
                        test_id="confirm-delete"
                    />
                </div>
            </form>
        </Dialog>
    }
}

#[component]
pub fn RotateDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = ctx.opened == Some(Opened::Rotate);
    let now = ctx.data.with_untracked(|d| d.now);
    let policy_max = ctx.data.with_untracked(|d| d.policy.max_lifetime.days());
    let id = move || ctx.target.with(|t| t.as_ref().map(|t| t.id.clone()).unwrap_or_default());
    let days = move || ctx.target.with(|t| t.as_ref().map_or(0, |t| t.rotation_days));
    let title = move || {
        ctx.target.with(|t| t.as_ref().map(|t| format!("Rotate \u{201c}{}\u{201d}", t.title)).unwrap_or_default())
    };
    let error = move || ctx.target_error();
    view! {
        <Dialog id=ROTATE_DIALOG title_id="rotate-title" open>
            <h2 id="rotate-title">{title}</h2>
            <p>
                "Rotating creates a successor with a new Token ID and a new Token Secret: both values change, so update both in "
                "the programs that use this token. It keeps the name and permissions; the old secret stops working when its "
                "grace period ends."
            </p>
            <p data-testid="rotate-new-expiry">
                {move || format!("The successor expires in {} days, on {}, as this token's lifetime was, unless you choose another below.",
                    days(), now.plus_days(days()).date())}
            </p>
            <form method="post" action=RotateToken::url() on:submit=on_submit(move |form| ctx.rotate(form))>
                <input type="hidden" name="id" value=id prop:value=id />
                <fieldset class="field">
                    <legend>"Old secret keeps working for"</legend>
                    <div class="chips">
                        {GracePeriod::ALL.into_iter().map(|grace| {
                            let input_id = format!("grace-{}", grace.as_str());
                            let label_for = input_id.clone();
                            let default = grace == GracePeriod::DEFAULT;
                            view! {
                                <label class="chip" for=label_for>
                                    <input
                                        type="radio"
                                        id=input_id
                                        name="grace"
                                        value=grace.as_str()
                                        checked=default
                                        data-autofocus=default.then_some("")
                                        autofocus=open && default
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
                    id="rotate-days"
                    kind="number"
                    range=(ExpiryDays::MIN, policy_max)
                    value=Signal::derive(move || days().to_string())
                    required=true
                    error=Signal::derive(move || field_error(&error(), "expires_in_days"))
                />
                {move || form_error(&error(), &["expires_in_days"]).map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate>"Cancel"</button>
                    <SubmitButton
                        label="Rotate token"
                        pending_label="Rotating…"
                        pending=Signal::derive(move || ctx.target_busy(Busy::Rotating))
                        class="primary"
                        test_id="confirm-rotate"
                    />
                </div>
            </form>
        </Dialog>
    }
}

#[component]
pub fn LeakDialog() -> impl IntoView {
    use tessera_core::domain::token::LeakLocation;
    let ctx = expect_context::<Ctx>();
    let open = ctx.opened == Some(Opened::Leaked);
    let id = move || ctx.target.with(|t| t.as_ref().map(|t| t.id.clone()).unwrap_or_default());
    let title = move || {
        ctx.target
            .with(|t| t.as_ref().map(|t| format!("Report \u{201c}{}\u{201d} as leaked?", t.title)).unwrap_or_default())
    };
    // Opened for another token, the dialog starts empty: where one token was found says nothing of the
    // next.
    Effect::new(move |previous: Option<Option<String>>| {
        let current = ctx.target.with(|t| t.as_ref().map(|t| t.id.clone()));
        if previous.is_some_and(|previous| previous != current) {
            dom::clear_inputs(&["leak-url", "leak-source"]);
        }
        current
    });
    view! {
        <Dialog id=LEAK_DIALOG title_id="leak-title" open>
            <h2 id="leak-title">{title}</h2>
            <p>
                "The token is revoked at once, with every token of its rotation family: programs using them stop "
                "working immediately. It stays in the list under Revoked, marked Exposed. Its creator and the "
                "organization's admins are told."
            </p>
            <p class="token-id">{id}</p>
            <form method="post" action=ReportLeaked::url() on:submit=on_submit(move |form| ctx.report_leaked(form))>
                <input type="hidden" name="id" value=id prop:value=id />
                <Field
                    label="Where was it found? (optional)"
                    name="url"
                    id="leak-url"
                    placeholder="https://…"
                    hint="The address of the page, commit or message that shows the secret."
                    max_chars=LeakLocation::MAX_URL
                    test_id="leak-url"
                />
                <Field
                    label="What kind of place? (optional)"
                    name="source"
                    id="leak-source"
                    placeholder="a public repository, a chat, a ticket…"
                    max_chars=LeakLocation::MAX_SOURCE
                    test_id="leak-source"
                />
                {move || ctx.target_error().map(|e| view! { <p class="error-text" role="alert">{e.to_string()}</p> })}
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate data-autofocus="" autofocus=open>"Cancel"</button>
                    <SubmitButton
                        label="Report and revoke"
                        pending_label="Reporting…"
                        pending=Signal::derive(move || ctx.target_busy(Busy::Reporting))
                        class="danger"
                        test_id="confirm-report-leaked"
                    />
                </div>
            </form>
        </Dialog>
    }
}
