//! Settings → API Tokens: create a token (its secret shown once), list the organization's tokens,
//! rotate, report as leaked and delete them, and for owners, revoke every token at once.
//!
//! The server renders the page: the data, and the island ([`TokensArea`]) that shows it and runs every
//! action in place. Without JavaScript every control still works: "Create Token" opens the form through
//! the address (`?new=1`), each dialog through `?delete=…` / `?rotate=…` / `?leaked=…`, and each form posts to its
//! server function's own URL, after which the page is rendered with the outcome.

use super::{
    CreateToken, DeleteToken, ReportLeaked, RevokeAllTokens, RotateToken, TokensArea,
    state::{Cursors, Initial, Posted, TokensPageQuery},
};
use crate::{
    forms::{kept_value, posted},
    session::OrgRef,
    ui::{SettingsLayout, with_organization},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! {
        <SettingsLayout title="API Tokens">
            {with_organization(|_, org| view! { <Tokens org /> })}
        </SettingsLayout>
    }
}

/// The fields of the tokens page's forms worth giving back after a failed post.
const KEPT_FIELDS: [&str; 7] = ["name", "expires_in_days", "custom_days", "confirm", "id", "url", "source"];

#[component]
fn Tokens(org: OrgRef) -> impl IntoView {
    let params = use_query_map().get_untracked();
    let param = move |name: &str| params.get(name).filter(|v| !v.is_empty());
    let query = TokensPageQuery {
        new: param("new").is_some(),
        delete: param("delete"),
        rotate: param("rotate"),
        leaked: param("leaked"),
        cursors: Cursors {
            after: param("after"),
            expired_after: param("expired_after"),
            revoked_after: param("revoked_after"),
        },
    };
    let posted = Posted {
        created: posted::<CreateToken>(),
        rotated: posted::<RotateToken>(),
        deleted: posted::<DeleteToken>(),
        reported: posted::<ReportLeaked>(),
        revoked_all: posted::<RevokeAllTokens>(),
        kept: KEPT_FIELDS.iter().filter_map(|f| kept_value(f).map(|v| ((*f).to_owned(), v))).collect(),
    };
    let cursors = query.cursors.clone();
    let overview =
        Resource::new(move || cursors.clone(), |c| super::tokens_overview(c.after, c.expired_after, c.revoked_after));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
            {move || {
                let (query, posted, org) = (query.clone(), posted.clone(), org.clone());
                overview.get().map(move |data| match data {
                    Ok(data) => {
                        let initial = Initial { data, org_name: org.name, role: org.role, query, posted };
                        let initial = serde_json::to_string(&initial).unwrap_or_default();
                        view! { <TokensArea initial /> }.into_any()
                    }
                    Err(e) => view! {
                        <div class="page-header"><div><h1>"API Tokens"</h1></div></div>
                        <div class="alert alert-error" role="alert">{e.to_string()}</div>
                    }
                    .into_any(),
                })
            }}
        </Suspense>
    }
}
