//! First-run setup, sign-in and invitation pages. Each is a plain HTML form that works without
//! JavaScript (the server function redirects), and submits in place with it.

use super::use_session;
use crate::ui::{ErrorAlert, Field, action_error, field_error, form_error};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = use_session().setup;
    let error = action_error(setup);
    view! {
        <Title text="Set up Tessera" />
        <section class="card card-narrow">
            <h1>"Welcome to Tessera"</h1>
            <p class="muted">
                "Create the first account and your organization. You will be its owner, and can invite others afterwards."
            </p>
            <ErrorAlert error=form_error(error, &["email", "password", "organization"]) />
            <ActionForm action=setup>
                <Field
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    error=field_error(error, "email")
                />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 8 characters."
                    required=true
                    error=field_error(error, "password")
                />
                <Field
                    label="Organization name"
                    name="organization"
                    autocomplete="organization"
                    placeholder="Acme Inc."
                    required=true
                    error=field_error(error, "organization")
                />
                <button type="submit" class="primary" disabled=move || setup.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = use_session().login;
    let error = action_error(login);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <section class="card card-narrow">
            <h1>"Sign in to Tessera"</h1>
            <ErrorAlert error=form_error(error, &["email"]) />
            <ActionForm action=login>
                <input type="hidden" name="next" value=next />
                <Field
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    error=field_error(error, "email")
                />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=Signal::derive(|| None::<String>)
                />
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let invitation = Resource::new(code, super::get_invitation);
    let accept = use_session().accept;
    let error = action_error(accept);
    view! {
        <Title text="Accept invitation" />
        <section class="card card-narrow">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    invitation
                        .get()
                        .map(|found| match found {
                            Ok(found) => Either::Left(view! {
                                <h1>{format!("Join {}", found.org_name)}</h1>
                                <p class="muted">
                                    "Choose a password for " <strong>{found.email.clone()}</strong> " to finish setting up your account."
                                </p>
                                <ErrorAlert error=form_error(error, &["password"]) />
                                <ActionForm action=accept>
                                    <input type="hidden" name="code" value=code />
                                    <Field
                                        label="Password"
                                        name="password"
                                        kind="password"
                                        autocomplete="new-password"
                                        hint="At least 8 characters."
                                        required=true
                                        error=field_error(error, "password")
                                    />
                                    <button type="submit" class="primary" disabled=move || accept.pending().get()>
                                        "Set password and sign in"
                                    </button>
                                </ActionForm>
                            }),
                            Err(e) => Either::Right(view! {
                                <h1>"Invitation not valid"</h1>
                                <p class="muted">{e.to_string()}</p>
                                <a href="/login" class="button">"Go to sign in"</a>
                            }),
                        })
                }}
            </Suspense>
        </section>
    }
}
