//! The home page (for people not signed in; the server sends the signed-in to their tokens): what
//! Tessera is, and how a program calls the API, with this server's address, the header names it is
//! configured with, and the environment variables the `tessera api` command reads.

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

/// Where this server is reached, as the examples call it: the configured public URL, or the address the
/// request was sent to.
fn base_url() -> String {
    #[cfg(feature = "ssr")]
    {
        if let (Some(state), Some(parts)) =
            (use_context::<crate::state::AppState>(), use_context::<http::request::Parts>())
        {
            return crate::request::public_base_url(&state, &parts);
        }
    }
    "http://127.0.0.1:3000".to_owned()
}

/// The environment variables `tessera api` reads the token from (`server/src/cli.rs`): the examples use
/// the same names, so one `export` serves both.
pub const TOKEN_ID_VAR: &str = "TESSERA_TOKEN_ID";
pub const TOKEN_SECRET_VAR: &str = "TESSERA_TOKEN_SECRET";

#[component]
pub fn HomePage() -> impl IntoView {
    let (id, secret) = header_labels();
    let url = format!("{}/api/v1/whoami", base_url());
    let (id_var, secret_var) = (TOKEN_ID_VAR, TOKEN_SECRET_VAR);
    let tabs = vec![
        (
            "curl".to_owned(),
            "curl".to_owned(),
            format!("curl {url} \\\n  -H \"{id}: ${id_var}\" \\\n  -H \"{secret}: ${secret_var}\""),
        ),
        (
            "python".to_owned(),
            "Python".to_owned(),
            format!(
                "import os, requests\n\nresponse = requests.get(\n    \"{url}\",\n    headers={{\n        \"{id}\": os.environ[\"{id_var}\"],\n        \"{secret}\": os.environ[\"{secret_var}\"],\n    }},\n)\nprint(response.json())"
            ),
        ),
        (
            "node".to_owned(),
            "Node.js".to_owned(),
            format!(
                "const response = await fetch(\"{url}\", {{\n  headers: {{\n    \"{id}\": process.env.{id_var},\n    \"{secret}\": process.env.{secret_var},\n  }},\n}});\nconsole.log(await response.json());"
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
        </section>
        <section class="card quickstart" aria-labelledby="quickstart-title">
            <h2 id="quickstart-title">"Call the API"</h2>
            <p class="muted">"Send both headers with every request. The Token ID is safe to log; the Token Secret is not."</p>
            <CodeTabs tabs />
        </section>
    }
}
