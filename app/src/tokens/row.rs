//! One token in a list: its name and badges, its id, when it was created, expires (or was revoked)
//! and last used, and its actions (History, Rotate, Report as leaked, Delete); a token revoked as
//! exposed says where and when it was found, and by whom. Every action's accessible name ends with
//! the token's short id, so two tokens with the same name never share one.

use super::{
    dialogs::{DELETE_DIALOG, LEAK_DIALOG, ROTATE_DIALOG},
    names::{ListKind, action_name},
    restrictions::RestrictionBadges,
    state::{Ctx, DialogTarget},
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
    time::{Timestamp, ago_phrase, expires_phrase},
    views::{TokenEntry, TokenListing},
};

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
        let target = DialogTarget::of(&listing, policy_max);
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
    // Who may delete a token may report it leaked (an active one: the others no longer work). The button
    // says "Report" and its accessible name starts with it (axe: the visible text is part of the name).
    let can_report = listing.can_delete && kind == ListKind::Active;
    let exposed = token.exposed_at.is_some() && kind == ListKind::Revoked;
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
                    {exposed.then(|| view! { <span class="badge danger" data-testid="exposed-badge">"Exposed"</span> })}
                    <RestrictionBadges restrictions=token.restrictions() />
                </div>
                <div class="token-id" data-testid="token-id">{id.clone()}</div>
                <dl class="row-meta">
                    <div>
                        <dt>"Created "</dt>
                        <dd data-testid="token-created"><Time at=token.created_at />{format!(" by {}", token.creator_email)}</dd>
                    </div>
                    <RowDates token=token.clone() kind now />
                    {exposed.then(|| view! { <Exposure token=token.clone() /> })}
                    <div>
                        <dt>"Last used "</dt>
                        <dd data-testid="token-last-used">{last_used}</dd>
                    </div>
                    // The client that last used it, as text (a hover title can't be reached on a touch screen).
                    {token.last_used_user_agent.clone().filter(|ua| !ua.is_empty()).map(|ua| view! {
                        <div class="user-agent">
                            <dt>"Client "</dt>
                            <dd data-testid="token-last-used-agent">{ua}</dd>
                        </div>
                    })}
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
                {can_report.then(|| view! {
                    <DialogTrigger label="Report" aria_label=format!("Report {label} as leaked") test_id="report-leaked"
                        class="small danger-outline" page=TOKENS_URL param="leaked" value=id.clone() dialog_id=LEAK_DIALOG
                        before_open=about_this />
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

/// Where and when a token revoked as exposed was found, and who reported it. The URL is shown as text,
/// never as a link: it comes from outside (a scanner, anyone holding the secret).
#[component]
fn Exposure(token: TokenEntry) -> impl IntoView {
    let via = token.exposed_via.map(|v| v.label());
    view! {
        <div>
            <dt>"Exposed "</dt>
            <dd data-testid="token-exposure">
                {token.exposed_at.map(|at| view! { <Time at /> })}
                {via.map(|via| view! { " — reported by " <span data-testid="exposed-intake">{via}</span> })}
            </dd>
        </div>
        {token.exposed_url.map(|url| view! {
            <div>
                <dt>"Found at "</dt>
                <dd data-testid="exposed-url" class="break">{url}</dd>
            </div>
        })}
        {token.exposed_source.map(|source| view! {
            <div>
                <dt>"Found in "</dt>
                <dd data-testid="exposed-source">{source}</dd>
            </div>
        })}
    }
}
