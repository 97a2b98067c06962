//! The page frame and small components every page uses.

use crate::{
    auth::{SessionInfo, use_session},
    error::AppError,
    orgs::OrgSummary,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::{A, Redirect};

/// True once the WebAssembly has taken over the page. Controls that only work with JavaScript (copy
/// buttons) appear then; fallbacks for plain HTML (submit buttons for auto-submitting selects) go away.
#[derive(Clone, Copy)]
pub struct Hydrated(pub ReadSignal<bool>);

pub fn provide_hydrated() {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));
}

pub fn hydrated() -> ReadSignal<bool> {
    use_context::<Hydrated>().map(|h| h.0).unwrap_or_else(|| signal(false).0)
}

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="topbar">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <A href="/" attr:class="brand" attr:aria-label="Tessera home">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Tessera"</span>
            </A>
            <nav class="topnav" aria-label="Main">
                <A href="/app/settings/api">"API Tokens"</A>
                <A href="/app/settings/members">"Members"</A>
            </nav>
            <Transition fallback=|| ()>
                {move || {
                    session
                        .info
                        .get()
                        .map(|info| match info {
                            Ok(Some(info)) => Either::Left(view! { <SignedInControls info /> }),
                            _ => Either::Right(view! {
                                <div class="topbar-end">
                                    <A href="/login" attr:class="button small">"Sign in"</A>
                                </div>
                            }),
                        })
                }}
            </Transition>
        </header>
    }
}

#[component]
fn SignedInControls(info: SessionInfo) -> impl IntoView {
    let session = use_session();
    let hydrated = hydrated();
    let current = info.current.as_ref().map(|o| o.id);
    let orgs = info.orgs.clone();
    let switcher = (info.orgs.len() > 1).then(move || {
        view! {
            <ActionForm action=session.switch_org attr:class="org-switcher">
                <label for="org-switcher" class="visually-hidden">"Organization"</label>
                <select
                    id="org-switcher"
                    name="org_id"
                    data-testid="org-switcher"
                    on:change=move |ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(form) = ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                                .and_then(|select| select.form())
                            {
                                let _ = form.request_submit();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                >
                    {orgs
                        .iter()
                        .map(|org| {
                            view! {
                                <option value=org.id.to_string() selected=Some(org.id) == current>
                                    {org.name.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="small" class:visually-hidden=move || hydrated.get()>
                    "Switch"
                </button>
            </ActionForm>
        }
    });
    let single = (info.orgs.len() == 1).then(|| {
        view! { <span class="org-name" data-testid="current-org">{info.orgs[0].name.clone()}</span> }
    });
    view! {
        <div class="topbar-end">
            {switcher}
            {single}
            <span class="user-email" data-testid="signed-in-as" title=info.email.clone()>
                {info.email.clone()}
            </span>
            <ActionForm action=session.logout>
                <button type="submit" class="small">
                    "Sign out"
                </button>
            </ActionForm>
        </div>
    }
}

/// The two-column settings page: navigation on the left, the page on the right.
#[component]
pub fn SettingsLayout(children: Children) -> impl IntoView {
    view! {
        <div class="settings">
            <nav class="settings-nav" aria-label="Settings">
                <h2>"Settings"</h2>
                <ul>
                    <li>
                        <A href="/app/settings/api">"API Tokens"</A>
                    </li>
                    <li>
                        <A href="/app/settings/members">"Members"</A>
                    </li>
                </ul>
            </nav>
            <div class="settings-content">{children()}</div>
        </div>
    }
}

/// Renders `signed_in` with the session and current organization, or says why it can't.
pub fn with_organization<V: IntoView + 'static>(
    signed_in: impl Fn(SessionInfo, OrgSummary) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                session
                    .info
                    .get()
                    .map(|info| match info {
                        Ok(None) => view! { <SignInPrompt error=AppError::Unauthorized /> }.into_any(),
                        Ok(Some(info)) => match info.current.clone() {
                            Some(org) => signed_in(info, org).into_any(),
                            None => view! {
                                <div class="empty">
                                    <h3>"No organization"</h3>
                                    <p>"You are not a member of any organization. Ask an administrator to add you."</p>
                                </div>
                            }
                                .into_any(),
                        },
                        Err(error) => view! { <SignInPrompt error /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn SignInPrompt(error: AppError) -> impl IntoView {
    view! {
        <div class="empty">
            <h3>"Sign in to continue"</h3>
            <p>{error.to_string()}</p>
            <A href="/login" attr:class="button primary">"Sign in"</A>
        </div>
    }
}

/// A labelled input with its hint and its error, wired for screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                placeholder=(!placeholder.is_empty()).then_some(placeholder)
                required=required
                value=value
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {hint.map(|h| view! { <span class="hint" id=hint_id>{h}</span> })}
            {move || error.get().map(|e| view! { <span class="error-text" id=error_id.clone()>{e}</span> })}
        </div>
    }
}

/// An error not tied to one field, announced to screen readers.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|message| {
            view! {
                <div class="alert alert-error" role="alert" data-testid="form-error">
                    {message}
                </div>
            }
        })
    }
}

/// The error of an action's last result: (message for the whole form, message for a given field).
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let value = action.value();
    Signal::derive(move || match value.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    })
}

/// The message to show for `field`, if the error is about it.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

/// The message to show above the form: any error not about one of `fields`.
pub fn form_error(error: Signal<Option<AppError>>, fields: &'static [&'static str]) -> Signal<Option<String>> {
    Signal::derive(move || {
        error.get().and_then(|e| match &e {
            AppError::Invalid { field, .. } if fields.contains(&field.as_str()) => None,
            _ => Some(e.to_string()),
        })
    })
}

