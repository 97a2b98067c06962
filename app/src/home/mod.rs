//! The home page: what Tessera is, and how a program calls the API.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    Curl,
    Python,
    Node,
}

impl Client {
    const ALL: [Client; 3] = [Client::Curl, Client::Python, Client::Node];

    fn label(self) -> &'static str {
        match self {
            Client::Curl => "curl",
            Client::Python => "Python",
            Client::Node => "Node.js",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Client::Curl => "curl",
            Client::Python => "python",
            Client::Node => "node",
        }
    }

    fn sample(self) -> &'static str {
        match self {
            Client::Curl => {
                "curl https://tessera.example.com/api/v1/whoami \\\n  -H \"X-ZeroPath-API-Token-Id: $TOKEN_ID\" \\\n  -H \"X-ZeroPath-API-Token-Secret: $TOKEN_SECRET\""
            }
            Client::Python => {
                "import os, requests\n\nresponse = requests.get(\n    \"https://tessera.example.com/api/v1/whoami\",\n    headers={\n        \"X-ZeroPath-API-Token-Id\": os.environ[\"TOKEN_ID\"],\n        \"X-ZeroPath-API-Token-Secret\": os.environ[\"TOKEN_SECRET\"],\n    },\n)\nprint(response.json())"
            }
            Client::Node => {
                "const response = await fetch(\"https://tessera.example.com/api/v1/whoami\", {\n  headers: {\n    \"X-ZeroPath-API-Token-Id\": process.env.TOKEN_ID,\n    \"X-ZeroPath-API-Token-Secret\": process.env.TOKEN_SECRET,\n  },\n});\nconsole.log(await response.json());"
            }
        }
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let (client, set_client) = signal(Client::Curl);
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"API tokens for your organization"</h1>
            <p class="lead">
                "Tessera issues organization-scoped API tokens for CI pipelines, command-line tools, IDE extensions and MCP servers. "
                "Each token carries exactly the permissions its creator has, expires on a date you choose, and stops working the moment it is deleted."
            </p>
            <div class="hero-actions">
                <A href="/app/settings/api" attr:class="button primary">"Manage API tokens"</A>
                <A href="/app/settings/members" attr:class="button">"Members"</A>
            </div>
        </section>
        <section class="card quickstart" aria-labelledby="quickstart-title">
            <h2 id="quickstart-title">"Call the API"</h2>
            <p class="muted">"Send both headers with every request. The Token ID is safe to log; the Token Secret is not."</p>
            <div class="tabs" role="tablist" aria-label="Client">
                {Client::ALL
                    .into_iter()
                    .map(|c| {
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("tab-{}", c.id())
                                data-testid=format!("quickstart-tab-{}", c.id())
                                aria-controls="quickstart-panel"
                                aria-selected=move || (client.get() == c).to_string()
                                tabindex=move || if client.get() == c { "0" } else { "-1" }
                                on:click=move |_| set_client.set(c)
                            >
                                {c.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <pre
                class="code"
                id="quickstart-panel"
                role="tabpanel"
                tabindex="0"
                aria-labelledby=move || format!("tab-{}", client.get().id())
                data-testid="quickstart-code"
            >
                <code>{move || client.get().sample()}</code>
            </pre>
        </section>
    }
}
