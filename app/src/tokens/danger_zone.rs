//! Owners: revoke every token of the organization at once (for a suspected leak), confirmed by typing
//! the organization's name. Shown below the lists, and only while there is something to revoke.

use super::{
    RevokeAllTokens,
    state::{Busy, Ctx, Place},
};
use crate::ui::{Field, SubmitButton, field_error, form_error, on_submit};
use leptos::{prelude::*, server_fn::ServerFn};

#[component]
pub fn DangerZone(org_name: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let error = move || ctx.error_at(&Place::RevokeAll);
    let kept = ctx.kept("confirm");
    view! {
        <Show when=move || ctx.data.with(|d| !d.active.items.is_empty())>
            <section class="section danger-zone" aria-labelledby="danger-title" data-testid="danger-zone">
                <h2 id="danger-title">"Danger zone"</h2>
                <div class="card danger-card">
                    <h3>"Revoke all tokens in this organization"</h3>
                    <p class="muted">
                        "For a suspected leak: every API token of " <strong>{org_name.clone()}</strong>
                        " stops working at once, on every instance. Each revocation is recorded in the audit log. This can't be undone."
                    </p>
                    {move || form_error(&error(), &["confirm"]).map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
                    <form method="post" action=RevokeAllTokens::url() class="danger-form" on:submit=on_submit(move |form| ctx.revoke_all(form))>
                        <Field
                            label=format!("Type {org_name} to confirm")
                            name="confirm"
                            id="confirm-revoke-all"
                            autocomplete="off"
                            required=true
                            value=kept.clone().unwrap_or_default()
                            error=Signal::derive(move || field_error(&error(), "confirm"))
                        />
                        <SubmitButton
                            label="Revoke all tokens"
                            pending_label="Revoking…"
                            pending=Signal::derive(move || ctx.is_busy(&Busy::Revoking))
                            class="danger-outline"
                            test_id="revoke-all"
                        />
                    </form>
                </div>
            </section>
        </Show>
    }
}
