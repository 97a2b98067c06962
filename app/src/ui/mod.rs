//! The page frame and the small components every page uses: one file per shared component
//! ([`field`], [`dialog`], [`submit`]), the frame here. The frame renders on the server only; the
//! interactive pieces are the islands in [`islands`] and the pages' own islands, which use the same
//! components.

pub mod dialog;
pub mod field;
pub mod islands;
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

#[component]
pub fn Header() -> impl IntoView {
    let info = session();
    let admin = info.as_ref().and_then(|i| i.current.as_ref()).is_some_and(|o| allows(o.role, Action::ViewAudit));
    view! {
        <header class="topbar">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <a href=crate::routes::HOME_URL class="brand" aria-label="Tessera home">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Tessera"</span>
            </a>
            {info.as_ref().map(|_| view! {
                <nav class="topnav" aria-label="Main">
                    <NavLink href=crate::routes::TOKENS_URL label="API Tokens" />
                    <NavLink href=crate::routes::MEMBERS_URL label="Members" />
                    {admin.then(|| view! { <NavLink href=crate::routes::AUDIT_URL label="Audit log" /> })}
                </nav>
            })}
            {match info {
                Some(info) => view! { <SignedInControls info /> }.into_any(),
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
fn SignedInControls(info: SessionInfo) -> impl IntoView {
    let switcher = (info.orgs.len() > 1).then(|| {
        let current = info.current.as_ref().map(|o| o.id.to_string()).unwrap_or_default();
        let orgs = info.orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect::<Vec<_>>();
        let back = use_location().pathname.get_untracked();
        view! {
            <form method="post" action=crate::session::SwitchOrg::PATH class="org-switcher">
                <input type="hidden" name="back" value=back />
                <label for="org-switcher" class="visually-hidden">"Organization"</label>
                <select id="org-switcher" name="org_id" data-testid="org-switcher">
                    {orgs
                        .into_iter()
                        .map(|(id, name)| {
                            let selected = id == current;
                            view! { <option value=id selected=selected>{name}</option> }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="small" data-testid="switch-org">"Switch"</button>
            </form>
        }
    });
    let single = (info.orgs.len() == 1).then(|| {
        view! { <span class="org-name" data-testid="current-org">{info.orgs[0].name.clone()}</span> }
    });
    view! {
        <div class="topbar-end">
            {switcher}
            {single}
            <span class="user-email" data-testid="signed-in-as" title=info.email.clone()>{info.email.clone()}</span>
            <form method="post" action=crate::session::Logout::PATH class="inline-form">
                <button type="submit" class="small" data-testid="sign-out">"Sign out"</button>
            </form>
        </div>
    }
}

/// The two-column settings page: navigation on the left, the page on the right.
#[component]
pub fn SettingsLayout(title: &'static str, children: Children) -> impl IntoView {
    let role = session().and_then(|i| i.current).map(|o| o.role);
    let may = move |action| role.is_some_and(|r| allows(r, action));
    view! {
        <Title text=title />
        <div class="settings">
            <nav class="settings-nav" aria-label="Settings">
                <h2>"Settings"</h2>
                <ul>
                    <li><NavLink href=crate::routes::TOKENS_URL label="API Tokens" /></li>
                    <li><NavLink href=crate::routes::MEMBERS_URL label="Members" /></li>
                    <li><NavLink href=crate::routes::POLICY_URL label="Token policy" /></li>
                    {may(Action::ManageWebhooks).then(|| view! { <li><NavLink href=crate::routes::WEBHOOKS_URL label="Webhooks" /></li> })}
                    {may(Action::ViewAudit).then(|| view! { <li><NavLink href=crate::routes::AUDIT_URL label="Audit log" /></li> })}
                    <li><NavLink href=crate::routes::ACCOUNT_SECURITY_URL label="Account security" /></li>
                </ul>
            </nav>
            <div class="settings-content">{children()}</div>
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
                <EmptyState title="No organization">
                    <p>"You are not a member of any organization. Ask an administrator to invite you."</p>
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

/// A `<time>` with the machine-readable instant.
#[component]
pub fn Time(at: tessera_core::time::Timestamp, #[prop(optional)] with_time: bool) -> impl IntoView {
    view! {
        <time datetime=at.rfc3339() title=at.date_time()>{if with_time { at.date_time() } else { at.date() }}</time>
    }
}
