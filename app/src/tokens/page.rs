//! Settings → API Tokens: create a token (its secret shown once), list the organization's tokens,
//! rotate and delete them, and for owners, revoke every token at once.
//!
//! Every control works without JavaScript: "Create Token" opens the form through the URL (`?new=1`),
//! each dialog opens through `?delete=…` / `?rotate=…`, and each form posts to this page, which the
//! server renders with the outcome (the new secret included). With JavaScript the dialogs are modal
//! and the form shows the expiry date live.

use super::{CreateToken, CreatedToken, DeleteToken, ExpiryField, RevokeAllTokens, RotateToken, TokensPageData};
use crate::{
    forms::posted,
    routes::{AUDIT_URL, TOKENS_URL},
    session::OrgRef,
    ui::{
        CopyButton, DialogButton, EmptyState, ErrorAlert, SettingsLayout, Time, field_error, form_error,
        with_organization,
    },
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;
use tessera_core::{
    domain::{
        org::{Action as Permission, allows},
        policy::rotation_days,
        token::{EXPIRING_SOON_DAYS, GracePeriod, TokenName},
    },
    time::{Timestamp, ago_phrase, expires_phrase},
    views::{Page, TokenListing},
};

/// Suggested names, offered as the name field's autocompletion.
const NAME_SUGGESTIONS: [&str; 5] =
    ["CI/CD Pipeline", "VS Code Extension", "MCP Server", "Command-line tools", "Deploy script"];

#[component]
pub fn TokensPage() -> impl IntoView {
    view! {
        <SettingsLayout title="API Tokens">
            {with_organization(|_, org| view! { <Tokens org /> })}
        </SettingsLayout>
    }
}

#[component]
fn Tokens(org: OrgRef) -> impl IntoView {
    let query = use_query_map().get_untracked();
    let param = move |name: &str| query.get(name).filter(|v| !v.is_empty());
    let (after, expired_after, revoked_after) = (param("after"), param("expired_after"), param("revoked_after"));
    let overview = Resource::new(
        move || (after.clone(), expired_after.clone(), revoked_after.clone()),
        |(a, e, r)| super::tokens_overview(a, e, r),
    );

    let created = posted::<CreateToken>();
    let rotated = posted::<RotateToken>();
    let deleted = posted::<DeleteToken>();
    let revoked_all = posted::<RevokeAllTokens>();
    let create_error = created.clone().and_then(Result::err);
    let reveal = match (&created, &rotated) {
        (Some(Ok(token)), _) => Some((token.clone(), None)),
        (_, Some(Ok(rotation))) => Some((rotation.successor.clone(), Some(rotation.old_valid_until))),
        _ => None,
    };
    let form_open = reveal.is_none() && (param("new").is_some() || create_error.is_some());
    let action_error =
        [rotated.and_then(Result::err), deleted.clone().and_then(Result::err)].into_iter().flatten().next();
    let revoke_all_outcome = revoked_all.clone();
    let open_dialog = (param("delete"), param("rotate"));
    let role = org.role;

    view! {
        <div class="page-header">
            <div>
                <h1>"API Tokens"</h1>
                <p>
                    "Tokens let programs (CI pipelines, command-line tools, IDE extensions, MCP servers) call the API for "
                    <strong>{org.name.clone()}</strong>
                    ". A token can do exactly what its creator can do in this organization, now: if their role changes, so does the token."
                </p>
            </div>
            {(!form_open && reveal.is_none()).then(|| view! {
                <form method="get" action=TOKENS_URL class="inline-form">
                    <input type="hidden" name="new" value="1" />
                    <button type="submit" class="primary" data-testid="create-token-button">"Create Token"</button>
                </form>
            })}
        </div>
        {reveal.map(|(token, old_valid_until)| view! { <RevealPanel token old_valid_until /> })}
        <ErrorAlert error=form_error(&action_error, &[]) />
        {matches!(deleted, Some(Ok(()))).then(|| view! {
            <div class="alert alert-success" role="status" data-testid="token-deleted">"The token was deleted. It no longer works."</div>
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
            {move || {
                let create_error = create_error.clone();
                let open_dialog = open_dialog.clone();
                let revoke_all_outcome = revoke_all_outcome.clone();
                let org_name = org.name.clone();
                overview.get().map(move |data| match data {
                    Ok(data) => view! {
                        <TokenSections data form_open create_error open_dialog role org_name revoke_all_outcome />
                    }
                    .into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn TokenSections(
    data: TokensPageData,
    form_open: bool,
    create_error: Option<crate::error::AppError>,
    open_dialog: (Option<String>, Option<String>),
    role: tessera_core::domain::org::Role,
    org_name: String,
    revoke_all_outcome: Option<Result<usize, crate::error::AppError>>,
) -> impl IntoView {
    let now = data.now;
    let policy = data.policy;
    let empty = data.active.items.is_empty() && data.active.next.is_none();
    let expired_count = count_label(&data.expired);
    let revoked_count = count_label(&data.revoked);
    let (open_delete, open_rotate) = open_dialog;
    let expired_open = use_query_map().get_untracked().get("expired_after").is_some();
    let revoked_open = use_query_map().get_untracked().get("revoked_after").is_some();
    view! {
        {form_open.then(|| view! { <CreateForm now error=create_error.clone() default_days=policy.default_lifetime.days() max_days=policy.max_lifetime.days() /> })}
        {(!data.expiring_soon.is_empty()).then(|| {
            let n = data.expiring_soon.len();
            view! {
                <div class="alert alert-warning" role="status" data-testid="expiring-banner">
                    <strong>{if n == 1 { format!("1 token expires within {EXPIRING_SOON_DAYS} days.") } else { format!("{n} tokens expire within {EXPIRING_SOON_DAYS} days.") }}</strong>
                    " Rotate them before they lapse, so the programs using them keep working: "
                    {data.expiring_soon.iter().map(|t| {
                        let name = t.name.clone().unwrap_or_else(|| format!("token {}", &t.id.to_string()[..8]));
                        view! { <span class="banner-item">{format!("{name} ({})", expires_phrase(t.expires_at, now))}</span> }
                    }).collect_view()}
                </div>
            }
        })}
        {(data.over_policy > 0).then(|| view! {
            <div class="alert alert-error" role="alert" data-testid="policy-banner">
                <strong>{format!("{} token{} the organization's maximum lifetime of {} and {} refused.",
                    data.over_policy, if data.over_policy == 1 { " outlives" } else { "s outlive" }, policy.max_lifetime,
                    if data.over_policy == 1 { "is" } else { "are" })}</strong>
                " Rotate each one (its successor gets a lifetime within the policy) or replace it."
            </div>
        })}
        <section class="section" aria-labelledby="active-title">
            <div class="section-title">
                <h2 id="active-title">"Active tokens"</h2>
            </div>
            {if empty {
                view! {
                    <EmptyState title="No active tokens" test_id="tokens-empty">
                        <p>"Create a token for each program that calls the API, so you can delete one without breaking the others."</p>
                        <p class="muted">"Use " <strong>"Create Token"</strong> " above to make the first one."</p>
                    </EmptyState>
                }
                .into_any()
            } else {
                view! { <TokenList page=data.active.clone() kind=ListKind::Active open_delete=open_delete.clone() open_rotate=open_rotate.clone() role policy_max=policy.max_lifetime.days() /> }.into_any()
            }}
        </section>
        {(!data.expired.items.is_empty()).then(|| view! {
            <details class="section collapsible" data-testid="expired-tokens" open=expired_open>
                <summary>{format!("Expired tokens ({expired_count})")}</summary>
                <p class="muted">"Expired tokens no longer work and can't be renewed. Create new ones instead."</p>
                <TokenList page=data.expired.clone() kind=ListKind::Expired open_delete=open_delete.clone() open_rotate=None role policy_max=policy.max_lifetime.days() />
            </details>
        })}
        {(!data.revoked.items.is_empty()).then(|| view! {
            <details class="section collapsible" data-testid="revoked-tokens" open=revoked_open>
                <summary>{format!("Revoked tokens ({revoked_count})")}</summary>
                <p class="muted">"Revoked tokens stopped working for good; each says why."</p>
                <TokenList page=data.revoked.clone() kind=ListKind::Revoked open_delete=None open_rotate=None role policy_max=policy.max_lifetime.days() />
            </details>
        })}
        {allows(role, Permission::RevokeAllTokens).then(|| view! { <DangerZone org_name outcome=revoke_all_outcome /> })}
    }
}

fn count_label<T>(page: &Page<T>) -> String {
    if page.next.is_some() { format!("{}+", page.items.len()) } else { page.items.len().to_string() }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Active,
    Expired,
    Revoked,
}

impl ListKind {
    fn paging(self) -> &'static str {
        match self {
            ListKind::Active => "after",
            ListKind::Expired => "expired_after",
            ListKind::Revoked => "revoked_after",
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            ListKind::Active => "tokens-list",
            ListKind::Expired => "expired-list",
            ListKind::Revoked => "revoked-list",
        }
    }
}

#[component]
fn TokenList(
    page: Page<TokenListing>,
    kind: ListKind,
    open_delete: Option<String>,
    open_rotate: Option<String>,
    role: tessera_core::domain::org::Role,
    policy_max: i64,
) -> impl IntoView {
    let now = page.now;
    view! {
        <ul class="list" data-testid=kind.test_id()>
            {page
                .items
                .into_iter()
                .map(|listing| {
                    let id = listing.token.id.to_string();
                    let delete_open = open_delete.as_deref() == Some(id.as_str());
                    let rotate_open = open_rotate.as_deref() == Some(id.as_str());
                    view! { <TokenRow listing now kind delete_open rotate_open role policy_max /> }
                })
                .collect_view()}
        </ul>
        {page.next.map(|next| view! {
            <div class="list-footer">
                <form method="get" action=TOKENS_URL class="inline-form">
                    <input type="hidden" name=kind.paging() value=next />
                    <button type="submit" class="small" data-testid=format!("{}-older", kind.test_id())>"Older tokens"</button>
                </form>
            </div>
        })}
    }
}

/// How a token is named where its name is missing: its id's start, not a word like "Unnamed" (which
/// would also match a search for a token called that).
fn label_of(name: &Option<String>, id: &str) -> String {
    name.clone().unwrap_or_else(|| format!("token {}", &id[..8]))
}

#[component]
fn TokenRow(
    listing: TokenListing,
    now: Timestamp,
    kind: ListKind,
    delete_open: bool,
    rotate_open: bool,
    role: tessera_core::domain::org::Role,
    policy_max: i64,
) -> impl IntoView {
    let token = listing.token.clone();
    let id = token.id.to_string();
    // A token being rotated out shares its name with its successor: its controls say "old" so that each
    // action has one accessible name on the page.
    let label = match token.replaced_by {
        Some(_) => format!("{} (old)", label_of(&token.name, &id)),
        None => label_of(&token.name, &id),
    };
    let expiring = kind == ListKind::Active && token.expires_at.days_after(now) <= EXPIRING_SOON_DAYS;
    let rotating = token.grace_until.filter(|_| kind == ListKind::Active);
    let last_used = match (token.last_used_at, &token.last_used_ip) {
        (Some(at), Some(ip)) => format!("{} from {ip}", ago_phrase(at, now)),
        (Some(at), None) => ago_phrase(at, now),
        (None, _) => "Never".to_owned(),
    };
    let history = allows(role, Permission::ViewAudit).then(|| format!("{AUDIT_URL}?token_id={id}"));
    let id_for_dialogs = id.clone();
    view! {
        <li class="list-row" data-testid="token-row" data-token-id=id.clone()>
            <div class="row-main">
                <div class="row-title">
                    {match token.name.clone() {
                        Some(name) => view! { <span data-testid="token-name">{name}</span> }.into_any(),
                        None => view! { <span class="unnamed" data-testid="token-name">"Unnamed"</span> }.into_any(),
                    }}
                    {listing.yours.then(|| view! { <span class="badge">"Yours"</span> })}
                    {expiring.then(|| view! { <span class="badge warning" data-testid="expiry-warning">{expires_phrase(token.expires_at, now)}</span> })}
                    {rotating.map(|until| view! {
                        <span class="badge info" data-testid="rotating">{format!("rotating — old secret valid until {}", until.date_time())}</span>
                    })}
                    {listing.over_policy.then(|| view! { <span class="badge danger" data-testid="over-policy">"refused: exceeds policy"</span> })}
                </div>
                <div class="token-id" data-testid="token-id">{id.clone()}</div>
                <dl class="row-meta">
                    <div>
                        <dt>"Created "</dt>
                        <dd data-testid="token-created"><Time at=token.created_at />{format!(" by {}", token.creator_email)}</dd>
                    </div>
                    {match kind {
                        ListKind::Revoked => view! {
                            <div>
                                <dt>"Revoked "</dt>
                                <dd data-testid="token-revoked">
                                    {token.revoked_at.or(token.grace_until).map(|at| view! { <Time at /> })}
                                    {format!(" — {}", token.revoked_reason.map_or("Replaced by rotation; its grace period is over", |r| r.explanation()))}
                                </dd>
                            </div>
                        }
                        .into_any(),
                        _ => view! {
                            <div>
                                <dt>{if kind == ListKind::Expired { "Expired " } else { "Expires " }}</dt>
                                <dd data-testid="token-expires">
                                    <Time at=token.expires_at />
                                    {(kind == ListKind::Active).then(|| format!(" ({})", expires_phrase(token.expires_at, now)))}
                                </dd>
                            </div>
                        }
                        .into_any(),
                    }}
                    <div>
                        <dt>"Last used "</dt>
                        <dd data-testid="token-last-used" title=token.last_used_user_agent.clone().unwrap_or_default()>{last_used}</dd>
                    </div>
                </dl>
            </div>
            <div class="row-actions">
                {history.map(|href| view! {
                    <a href=href class="button small ghost" aria-label=format!("History of {label}") data-testid="token-history">"History"</a>
                })}
                {(listing.can_rotate && kind == ListKind::Active && rotating.is_none()).then(|| view! {
                    <RotateButton id=id_for_dialogs.clone() label=label.clone() open=rotate_open now
                        default_days=rotation_days(token.created_at, token.expires_at, policy_max) policy_max />
                })}
                {listing.can_delete.then(|| view! { <DeleteButton id=id_for_dialogs.clone() label=label.clone() open=delete_open /> })}
            </div>
        </li>
    }
}

#[component]
fn DeleteButton(id: String, label: String, open: bool) -> impl IntoView {
    let title_id = format!("delete-title-{id}");
    view! {
        <DialogButton
            label="Delete".to_owned()
            aria_label=format!("Delete {label}")
            test_id="delete-token".to_owned()
            class="small danger-outline".to_owned()
            page=TOKENS_URL.to_owned()
            param="delete".to_owned()
            value=id.clone()
            title_id=title_id.clone()
            open
        >
            <h2 id=title_id>{format!("Delete \u{201c}{label}\u{201d}?")}</h2>
            <p>"Programs using this token stop working immediately. This can't be undone."</p>
            <p class="token-id">{id.clone()}</p>
            <form method="post" action=DeleteToken::PATH>
                <input type="hidden" name="id" value=id.clone() />
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate data-testid="cancel-dialog" data-autofocus="" autofocus=open>"Cancel"</button>
                    <button type="submit" class="danger" data-testid="confirm-delete">"Delete token"</button>
                </div>
            </form>
        </DialogButton>
    }
}

#[component]
fn RotateButton(
    id: String,
    label: String,
    open: bool,
    now: Timestamp,
    default_days: i64,
    policy_max: i64,
) -> impl IntoView {
    let title_id = format!("rotate-title-{id}");
    view! {
        <DialogButton
            label="Rotate".to_owned()
            aria_label=format!("Rotate {label}")
            test_id="rotate-token".to_owned()
            class="small".to_owned()
            page=TOKENS_URL.to_owned()
            param="rotate".to_owned()
            value=id.clone()
            title_id=title_id.clone()
            open
        >
            <h2 id=title_id>{format!("Rotate \u{201c}{label}\u{201d}")}</h2>
            <p>
                "Rotating creates a successor with a new Token ID and a new Token Secret: both values change, so update both in "
                "the programs that use this token. It keeps the name and permissions; the old secret stops working when its "
                "grace period ends."
            </p>
            <p data-testid="rotate-new-expiry">
                {format!("The successor expires in {} days, on {}, as this token's lifetime was, unless you choose another below.",
                    default_days, now.plus_days(default_days).date())}
            </p>
            <form method="post" action=RotateToken::PATH>
                <input type="hidden" name="id" value=id.clone() />
                <fieldset class="field">
                    <legend>"Old secret keeps working for"</legend>
                    <div class="chips">
                        {GracePeriod::ALL.into_iter().map(|grace| {
                            let input_id = format!("grace-{}-{id}", grace.as_str());
                            let label_for = input_id.clone();
                            view! {
                                <label class="chip" for=label_for>
                                    <input
                                        type="radio"
                                        id=input_id
                                        name="grace"
                                        value=grace.as_str()
                                        checked=grace == GracePeriod::DEFAULT
                                        data-autofocus=(grace == GracePeriod::DEFAULT).then_some("")
                                        autofocus=open && grace == GracePeriod::DEFAULT
                                    />
                                    <span>{grace.label()}</span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <div class="field">
                    <label for=format!("rotate-days-{id}")>"New secret expires in (days)"</label>
                    <input id=format!("rotate-days-{id}") name="expires_in_days" type="number" min="1" max=policy_max value=default_days.to_string() required />
                </div>
                <div class="actions end">
                    <button type="submit" formmethod="dialog" formnovalidate>"Cancel"</button>
                    <button type="submit" class="primary" data-testid="confirm-rotate">"Rotate token"</button>
                </div>
            </form>
        </DialogButton>
    }
}

#[component]
fn CreateForm(
    now: Timestamp,
    error: Option<crate::error::AppError>,
    default_days: i64,
    max_days: i64,
) -> impl IntoView {
    let name_error = field_error(&error, "name");
    view! {
        <section class="card" aria-labelledby="create-title" data-testid="create-token-form">
            <h2 id="create-title">"Create a token"</h2>
            <ErrorAlert error=form_error(&error, &["name", "expires_in_days"]) />
            <form method="post" action=CreateToken::PATH>
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        list="token-name-suggestions"
                        placeholder="CI/CD Pipeline"
                        autocomplete="off"
                        autofocus
                        maxlength=TokenName::MAX_CHARS
                        aria-describedby="token-name-hint"
                        aria-invalid=name_error.is_some().then_some("true")
                    />
                    <datalist id="token-name-suggestions">
                        {NAME_SUGGESTIONS.map(|s| view! { <option value=s></option> }).collect_view()}
                    </datalist>
                    <span class="hint" id="token-name-hint">
                        "Optional. Say where the token is used, like \u{201c}CI/CD Pipeline\u{201d}, \u{201c}VS Code Extension\u{201d} or \u{201c}MCP Server\u{201d}."
                    </span>
                    {name_error.map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                </div>
                <ExpiryField now default_days max_days error=field_error(&error, "expires_in_days") />
                <div class="actions">
                    <button type="submit" class="primary">"Create"</button>
                    <a href=TOKENS_URL class="button">"Cancel"</a>
                </div>
            </form>
        </section>
    }
}

#[component]
fn RevealPanel(token: CreatedToken, old_valid_until: Option<Timestamp>) -> impl IntoView {
    let title = match (&token.name, old_valid_until) {
        (Some(name), None) => format!("Token \u{201c}{name}\u{201d} created"),
        (None, None) => "Token created".to_owned(),
        (Some(name), Some(_)) => format!("Token \u{201c}{name}\u{201d} rotated"),
        (None, Some(_)) => "Token rotated".to_owned(),
    };
    let id = token.id.to_string();
    let example = format!(
        "curl {}/api/v1/whoami \\\n  -H \"{}: {id}\" \\\n  -H \"{}: {}\"",
        token.base_url, token.id_header, token.secret_header, token.secret
    );
    view! {
        <section class="card reveal" aria-labelledby="reveal-title" data-testid="token-reveal">
            <h2 id="reveal-title">{title}</h2>
            <div class="alert alert-warning" id="secret-warning">
                <strong>"Copy the Token Secret now. It is shown only once."</strong>
                " It can't be retrieved later, not even by an administrator. If you lose it, delete this token and create a new one."
            </div>
            {old_valid_until.map(|until| view! {
                <div class="alert alert-info" role="status" data-testid="rotation-grace">
                    {format!("The old secret keeps working until {}. Update the program that uses it before then.", until.date_time())}
                </div>
            })}
            <div class="secret-field">
                <span class="label" id="token-id-label">"Token ID"</span>
                <div class="copy-row">
                    <code class="value" id="token-id-value" aria-labelledby="token-id-label" data-testid="token-id">{id.clone()}</code>
                    <CopyButton target="token-id-value".to_owned() what="Token ID".to_owned() test_id="copy-token-id".to_owned() />
                </div>
                <span class="hint muted">"Identifies the token. Safe to log and to share."</span>
            </div>
            <div class="secret-field">
                <span class="label" id="token-secret-label">"Token Secret"</span>
                <div class="copy-row">
                    <code
                        class="value"
                        id="token-secret-value"
                        tabindex="-1"
                        autofocus
                        aria-labelledby="token-secret-label"
                        aria-describedby="secret-warning"
                        data-testid="token-secret"
                    >
                        {token.secret.clone()}
                    </code>
                    <CopyButton target="token-secret-value".to_owned() what="Token Secret".to_owned() test_id="copy-token-secret".to_owned() />
                </div>
                <span class="hint muted">{format!("Expires on {}. Keep it like a password.", token.expires_at.date_time())}</span>
            </div>
            <div class="secret-field">
                <span class="label" id="example-label">"Try it"</span>
                <pre class="code" id="token-example-value" tabindex="0" aria-labelledby="example-label" data-testid="token-example"><code>{example}</code></pre>
                <div class="actions">
                    <CopyButton target="token-example-value".to_owned() what="example".to_owned() test_id="copy-example".to_owned() />
                </div>
            </div>
            <div class="actions end">
                <a href=TOKENS_URL class="button primary" data-testid="close-reveal">"Done, I've copied it"</a>
            </div>
        </section>
    }
}

#[component]
fn DangerZone(org_name: String, outcome: Option<Result<usize, crate::error::AppError>>) -> impl IntoView {
    let error = outcome.clone().and_then(Result::err);
    let done = outcome.and_then(Result::ok);
    view! {
        <section class="section danger-zone" aria-labelledby="danger-title" data-testid="danger-zone">
            <h2 id="danger-title">"Danger zone"</h2>
            {done.map(|n| view! {
                <div class="alert alert-success" role="status" data-testid="revoked-all">
                    {format!("{n} token{} revoked. Every program using them stopped working.", if n == 1 { " was" } else { "s were" })}
                </div>
            })}
            <div class="card danger-card">
                <h3>"Revoke all tokens in this organization"</h3>
                <p class="muted">
                    "For a suspected leak: every API token of " <strong>{org_name.clone()}</strong>
                    " stops working at once, on every instance. Each revocation is recorded in the audit log. This can't be undone."
                </p>
                <form method="post" action=RevokeAllTokens::PATH>
                    <div class="field">
                        <label for="confirm-revoke-all">{format!("Type {org_name} to confirm")}</label>
                        <input id="confirm-revoke-all" name="confirm" type="text" autocomplete="off" required aria-invalid=error.is_some().then_some("true") />
                        {field_error(&error, "confirm").map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                    </div>
                    <button type="submit" class="danger" data-testid="revoke-all">"Revoke all tokens"</button>
                </form>
            </div>
        </section>
    }
}
