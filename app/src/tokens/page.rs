//! Settings → API Tokens: create a token (its secret shown once), list the organization's tokens, delete.
//!
//! Every control works without JavaScript: "Create Token" and "Delete" are GET forms that open the form
//! or the confirmation through the URL (`?new`, `?delete=…`), and the creation form posts to this page,
//! which the server answers with the page and the new secret in it.

use super::{CreateToken, CreatedToken, DeleteToken, TokenList, TokenView, list_expired_tokens, list_tokens};
use crate::{
    auth::use_session,
    time::{Timestamp, ago_phrase, expires_phrase},
    tokens::{CopyButton, domain::ExpiryDays},
    ui::{
        ConfirmDialog, ErrorAlert, PageForm, SettingsLayout, action_error, field_error, form_error, page_action,
        with_organization,
    },
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    NavigateOptions,
    components::{A, Form},
    hooks::{use_navigate, use_query_map},
};

pub const TOKENS_URL: &str = "/app/settings/api";

/// Suggested names, offered as the name field's autocompletion.
const NAME_SUGGESTIONS: [&str; 5] =
    ["CI/CD Pipeline", "VS Code Extension", "MCP Server", "Command-line tools", "Deploy script"];

/// Tokens expiring sooner than this get a visible warning.
const WARN_DAYS: i64 = 7;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! {
        <Title text="API Tokens" />
        <SettingsLayout>
            {with_organization(|info, org| view! { <Tokens now=info.now org_name=org.name /> })}
        </SettingsLayout>
    }
}

#[component]
fn Tokens(now: Timestamp, org_name: String) -> impl IntoView {
    let session = use_session();
    let create = page_action::<CreateToken>();
    let delete = page_action::<DeleteToken>();
    let query = use_query_map();
    let after = move || query.read().get("after");
    let expired_after = move || query.read().get("expired_after");

    let active = Resource::new(
        move || (session.org_version(), create.version().get(), delete.version().get(), after()),
        |(_, _, _, after)| list_tokens(after),
    );
    let expired = Resource::new(
        move || (session.org_version(), delete.version().get(), expired_after()),
        |(_, _, after)| list_expired_tokens(after),
    );

    let created = move || match create.value().get() {
        Some(Ok(created)) => Some(created),
        _ => None,
    };
    let create_failed = move || matches!(create.value().get(), Some(Err(_)));
    let form_open = move || created().is_none() && (query.read().get("new").is_some() || create_failed());

    // After a deletion (with JavaScript), close the confirmation by going back to the plain list.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate(TOKENS_URL, NavigateOptions { replace: true, ..Default::default() });
        }
    });

    view! {
        <div class="page-header">
            <div>
                <h1>"API Tokens"</h1>
                <p>
                    "Tokens let programs (CI pipelines, command-line tools, IDE extensions, MCP servers) call the API for "
                    <strong>{org_name}</strong>
                    ". A token can do exactly what its creator can do in this organization, now: if their role changes, so does the token."
                </p>
            </div>
            <Show when=move || !form_open() && created().is_none()>
                <Form method="GET" action=TOKENS_URL>
                    <input type="hidden" name="new" value="1" />
                    <button type="submit" class="primary" data-testid="create-token-button">
                        "Create Token"
                    </button>
                </Form>
            </Show>
        </div>
        {move || created().map(|token| view! { <RevealPanel token create /> })}
        <Show when=form_open>
            <CreateForm create now />
        </Show>
        <ErrorAlert error=form_error(action_error(delete), &[]) />
        <section class="section" aria-labelledby="active-title">
            <div class="section-title">
                <h2 id="active-title">"Active tokens"</h2>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || {
                    active
                        .get()
                        .map(|list| match list {
                            Ok(list) => Either::Left(view! { <TokenRows list expired=false paging="after" /> }),
                            Err(e) => Either::Right(view! {
                                <div class="alert alert-error" role="alert">{e.to_string()}</div>
                            }),
                        })
                }}
            </Transition>
        </section>
        <Transition fallback=|| ()>
            {move || {
                expired
                    .get()
                    .and_then(Result::ok)
                    .filter(|list| !list.tokens.is_empty())
                    .map(|list| {
                        let count = if list.next.is_some() {
                            format!("{}+", list.tokens.len())
                        } else {
                            list.tokens.len().to_string()
                        };
                        view! {
                            <details class="expired" data-testid="expired-tokens" open=expired_after().is_some()>
                                <summary>{format!("Expired tokens ({count})")}</summary>
                                <p class="muted">"Expired tokens no longer work and can't be renewed. Delete them to tidy up, or create new ones."</p>
                                <TokenRows list expired=true paging="expired_after" />
                            </details>
                        }
                    })
            }}
        </Transition>
        // Inside a Transition, so that the server waits for the lists before rendering the confirmation.
        <Transition fallback=|| ()>
            {move || {
                let id = query.read().get("delete")?;
                let token = active
                    .get()
                    .and_then(Result::ok)
                    .into_iter()
                    .chain(expired.get().and_then(Result::ok))
                    .flat_map(|list| list.tokens)
                    .find(|t| t.id.to_string() == id && t.can_delete)?;
                Some(view! { <DeleteDialog token delete /> })
            }}
        </Transition>
    }
}

