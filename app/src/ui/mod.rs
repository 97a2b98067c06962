//! The page frame and the small components every page uses: one file per shared component
//! ([`field`], [`dialog`], [`submit`]), the frame here. The frame renders on the server only; the
//! interactive pieces are the islands in [`islands`] and the pages' own islands, which use the same
//! components.

pub mod dialog;
pub mod field;
pub mod islands;
pub mod local_time;
pub mod submit;

use crate::{error::AppError, session::SessionInfo};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use tessera_core::domain::org::{Action, allows};

pub use dialog::{ConfirmDialog, Dialog, DialogTrigger};
pub use field::Field;
pub use islands::{CodeTabs, CopyButton, DialogButton, HydrationMarker};
pub use submit::{FormFields, SubmitButton, on_submit};

/// The signed-in person, resolved once for this request by the server's gate (no database access here).
pub fn session() -> Option<SessionInfo> {
    #[cfg(feature = "ssr")]
    {
        crate::session::session_info()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The top bar: a skip link, the brand, the organization menu and the account. The settings pages'
/// one navigation is [`SettingsLayout`]'s, not here (one navigation, as GitHub's and Vercel's settings).
#[component]
pub fn Header() -> impl IntoView {
    let info = session();
    let path = use_location().pathname.get_untracked();
    // On a settings page the skip link passes the settings navigation too: straight to the page's content.
    let skip_to = if path.starts_with(crate::routes::SETTINGS_URL) { "#content" } else { "#main" };
    // Someone in no organization has one page (create an organization, or sign out): no link leads back
    // to it.
    let orphan = info.as_ref().is_some_and(|i| i.current.is_none());
    let brand_inner = || {
        view! {
            <span class="brand-mark" aria-hidden="true"></span>
            <span class="brand-name">"Tessera"</span>
        }
    };
    view! {
        <header class="topbar">
            <a class="skip-link" href=skip_to data-testid="skip-link">"Skip to content"</a>
            {if orphan {
                view! { <span class="brand">{brand_inner()}</span> }.into_any()
            } else {
                view! { <a href=crate::routes::HOME_URL class="brand" aria-label="Tessera home">{brand_inner()}</a> }.into_any()
            }}
            {match info {
                Some(info) => view! { <SignedInControls info path /> }.into_any(),
                // Before first-run setup there is nobody to sign in: the setup page offers no "Sign in".
                None if path == crate::routes::SETUP_URL => ().into_any(),
                None => view! {
                    <div class="topbar-end">
                        <a href=crate::routes::LOGIN_URL class="button small">"Sign in"</a>
                    </div>
                }
                .into_any(),
            }}
        </header>
    }
}

/// A link that says when it is the page being shown.
#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    let current = use_location().pathname.get_untracked() == href;
    view! {
        <a href=href aria-current=current.then_some("page")>{label}</a>
    }
}

#[component]
fn SignedInControls(info: SessionInfo, path: String) -> impl IntoView {
    // Switching from the new-organization page leads to the tokens of the one chosen.
    let back = if path == crate::routes::NEW_ORG_URL { crate::routes::TOKENS_URL.to_owned() } else { path };
    let menu = info.current.clone().map(|current| view! { <OrgMenu orgs=info.orgs.clone() current back /> });
    view! {
        {menu}
        <div class="topbar-end">
            <span class="user-email" data-testid="signed-in-as" title=info.email.clone()>{info.email.clone()}</span>
            <form method="post" action=crate::session::Logout::PATH class="inline-form">
                <button type="submit" class="small" data-testid="sign-out">"Sign out"</button>
            </form>
        </div>
    }
}

/// The organization menu: the current organization; open, each of the person's organizations is one
/// button that switches to it (one click, no separate "Switch"), and "New organization". A `<details>`:
/// it opens and closes without JavaScript.
#[component]
fn OrgMenu(orgs: Vec<crate::session::OrgRef>, current: crate::session::OrgRef, back: String) -> impl IntoView {
    let items = orgs
        .into_iter()
        .map(|org| {
            let here = org.id == current.id;
            view! {
                <li>
                    <form method="post" action=crate::session::SwitchOrg::PATH>
                        <input type="hidden" name="org_id" value=org.id.to_string() />
                        <input type="hidden" name="back" value=back.clone() />
                        <button type="submit" class="menu-item" aria-current=here.then_some("true") data-testid="switch-org">
                            <span class="menu-check" aria-hidden="true">{if here { "✓" } else { "" }}</span>
                            {org.name.clone()}
                        </button>
                    </form>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="org-menu" data-testid="org-switcher">
            <summary data-testid="org-menu-button">
                <span class="visually-hidden">"Organization: "</span>
                <span class="org-name" data-testid="current-org">{current.name.clone()}</span>
            </summary>
            <div class="org-menu-panel">
                <p class="org-menu-title" id="org-menu-title">"Switch organization"</p>
                <ul aria-labelledby="org-menu-title">{items}</ul>
                <a href=crate::routes::NEW_ORG_URL class="menu-item" data-testid="new-org">"New organization"</a>
            </div>
        </details>
    }
}

/// A settings page: the one settings navigation (a sidebar on wide screens, one scrolling row on phones)
/// and the page. Someone in no organization gets no navigation: every link would lead back.
#[component]
pub fn SettingsLayout(title: &'static str, children: Children) -> impl IntoView {
    let role = session().and_then(|i| i.current).map(|o| o.role);
    let may = move |action| role.is_some_and(|r| allows(r, action));
    view! {
        <Title text=title />
        <div class="settings">
            {role.is_some().then(|| view! {
                <nav class="settings-nav" aria-label="Settings" data-testid="settings-nav">
                    <h2>"Settings"</h2>
                    <ul>
                        <li><NavLink href=crate::routes::TOKENS_URL label="API Tokens" /></li>
                        <li><NavLink href=crate::routes::MEMBERS_URL label="Members" /></li>
                        <li><NavLink href=crate::routes::POLICY_URL label="Token policy" /></li>
                        {may(Action::ManageWebhooks).then(|| view! { <li><NavLink href=crate::routes::WEBHOOKS_URL label="Webhooks" /></li> })}
                        {may(Action::ViewAudit).then(|| view! { <li><NavLink href=crate::routes::AUDIT_URL label="Audit log" /></li> })}
                    </ul>
                </nav>
            })}
            <div class="settings-content" id="content" tabindex="-1">{children()}</div>
        </div>
    }
}

/// Renders `page` for the current organization, or says why it can't.
pub fn with_organization<V: IntoView + 'static>(
    page: impl FnOnce(SessionInfo, crate::session::OrgRef) -> V,
) -> AnyView {
    match session() {
        None => view! {
            <EmptyState title="Sign in to continue">
                <p>"Your session has ended."</p>
                <a href=crate::routes::LOGIN_URL class="button primary">"Sign in"</a>
            </EmptyState>
        }
        .into_any(),
        Some(info) => match info.current.clone() {
            Some(org) => page(info, org).into_any(),
            None => view! {
                <EmptyState title="You are not a member of any organization">
                    <p>"Ask an administrator to invite you, or create an organization of your own."</p>
                    <a href=crate::routes::NEW_ORG_URL class="button primary">"Create an organization"</a>
                </EmptyState>
            }
            .into_any(),
        },
    }
}

#[component]
pub fn EmptyState<C: IntoView + 'static>(
    title: &'static str,
    #[prop(optional)] test_id: &'static str,
    children: TypedChildren<C>,
) -> impl IntoView {
    let children = children.into_inner();
    view! {
        <div class="empty" data-testid=(!test_id.is_empty()).then_some(test_id)>
            <h3>{title}</h3>
            {children()}
        </div>
    }
}

/// An error not tied to one field, announced to screen readers.
#[component]
pub fn ErrorAlert(error: Option<String>) -> impl IntoView {
    error.map(|message| {
        view! {
            <div class="alert alert-error" role="alert" data-testid="form-error">
                {message}
            </div>
        }
    })
}

/// The error to show above a form: any error not about one of `fields` (those show beside their field).
pub fn form_error(error: &Option<AppError>, fields: &[&str]) -> Option<String> {
    error.as_ref().filter(|e| !e.is_about(fields)).map(ToString::to_string)
}

/// The message to show beside `field`.
pub fn field_error(error: &Option<AppError>, field: &str) -> Option<String> {
    error.as_ref().and_then(|e| e.for_field(field)).map(str::to_owned)
}

/// `/app` and `/app/settings` lead to the first settings page.
#[component]
pub fn GoToSettings() -> impl IntoView {
    view! { <leptos_router::components::Redirect path=crate::routes::TOKENS_URL /> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="empty-page">
            <h1>"Page not found"</h1>
            <p class="muted">"The page you asked for does not exist, or has moved."</p>
            <a href=crate::routes::HOME_URL class="button">"Go to the home page"</a>
        </section>
    }
}

/// A `<time>` with the machine-readable instant. The server writes UTC and says so ("Dec 29, 2026, 14:05
/// UTC"); once the page is hydrated the browser rewrites it in its own time zone, naming it
/// ([`local_time`]), and a `<time>` an island renders later is written that way from the start.
#[component]
pub fn Time(at: tessera_core::time::Timestamp, #[prop(optional)] with_time: bool) -> impl IntoView {
    let utc = if with_time { at.date_time() } else { at.date() };
    let (text, title) = local_time::format(at.rfc3339().as_str(), with_time)
        .zip(local_time::format(at.rfc3339().as_str(), true))
        .unwrap_or_else(|| (utc, at.date_time()));
    view! {
        <time datetime=at.rfc3339() data-local=if with_time { "date-time" } else { "date" } title=title>{text}</time>
    }
}