/// `/app` and `/app/settings` lead to the first settings page.
#[component]
pub fn GoToSettings() -> impl IntoView {
    view! { <Redirect path="/app/settings/api" /> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="empty-page">
            <h1>"Page not found"</h1>
            <p class="muted">"The page you asked for does not exist, or has moved."</p>
            <A href="/" attr:class="button">"Go to the home page"</A>
        </section>
    }
}

/// The outcome of a plain-HTML (no JavaScript) form post to a page, which the server renders into that
/// page. Keyed by the server function that did the work.
#[derive(Debug, Clone)]
pub struct PostedOutcome {
    pub fn_path: &'static str,
    pub json: String,
}

/// A server action that also shows the outcome of a plain-HTML (no JavaScript) submission of its form:
/// either a post to a page the server rendered with the outcome in it ([`PostedOutcome`]), or a post to
/// the server function itself, which redirects back with the error in the URL (`?__path=…&__err=…`).
/// The browser gets the same value with the page, so hydration agrees.
pub fn page_action<S>() -> ServerAction<S>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let query = leptos_router::hooks::use_query_map();
    let posted = leptos::prelude::SharedValue::new(move || {
        let from_page = use_context::<PostedOutcome>()
            .filter(|p| p.fn_path == S::PATH)
            .and_then(|p| serde_json::from_str::<Result<S::Output, AppError>>(&p.json).ok());
        let from_url = query.with_untracked(|q| match (q.get_str("__path"), q.get_str("__err")) {
            (Some(path), Some(err)) if path == S::PATH => {
                Some(Err(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(err)))
            }
            _ => None,
        });
        from_page.or(from_url)
    });
    if let Some(outcome) = posted.into_inner() {
        action.value().set(Some(outcome));
    }
    action
}

/// A form that posts to a page URL without JavaScript (the server handles it and renders the page
/// with the result), and dispatches `action` in place with JavaScript.
#[component]
pub fn PageForm<S>(
    action: ServerAction<S>,
    /// The page that handles the plain-HTML post.
    url: &'static str,
    #[prop(optional, into)] class: Option<String>,
    #[prop(optional)] test_id: &'static str,
    children: Children,
) -> impl IntoView
where
    S: serde::de::DeserializeOwned + leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        use leptos::form::FromFormData;
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        match S::from_event(&ev) {
            Ok(input) => {
                action.dispatch(input);
            }
            Err(_) => {
                action
                    .value()
                    .set(Some(Err(AppError::invalid("", "The form was incomplete. Reload the page and try again."))));
            }
        }
    };
    view! {
        <form method="post" action=url class=class data-testid=(!test_id.is_empty()).then_some(test_id) on:submit=on_submit>
            {children()}
        </form>
    }
}

/// A modal confirmation. It is part of the page's URL (`?delete=…`), so it works without JavaScript;
/// with JavaScript the router opens and closes it without a reload.
#[component]
pub fn ConfirmDialog(title: String, #[prop(into)] cancel_href: String, children: Children) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    let escape_href = cancel_href.clone();
    // Focus moves into the dialog when it opens, so Tab walks its buttons and Escape closes it.
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.focus();
        }
    });
    view! {
        <div class="dialog-backdrop">
            <div
                class="dialog"
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="confirm-title"
                data-testid="confirm-dialog"
                tabindex="-1"
                node_ref=dialog
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        navigate(&escape_href, Default::default());
                    }
                }
            >
                <h2 id="confirm-title">{title}</h2>
                {children()}
            </div>
        </div>
    }
}