#[component]
fn CreateForm(create: ServerAction<CreateToken>, now: Timestamp) -> impl IntoView {
    let error = action_error(create);
    let (choice, set_choice) = signal("30".to_owned());
    let (custom, set_custom) = signal(String::new());
    let hydrated = crate::ui::hydrated();
    let resulting_date = move || {
        // Without JavaScript the choice can't be followed live: say how the date is counted instead.
        if !hydrated.get() {
            return "Counted from now. A token can't be extended: when it expires, create a new one.".to_owned();
        }
        let raw = if choice.get() == "custom" { custom.get() } else { choice.get() };
        match ExpiryDays::parse(Some(&raw)) {
            Ok(days) => format!("The token will expire on {}.", now.plus_days(days.days()).date()),
            Err(_) => format!("Choose between {} and {} days.", ExpiryDays::MIN, ExpiryDays::MAX),
        }
    };
    let expiry_error = field_error(error, "expires_in_days");
    view! {
        <section class="card" aria-labelledby="create-title" data-testid="create-token-form">
            <h2 id="create-title">"Create a token"</h2>
            <ErrorAlert error=form_error(error, &["name", "expires_in_days"]) />
            <PageForm action=create url=TOKENS_URL>
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        list="token-name-suggestions"
                        placeholder="CI/CD Pipeline"
                        autocomplete="off"
                        aria-describedby="token-name-hint"
                        aria-invalid=move || field_error(error, "name").get().is_some().then_some("true")
                    />
                    <datalist id="token-name-suggestions">
                        {NAME_SUGGESTIONS.map(|s| view! { <option value=s></option> }).collect_view()}
                    </datalist>
                    <span class="hint" id="token-name-hint">
                        "Optional. Say where the token is used, like \u{201c}CI/CD Pipeline\u{201d}, \u{201c}VS Code Extension\u{201d} or \u{201c}MCP Server\u{201d}."
                    </span>
                    {move || field_error(error, "name").get().map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                </div>
                <fieldset class="field" aria-describedby="expiry-result">
                    <legend>"Expiration"</legend>
                    <div class="chips" role="radiogroup" aria-label="Expiration">
                        {ExpiryDays::PRESETS
                            .into_iter()
                            .map(|days| {
                                let value = days.to_string();
                                let id = format!("expiry-{days}");
                                let label_for = id.clone();
                                let checked = days == ExpiryDays::DEFAULT.days();
                                view! {
                                    <label class="chip" for=label_for>
                                        <input
                                            type="radio"
                                            id=id
                                            name="expires_in_days"
                                            value=value.clone()
                                            checked=checked
                                            on:change=move |_| set_choice.set(value.clone())
                                        />
                                        <span>
                                            {format!("{days} days")}
                                            <span class="visually-hidden">
                                                {format!(", until {}", now.plus_days(days).date())}
                                            </span>
                                        </span>
                                    </label>
                                }
                            })
                            .collect_view()}
                        <label class="chip" for="expiry-custom">
                            <input
                                type="radio"
                                id="expiry-custom"
                                name="expires_in_days"
                                value="custom"
                                on:change=move |_| set_choice.set("custom".to_owned())
                            />
                            <span>"Custom"</span>
                        </label>
                    </div>
                    <div class="expiry-row">
                        <label for="custom-days">"Custom number of days"</label>
                        <input
                            id="custom-days"
                            name="custom_days"
                            type="number"
                            min=ExpiryDays::MIN
                            max=ExpiryDays::MAX
                            step="1"
                            inputmode="numeric"
                            placeholder="1–365"
                            aria-invalid=move || expiry_error.get().is_some().then_some("true")
                            on:input=move |ev| {
                                set_custom.set(event_target_value(&ev));
                                set_choice.set("custom".to_owned());
                            }
                            prop:value=custom
                        />
                    </div>
                    <p class="hint" id="expiry-result" aria-live="polite" data-testid="expiry-result">
                        {resulting_date}
                    </p>
                    {move || expiry_error.get().map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                </fieldset>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || create.pending().get()>
                        "Create"
                    </button>
                    <A href=TOKENS_URL attr:class="button">"Cancel"</A>
                </div>
            </PageForm>
        </section>
    }
}

#[component]
fn RevealPanel(token: CreatedToken, create: ServerAction<CreateToken>) -> impl IntoView {
    let title = match &token.name {
        Some(name) => format!("Token \u{201c}{name}\u{201d} created"),
        None => "Token created".to_owned(),
    };
    let id = token.id.to_string();
    let example = format!(
        "curl {}/api/v1/whoami \\\n  -H \"X-ZeroPath-API-Token-Id: {id}\" \\\n  -H \"X-ZeroPath-API-Token-Secret: {}\"",
        token.base_url, token.secret
    );
    let navigate = use_navigate();
    // Move focus to the panel, so keyboard and screen-reader users land on the secret.
    let panel = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            let _ = panel.focus();
        }
    });
    view! {
        <section
            class="card reveal"
            aria-labelledby="reveal-title"
            data-testid="token-reveal"
            tabindex="-1"
            node_ref=panel
        >
            <h2 id="reveal-title">{title}</h2>
            <div class="alert alert-warning" role="status">
                <strong>"Copy the Token Secret now. It is shown only once."</strong>
                "It can't be retrieved later, not even by an administrator. If you lose it, delete this token and create a new one."
            </div>
            <div class="secret-field">
                <span class="label" id="token-id-label">"Token ID"</span>
                <div class="copy-row">
                    <code class="value" aria-labelledby="token-id-label" data-testid="token-id">{id.clone()}</code>
                    <CopyButton value=id what="Token ID" test_id="copy-token-id" />
                </div>
                <span class="hint muted">"Identifies the token. Safe to log and to share."</span>
            </div>
            <div class="secret-field">
                <span class="label" id="token-secret-label">"Token Secret"</span>
                <div class="copy-row">
                    <code class="value" aria-labelledby="token-secret-label" data-testid="token-secret">{token.secret.clone()}</code>
                    <CopyButton value=token.secret.clone() what="Token Secret" test_id="copy-token-secret" />
                </div>
                <span class="hint muted">{format!("Expires on {}. Keep it like a password.", token.expires_at.date_time())}</span>
            </div>
            <div class="secret-field">
                <span class="label" id="example-label">"Try it"</span>
                <pre class="code" aria-labelledby="example-label" data-testid="token-example"><code>{example.clone()}</code></pre>
                <div class="actions">
                    <CopyButton value=example what="example" />
                </div>
            </div>
            <div class="actions end">
                <a
                    href=TOKENS_URL
                    class="button primary"
                    data-testid="close-reveal"
                    on:click=move |ev| {
                        ev.prevent_default();
                        // Forget the secret: after this it exists nowhere in the page.
                        create.value().set(None);
                        navigate(TOKENS_URL, NavigateOptions { replace: true, ..Default::default() });
                    }
                >
                    "Done, I've copied it"
                </a>
            </div>
        </section>
    }
}

