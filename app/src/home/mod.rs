//! The home page: what Tessera is, and how a program calls the API (with the header names this server
//! is configured with).

use crate::ui::CodeTabs;
use leptos::prelude::*;
use leptos_meta::Title;

/// The header names as configured, for the examples.
fn header_labels() -> (String, String) {
    #[cfg(feature = "ssr")]
    {
        if let Some(state) = use_context::<crate::state::AppState>() {
            return state.web.header_labels();
        }
    }
    use tessera_core::domain::token::{DEFAULT_TOKEN_ID_HEADER, DEFAULT_TOKEN_SECRET_HEADER};
    (DEFAULT_TOKEN_ID_HEADER.to_owned(), DEFAULT_TOKEN_SECRET_HEADER.to_owned())
}

#[component]
pub fn HomePage() -> impl IntoView {
    let (id, secret) = header_labels();
    let tabs = vec![
        (
            "curl".to_owned(),
            "curl".to_owned(),
            format!(
                "curl https://tessera.example.com/api/v1/whoami \\\n  -H \"{id}: $TOKEN_ID\" \\\n  -H \"{secret}: $TOKEN_SECRET\""
            ),
        ),
        (
            "python".to_owned(),
            "Python".to_owned(),
            format!(
                "import os, requests\n\nresponse = requests.get(\n    \"https://tessera.example.com/api/v1/whoami\",\n    headers={{\n        \"{id}\": os.environ[\"TOKEN_ID\"],\n        \"{secret}\": os.environ[\"TOKEN_SECRET\"],\n    }},\n)\nprint(response.json())"
            ),
        ),
        (
            "node".to_owned(),
            "Node.js".to_owned(),
            format!(
                "const response = await fetch(\"https://tessera.example.com/api/v1/whoami\", {{\n  headers: {{\n    \"{id}\": process.env.TOKEN_ID,\n    \"{secret}\": process.env.TOKEN_SECRET,\n  }},\n}});\nconsole.log(await response.json());"
            ),
        ),
    ];
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"API tokens for your organization"</h1>
            <p class="lead">
                "Tessera issues organization-scoped API tokens for CI pipelines, command-line tools, IDE extensions and MCP servers. "
                "Each token carries exactly the permissions its creator has, expires on a date you choose, and stops working the moment it is deleted."
            </p>
            <div class="hero-actions">
                <a href=crate::routes::TOKENS_URL class="button primary">"Manage API tokens"</a>
                <a href=crate::routes::MEMBERS_URL class="button">"Members"</a>
            </div>
        </section>
        <section class="card quickstart" aria-labelledby="quickstart-title">
            <h2 id="quickstart-title">"Call the API"</h2>
            <p class="muted">"Send both headers with every request. The Token ID is safe to log; the Token Secret is not."</p>
            <CodeTabs tabs />
        </section>
    }
}
