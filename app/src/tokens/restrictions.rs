//! The create form's "Restrictions (optional)" disclosure: a role ceiling, an IP allowlist and a rate
//! limit, each blank for none; and the badges a row shows for them. What each ceiling may and may not do
//! comes from the one role table (`tessera_core::domain::restriction::ceiling_abilities`).

use leptos::prelude::*;
use tessera_core::domain::{
    org::Role,
    restriction::{IpAllowlist, RateLimit, Restrictions, ceiling_abilities},
};

/// The three fields. `role` is the creator's: no ceiling above it is offered (the server refuses one).
#[component]
pub fn RestrictionFields(
    role: Role,
    #[prop(into)] ceiling_error: Signal<Option<String>>,
    #[prop(into)] ips_error: Signal<Option<String>>,
    #[prop(into)] rate_error: Signal<Option<String>>,
    kept_ceiling: Option<String>,
    kept_ips: Option<String>,
    kept_rate: Option<String>,
) -> impl IntoView {
    // Open when something was chosen or refused, so a failed post shows what it was about.
    let open = kept_ceiling.as_deref().is_some_and(|v| !v.is_empty())
        || kept_ips.as_deref().is_some_and(|v| !v.trim().is_empty())
        || kept_rate.as_deref().is_some_and(|v| !v.trim().is_empty());
    let open = move || {
        open || ceiling_error.with(Option::is_some)
            || ips_error.with(Option::is_some)
            || rate_error.with(Option::is_some)
    };
    let kept_ceiling = kept_ceiling.unwrap_or_default();
    let choices: Vec<Role> = Role::ALL.into_iter().rev().filter(|r| *r <= role).collect();
    let described = |id: &'static str, error: Signal<Option<String>>| {
        move || if error.with(Option::is_some) { format!("{id}-hint {id}-error") } else { format!("{id}-hint") }
    };
    view! {
        <details class="collapsible restrictions" data-testid="restrictions" open=open>
            <summary data-testid="restrictions-toggle">"Restrictions (optional)"</summary>
            <p class="hint">
                "Narrow what this token can do. Restrictions can't be loosened later (a rotation keeps them); to change them, create a new token."
            </p>
            <div class="field">
                <label for="token-ceiling">"Role ceiling"</label>
                <select
                    id="token-ceiling"
                    name="ceiling"
                    data-testid="ceiling-select"
                    aria-invalid=move || ceiling_error.with(Option::is_some).then_some("true")
                    aria-describedby=described("token-ceiling", ceiling_error)
                >
                    <option value="" selected=kept_ceiling.is_empty()>{format!("None: your current role ({role})")}</option>
                    {choices
                        .iter()
                        .map(|r| {
                            let label = if *r == Role::Viewer { "Viewer (read-only)".to_owned() } else { r.label().to_owned() };
                            view! { <option value=r.as_str() selected=kept_ceiling == r.as_str()>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <div class="hint" id="token-ceiling-hint">
                    "The token acts as the lower of this and your role at the time of each request."
                    <ul class="ceiling-table" data-testid="ceiling-explanations">
                        {choices
                            .iter()
                            .map(|r| {
                                let (can, cannot) = ceiling_abilities(*r);
                                let cannot = if cannot.is_empty() { "nothing your role allows".to_owned() } else { cannot.join(", ") };
                                view! {
                                    <li>
                                        <strong>{r.label()}</strong>
                                        {format!(": can {}; can't {}.", can.join(", "), cannot)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
                {move || ceiling_error.get().map(|e| view! { <span class="error-text" id="token-ceiling-error">{e}</span> })}
            </div>
            <div class="field">
                <label for="token-allowed-ips">"IP allowlist"</label>
                <textarea
                    id="token-allowed-ips"
                    name="allowed_ips"
                    rows="3"
                    spellcheck="false"
                    autocomplete="off"
                    data-testid="allowed-ips"
                    placeholder="203.0.113.7, 10.0.0.0/8, 2001:db8::/32"
                    aria-invalid=move || ips_error.with(Option::is_some).then_some("true")
                    aria-describedby=described("token-allowed-ips", ips_error)
                >
                    {kept_ips.unwrap_or_default()}
                </textarea>
                <span class="hint" id="token-allowed-ips-hint">
                    {format!(
                        "Up to {} IPv4 or IPv6 addresses or networks (CIDR), separated by commas or new lines. Requests from anywhere else are refused. Empty: any address.",
                        IpAllowlist::MAX
                    )}
                </span>
                {move || ips_error.get().map(|e| view! { <span class="error-text" id="token-allowed-ips-error">{e}</span> })}
            </div>
            <div class="field">
                <label for="token-rate-limit">"Rate limit (requests per minute)"</label>
                <input
                    id="token-rate-limit"
                    name="rate_limit_per_minute"
                    type="number"
                    min=RateLimit::MIN
                    max=RateLimit::MAX
                    step="1"
                    inputmode="numeric"
                    data-testid="rate-limit"
                    value=kept_rate.unwrap_or_default()
                    aria-invalid=move || rate_error.with(Option::is_some).then_some("true")
                    aria-describedby=described("token-rate-limit", rate_error)
                />
                <span class="hint" id="token-rate-limit-hint">
                    {format!(
                        "{} to {}. Beyond it in a minute, requests get 429 Too Many Requests until the next minute. Empty: no limit.",
                        RateLimit::MIN,
                        RateLimit::MAX
                    )}
                </span>
                {move || rate_error.get().map(|e| view! { <span class="error-text" id="token-rate-limit-error">{e}</span> })}
            </div>
        </details>
    }
}

/// One badge per restriction of a token, for its row.
#[component]
pub fn RestrictionBadges(restrictions: Restrictions) -> impl IntoView {
    restrictions
        .badges()
        .into_iter()
        .map(|(kind, label, description)| {
            view! {
                <span class="badge info" data-testid="restriction-badge" data-restriction=kind title=description.clone()>
                    {label}
                    <span class="visually-hidden">{format!(" ({description})")}</span>
                </span>
            }
        })
        .collect_view()
}
