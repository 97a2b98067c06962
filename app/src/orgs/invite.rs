//! "Invite a member": an email and a role. The outcome (who was invited, and the one-time link to send
//! them when the server sends no email) shows above the form, in a status region; the link lives in
//! the island's memory only.

use super::{
    InviteMember, Invited, assignable,
    state::{Ctx, INVITE},
};
use crate::ui::{ActError, CopyButton, Field, SubmitButton, field_error, on_submit};
use leptos::{prelude::*, server_fn::ServerFn};
use tessera_core::domain::org::{INVITATION_VALID_DAYS, Role};

#[component]
pub fn InviteForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (you, email_enabled) = ctx.roster.with_untracked(|r| (r.your_role, r.email_enabled));
    let how = if email_enabled {
        format!(
            "We email them a one-time link (valid for {INVITATION_VALID_DAYS} days). They open it to join: with a new password, or by signing in if they already have an account."
        )
    } else {
        format!(
            "You get a one-time link (valid for {INVITATION_VALID_DAYS} days) to send them: email is not configured on this server, so Tessera can't send it. They open it to join: with a new password, or by signing in if they already have an account."
        )
    };
    let error = move || ctx.acts.error(INVITE);
    let kept_role = ctx.kept("role");
    let chosen = move |r: Role| match &kept_role {
        Some(kept) => kept == r.as_str(),
        None => r == Role::Member,
    };
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite a member"</h2>
            <p class="muted" data-testid="invite-how">{how}</p>
            <div role="status">
                {move || ctx.invited.get().map(|invited| view! { <InvitedPanel invited /> })}
            </div>
            <ActError acts=ctx.acts key=INVITE fields=&["email", "role"] />
            <form
                method="post"
                action=InviteMember::url()
                id="invite-form"
                data-testid="invite-form"
                on:submit=on_submit(move |form| ctx.invite(form))
            >
                <div class="form-grid">
                    <Field
                        label="Email"
                        name="email"
                        kind="email"
                        required=true
                        value=ctx.kept("email").unwrap_or_default()
                        error=Signal::derive(move || field_error(&error(), "email"))
                    />
                    <div class="field">
                        <label for="field-role">"Role"</label>
                        <select id="field-role" name="role">
                            {assignable(you)
                                .into_iter()
                                .map(|r| view! { <option value=r.as_str() selected=chosen(r)>{r.label()}</option> })
                                .collect_view()}
                        </select>
                        {move || field_error(&error(), "role").map(|e| view! { <span class="error-text">{e}</span> })}
                    </div>
                </div>
                <SubmitButton
                    label="Invite member"
                    pending_label="Inviting…"
                    pending=ctx.acts.pending_signal(INVITE)
                    class="primary"
                    test_id="invite-member"
                />
            </form>
        </section>
    }
}

/// Who was just invited; with the one-time link when the server sends no email.
#[component]
fn InvitedPanel(invited: Invited) -> impl IntoView {
    let role = invited.role.label();
    match invited.link {
        Some(link) => view! {
            <div class="alert alert-success" data-testid="member-invited">
                <strong id="invited-title" tabindex="-1">{format!("{} was invited as {role}.", invited.email)}</strong>
                <p>"Send them this one-time link. It works once, for this email only, and stops working if your role changes."</p>
                <div class="copy-row invite-link">
                    <code class="value" id="invitation-link" data-testid="invitation-link">{link}</code>
                    <CopyButton target="invitation-link".to_owned() what="invitation link".to_owned() test_id="copy-invitation-link".to_owned() />
                </div>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="alert alert-success" data-testid="member-invited">
                <strong id="invited-title" tabindex="-1">{format!("Invitation sent to {} as {role}.", invited.email)}</strong>
                <p>"They get an email with a one-time link. You can resend or revoke it below while it is pending."</p>
            </div>
        }
        .into_any(),
    }
}
