//! Accounts and sessions.

pub mod domain;

use leptos::prelude::*;

pub fn provide_session_context() {}

#[component]
pub fn SetupPage() -> impl IntoView {
    view! { <h1>"Set up Tessera"</h1> }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <h1>"Sign in"</h1> }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    view! { <h1>"Accept invitation"</h1> }
}
