//! Owners: revoke every token of the organization at once (for a suspected leak), confirmed by typing
//! the organization's name. Shown below the lists, and only while there is something to revoke.

use super::{RevokeAllTokens, state::Ctx};
use crate::ui::{Field, SubmitButton, field_error, form_error, on_submit};
use leptos::{prelude::*, server_fn::ServerFn};

#[component]
pub fn DangerZone(org_name: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let something = Memo::new(move |_| ctx.data.with(|d| !d.active.items.is_empty()));
    let error = ctx.revoke_error;
    let confirm_error = Signal::derive(move || error.with(|e| field_error(e, "confirm")));
    let other_error = move || error.with(|e| form_error(e, &["confirm"]));
    let kept = ctx.kept("confirm");
    view! {
        <Show when=move || something.get()>
            <section class="section danger-zone" aria-labelledby="danger-title" data-testid="danger-zone">
                <h2 id="danger-title">"Danger zone"</h2>
                <div class="card danger-card">
                    <h3>"Revoke all tokens in this organization"</h3>
                    <p class="muted">
                        "For a suspected leak: every API token of " <strong>{org_name.clone()}</strong>
                        " stops working at once, on every instance. Each revocation is recorded in the audit log. This can't be undone."
                    </p>
                    {move || other_error().map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
                    <form method="post" action=RevokeAllTokens::url() class="danger-form" on:submit=on_submit(move |input| ctx.start_revoke_all(input))>
                        <Field
                            label=format!("Type {org_name} to confirm")
                            name="confirm"
                            id="confirm-revoke-all"
                            autocomplete="off"
                            required=true
                            value=kept.clone().unwrap_or_default()
                            error=confirm_error
                        />
                        <SubmitButton label="Revoke all tokens" pending_label="Revoking…" pending=ctx.revoke_all.pending() class="danger-outline" test_id="revoke-all" />
                    </form>
                </div>
            </section>
        </Show>
    }
}