#[component]
fn TokenRows(list: TokenList, expired: bool, paging: &'static str) -> impl IntoView {
    if list.tokens.is_empty() {
        return Either::Left(view! {
            <div class="empty" data-testid="tokens-empty">
                <h3>"No active tokens"</h3>
                <p>"Create a token for each program that calls the API, so you can delete one without breaking the others."</p>
                <Form method="GET" action=TOKENS_URL>
                    <input type="hidden" name="new" value="1" />
                    <button type="submit" class="primary">"Create Token"</button>
                </Form>
            </div>
        });
    }
    let now = list.now;
    Either::Right(view! {
        <ul class="list" role="list" data-testid=if expired { "expired-list" } else { "tokens-list" }>
            {list.tokens.into_iter().map(|token| view! { <TokenRow token now expired /> }).collect_view()}
        </ul>
        {list
            .next
            .map(|next| {
                view! {
                    <div class="list-footer">
                        <Form method="GET" action=TOKENS_URL>
                            <input type="hidden" name=paging value=next />
                            <button type="submit" class="small">"Older tokens"</button>
                        </Form>
                    </div>
                }
            })}
    })
}

#[component]
fn TokenRow(token: TokenView, now: Timestamp, expired: bool) -> impl IntoView {
    let name = token.name.clone();
    // What the Delete button says to screen readers: the token's name, or for an unnamed one its id's
    // start (not the word "Unnamed", which would also match a search for the "Name" field).
    let label = name.clone().unwrap_or_else(|| format!("token {}", &token.id.to_string()[..8]));
    let days_left = token.expires_at.days_after(now);
    let expiring = !expired && days_left <= WARN_DAYS;
    let last_used = match (token.last_used_at, &token.last_used_ip) {
        (Some(at), Some(ip)) => format!("{} from {ip}", ago_phrase(at, now)),
        (Some(at), None) => ago_phrase(at, now),
        (None, _) => "Never".to_owned(),
    };
    let last_used_title = token.last_used_user_agent.clone().unwrap_or_default();
    let id = token.id.to_string();
    let delete_id = id.clone();
    view! {
        <li class="list-row" data-testid="token-row" data-token-id=id.clone()>
            <div>
                <div class="row-title">
                    {match name {
                        Some(name) => Either::Left(view! { <span data-testid="token-name">{name}</span> }),
                        None => Either::Right(view! { <span class="unnamed" data-testid="token-name">"Unnamed"</span> }),
                    }}
                    {token.yours.then(|| view! { <span class="badge">"Yours"</span> })}
                    {expiring
                        .then(|| {
                            view! {
                                <span class="badge warning" data-testid="expiry-warning">
                                    {expires_phrase(token.expires_at, now)}
                                </span>
                            }
                        })}
                </div>
                <div class="token-id" data-testid="token-id">{id.clone()}</div>
                <dl class="row-meta">
                    <div>
                        <dt>"Created "</dt>
                        <dd data-testid="token-created">
                            <time datetime=token.created_at.rfc3339()>{token.created_at.date()}</time>
                            {format!(" by {}", token.created_by)}
                        </dd>
                    </div>
                    <div>
                        <dt>{if expired { "Expired " } else { "Expires " }}</dt>
                        <dd data-testid="token-expires">
                            <time datetime=token.expires_at.rfc3339()>{token.expires_at.date()}</time>
                            {(!expired).then(|| format!(" ({})", expires_phrase(token.expires_at, now)))}
                        </dd>
                    </div>
                    <div>
                        <dt>"Last used "</dt>
                        <dd data-testid="token-last-used" title=last_used_title>{last_used}</dd>
                    </div>
                </dl>
            </div>
            {token
                .can_delete
                .then(move || {
                    view! {
                        <Form method="GET" action=TOKENS_URL>
                            <input type="hidden" name="delete" value=delete_id />
                            <button type="submit" class="small danger-outline" aria-label=format!("Delete {label}")>
                                "Delete"
                            </button>
                        </Form>
                    }
                })}
        </li>
    }
}

#[component]
fn DeleteDialog(token: TokenView, delete: ServerAction<DeleteToken>) -> impl IntoView {
    let label = token.name.clone().unwrap_or_else(|| "this unnamed token".to_owned());
    let title = match &token.name {
        Some(name) => format!("Delete \u{201c}{name}\u{201d}?"),
        None => "Delete this unnamed token?".to_owned(),
    };
    view! {
        <ConfirmDialog title cancel_href=TOKENS_URL>
            <p>
                "Programs using " {label} " stop working immediately. This can't be undone."
            </p>
            <p class="token-id">{token.id.to_string()}</p>
            <ActionForm action=delete>
                <input type="hidden" name="id" value=token.id.to_string() />
                <div class="actions end">
                    <A href=TOKENS_URL attr:class="button">"Cancel"</A>
                    <button type="submit" class="danger" data-testid="confirm-delete">
                        "Delete"
                    </button>
                </div>
            </ActionForm>
        </ConfirmDialog>
    }
}
