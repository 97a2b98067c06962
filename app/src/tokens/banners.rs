//! What needs attention, above the lists: tokens about to expire, and tokens the policy now refuses.

use super::{names::display_name, state::Ctx};
use leptos::prelude::*;
use tessera_core::{domain::token::EXPIRING_SOON_DAYS, time::expires_phrase};

#[component]
pub fn Banners() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let expiring = move || {
        ctx.data.with(|data| {
            let n = data.expiring_soon.len();
            (n > 0).then(|| {
                let items = data
                    .expiring_soon
                    .iter()
                    .map(|t| format!("{} ({})", display_name(t), expires_phrase(t.expires_at, data.now)))
                    .collect::<Vec<_>>();
                view! {
                    <div class="alert alert-warning" role="status" data-testid="expiring-banner">
                        <strong>{if n == 1 { format!("1 token expires within {EXPIRING_SOON_DAYS} days.") } else { format!("{n} tokens expire within {EXPIRING_SOON_DAYS} days.") }}</strong>
                        " Rotate them before they lapse, so the programs using them keep working: "
                        {items.into_iter().map(|item| view! { <span class="banner-item">{item}</span> }).collect_view()}
                    </div>
                }
            })
        })
    };
    let over_policy = move || {
        ctx.data.with(|data| {
            let n = data.over_policy;
            (n > 0).then(|| {
                view! {
                    <div class="alert alert-error" role="alert" data-testid="policy-banner">
                        <strong>{format!("{n} token{} the organization's maximum lifetime of {} and {} refused.",
                            if n == 1 { " outlives" } else { "s outlive" }, data.policy.max_lifetime,
                            if n == 1 { "is" } else { "are" })}</strong>
                        " Rotate each one (its successor gets a lifetime within the policy) or replace it."
                    </div>
                }
            })
        })
    };
    view! {
        {expiring}
        {over_policy}
    }
}
