//! Create an organization: reached from the organization menu, and where someone in no organization
//! lands (removed from their only one, say), with what they can do about it.

use super::CreateOrg;
use crate::{
    forms::posted_error,
    ui::{ErrorAlert, Field, field_error, form_error, session},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use tessera_core::domain::org::OrgName;

#[component]
pub fn NewOrgPage() -> impl IntoView {
    let error = posted_error::<CreateOrg>();
    let orphan = session().is_some_and(|info| info.current.is_none());
    let title = if orphan { "You are not a member of any organization" } else { "Create an organization" };
    view! {
        <Title text=title />
        <section class="card card-narrow" data-testid="new-org-page">
            <h1>{title}</h1>
            {orphan.then(|| view! {
                <p data-testid="no-organization">
                    "Ask an administrator of your organization to invite you again, or create an organization of your own below. "
                    "You will be its owner."
                </p>
            })}
            {(!orphan).then(|| view! {
                <p class="muted">"You will be its owner: you can invite others, set its token policy and create tokens in it."</p>
            })}
            <ErrorAlert error=form_error(&error, &["name"]) />
            <form method="post" action=CreateOrg::PATH data-testid="create-org-form">
                <Field label="Organization name" name="name" required=true max_chars=OrgName::MAX_CHARS
                    autocomplete="organization" error=field_error(&error, "name") test_id="org-name" autofocus=orphan />
                <button type="submit" class="primary" data-testid="create-org">"Create organization"</button>
            </form>
        </section>
    }
}
