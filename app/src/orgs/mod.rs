//! Organizations, members and roles.

pub mod domain;

use leptos::prelude::*;

#[component]
pub fn MembersPage() -> impl IntoView {
    view! { <h1>"Members"</h1> }
}
