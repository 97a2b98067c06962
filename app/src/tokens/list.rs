//! The three lists: active tokens (or, with none, the empty state and its call to action), and the
//! expired and revoked ones, collapsed. Each is a page at a time, with "Older tokens" for the next.

use super::{
    create_form::CreateTokenButton,
    names::ListKind,
    row::{TokenRow, row_key},
    state::Ctx,
};
use crate::{routes::TOKENS_URL, ui::EmptyState};
use leptos::prelude::*;
use tessera_core::views::{Page, TokenListing};

#[component]
pub fn TokenSections() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let empty = move || ctx.data.with(|d| d.active.items.is_empty() && d.active.next.is_none());
    // A list being paged through is shown open.
    let (expired_open, revoked_open) = (ctx.paged(ListKind::Expired), ctx.paged(ListKind::Revoked));
    let offer_create = move || !ctx.form_open.get() && ctx.reveal.with(Option::is_none);
    view! {
        <section class="section" aria-labelledby="active-title">
            <div class="section-title">
                <h2 id="active-title" tabindex="-1">"Active tokens"</h2>
            </div>
            <Show when=empty>
                <EmptyState title="No active tokens" test_id="tokens-empty">
                    <p>"Create a token for each program that calls the API, so you can delete one without breaking the others."</p>
                    <Show when=offer_create>
                        <CreateTokenButton />
                    </Show>
                </EmptyState>
            </Show>
            <Show when=move || !empty()>
                <TokenList kind=ListKind::Active />
            </Show>
        </section>
        <Show when=move || ctx.data.with(|d| !d.expired.items.is_empty())>
            <details class="section collapsible" data-testid="expired-tokens" open=expired_open>
                <summary>{move || format!("Expired tokens ({})", ctx.data.with(|d| count_label(&d.expired)))}</summary>
                <p class="muted">"Expired tokens no longer work and can't be renewed. Create new ones instead."</p>
                <TokenList kind=ListKind::Expired />
            </details>
        </Show>
        <Show when=move || ctx.data.with(|d| !d.revoked.items.is_empty())>
            <details class="section collapsible" data-testid="revoked-tokens" open=revoked_open>
                <summary>{move || format!("Revoked tokens ({})", ctx.data.with(|d| count_label(&d.revoked)))}</summary>
                <p class="muted">"Revoked tokens stopped working for good; each says why."</p>
                <TokenList kind=ListKind::Revoked />
            </details>
        </Show>
    }
}

fn count_label<T>(page: &Page<T>) -> String {
    if page.next.is_some() { format!("{}+", page.items.len()) } else { page.items.len().to_string() }
}

fn page_of(kind: ListKind, data: &super::TokensPageData) -> &Page<TokenListing> {
    match kind {
        ListKind::Active => &data.active,
        ListKind::Expired => &data.expired,
        ListKind::Revoked => &data.revoked,
    }
}

#[component]
fn TokenList(kind: ListKind) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let next = move || ctx.data.with(|d| page_of(kind, d).next.clone());
    view! {
        <ul class="list" data-testid=kind.test_id()>
            <For
                each=move || ctx.data.with(|d| page_of(kind, d).items.clone())
                key=row_key
                children=move |listing| view! { <TokenRow listing kind /> }
            />
        </ul>
        {move || next().map(|next| view! {
            <div class="list-footer">
                <form method="get" action=TOKENS_URL class="inline-form">
                    <input type="hidden" name=kind.paging() value=next />
                    <button type="submit" class="small" data-testid=format!("{}-older", kind.test_id())>"Older tokens"</button>
                </form>
            </div>
        })}
    }
}
