//! One token in a list: its name and badges, its id, when it was created, expires (or was revoked)
//! and last used, and its actions (History, Rotate, Delete). Every action's accessible name ends with
//! the token's short id, so two tokens with the same name never share one.

use super::{
    dialogs::{DELETE_DIALOG, ROTATE_DIALOG},
    state::{Ctx, Target},
};
use crate::{
    routes::{AUDIT_URL, TOKENS_URL},
    ui::{DialogTrigger, Time},
};
use leptos::{either::Either, prelude::*};
use tessera_core::{
    domain::{
        org::{Action as Permission, allows},
        token::EXPIRING_SOON_DAYS,
    },
    ids::TokenId,
    time::{Timestamp, ago_phrase, expires_phrase},
    views::{TokenEntry, TokenListing},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Active,
    Expired,
    Revoked,
}

impl ListKind {
    pub fn paging(self) -> &'static str {
        match self {
            ListKind::Active => "after",
            ListKind::Expired => "expired_after",
            ListKind::Revoked => "revoked_after",
        }
    }

    pub fn test_id(self) -> &'static str {
        match self {
            ListKind::Active => "tokens-list",
            ListKind::Expired => "expired-list",
            ListKind::Revoked => "revoked-list",
        }
    }
}

/// The first 8 characters of a token's id: enough to tell tokens apart on a page.
pub fn short_id(id: &TokenId) -> String {
    id.to_string().chars().take(8).collect()
}

/// How a token is called in text: its name, or without one its short id (not a word like "Unnamed",
/// which would also match a search for a token called that).
pub fn display_name(token: &TokenEntry) -> String {
    token.name.clone().unwrap_or_else(|| format!("token {}", short_id(&token.id)))
}

/// How a token is called in its actions' accessible names: unique on the page ("CI (1a2b3c4d)").
pub fn action_name(token: &TokenEntry) -> String {
    match &token.name {
        Some(name) => format!("{name} ({})", short_id(&token.id)),
        None => format!("token {}", short_id(&token.id)),
    }
}

/// A row is drawn again when anything it shows changes (a rotation, a use, a revocation).
pub fn row_key(listing: &TokenListing) -> impl std::hash::Hash + Eq + use<> {
    let t = &listing.token;
    (
        t.id,
        t.last_used_at,
        t.grace_until,
        t.revoked_at,
        t.expires_at,
        listing.over_policy,
        listing.can_rotate,
        listing.can_delete,
    )
}

#[component]
pub fn TokenRow(listing: TokenListing, kind: ListKind) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (now, policy_max) = ctx.data.with_untracked(|d| (d.now, d.policy.max_lifetime.days()));
    let token = listing.token.clone();
    let id = token.id.to_string();
    let label = action_name(&token);
    // The page's delete and rotate dialogs are shared: a row's button says they are about this token.
    let about_this = {
        let target = Target::of(&listing, policy_max);
        Callback::new(move |()| ctx.target.set(Some(target.clone())))
    };
    let expiring = kind == ListKind::Active && token.expires_at.days_after(now) <= EXPIRING_SOON_DAYS;
    let rotating = token.grace_until.filter(|_| kind == ListKind::Active);
    let last_used = match (token.last_used_at, &token.last_used_ip) {
        (Some(at), Some(ip)) => format!("{} from {ip}", ago_phrase(at, now)),
        (Some(at), None) => ago_phrase(at, now),
        (None, _) => "Never".to_owned(),
    };
    let history = allows(ctx.role, Permission::ViewAudit).then(|| format!("{AUDIT_URL}?token_id={id}"));
    let can_rotate = listing.can_rotate && kind == ListKind::Active && rotating.is_none();
    view! {
        <li class="list-row" data-testid="token-row" data-token-id=id.clone()>
            <div class="row-main">
                <div class="row-title">
                    <span class:unnamed=token.name.is_none() data-testid="token-name">{token.name.clone().unwrap_or_else(|| "Unnamed".to_owned())}</span>
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
                    <RowDates token=token.clone() kind now />
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
                {can_rotate.then(|| view! {
                    <DialogTrigger label="Rotate" aria_label=format!("Rotate {label}") test_id="rotate-token" class="small"
                        page=TOKENS_URL param="rotate" value=id.clone() dialog_id=ROTATE_DIALOG before_open=about_this />
                })}
                {listing.can_delete.then(|| view! {
                    <DialogTrigger label="Delete" aria_label=format!("Delete {label}") test_id="delete-token" class="small danger-outline"
                        page=TOKENS_URL param="delete" value=id.clone() dialog_id=DELETE_DIALOG before_open=about_this />
                })}
            </div>
        </li>
    }
}

/// When the token expires (or expired), or when and why it was revoked.
#[component]
fn RowDates(token: TokenEntry, kind: ListKind, now: Timestamp) -> impl IntoView {
    match kind {
        ListKind::Revoked => Either::Left(view! {
            <div>
                <dt>"Revoked "</dt>
                <dd data-testid="token-revoked">
                    {token.revoked_at.or(token.grace_until).map(|at| view! { <Time at /> })}
                    {format!(" — {}", token.revoked_reason.map_or("Replaced by rotation; its grace period is over", |r| r.explanation()))}
                </dd>
            </div>
        }),
        _ => Either::Right(view! {
            <div>
                <dt>{if kind == ListKind::Expired { "Expired " } else { "Expires " }}</dt>
                <dd data-testid="token-expires">
                    <Time at=token.expires_at />
                    {(kind == ListKind::Active).then(|| format!(" ({})", expires_phrase(token.expires_at, now)))}
                </dd>
            </div>
        }),
    }
}
