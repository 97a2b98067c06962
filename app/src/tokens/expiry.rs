//! The expiration chooser of the token form: preset lengths up to the organization's maximum, or a
//! custom number of days (its input shows only when "Custom" is chosen: the stylesheet does it, so it
//! works without JavaScript too), and, once hydrated, the date the choice leads to as it changes.

use leptos::{html, prelude::*};
use tessera_core::{domain::token::ExpiryDays, time::Timestamp};

#[component]
pub fn ExpiryField(
    /// The server's clock when the page was rendered: dates count from it.
    now: Timestamp,
    default_days: i64,
    max_days: i64,
    #[prop(into)] error: Signal<Option<String>>,
    /// The choice and the custom number of days of a failed post, to show them again.
    choice: Option<String>,
    custom: Option<String>,
) -> impl IntoView {
    let hydrated = expect_context::<super::state::Ctx>().hydrated;
    let mut presets: Vec<i64> = ExpiryDays::PRESETS.into_iter().filter(|d| *d <= max_days).collect();
    if !presets.contains(&default_days) {
        presets.push(default_days);
        presets.sort_unstable();
    }
    let initial = choice.filter(|c| c == "custom" || presets.iter().any(|d| d.to_string() == *c));
    let (choice, set_choice) = signal(initial.unwrap_or_else(|| default_days.to_string()));
    let custom_value = custom.clone().unwrap_or_default();
    let (custom, set_custom) = signal(custom.unwrap_or_default());
    let custom_input = NodeRef::<html::Input>::new();
    let result = move || {
        // Without JavaScript the choice can't be followed live: say how the date is counted instead.
        if !hydrated.get() {
            return "Counted from now. A token can't be extended: when it expires, create a new one.".to_owned();
        }
        let raw = if choice.get() == "custom" { custom.get() } else { choice.get() };
        match raw.trim().parse::<i64>() {
            Ok(days) if (ExpiryDays::MIN..=max_days).contains(&days) => {
                format!("The token will expire on {}.", now.plus_days(days).date())
            }
            _ => format!("Choose between {} and {max_days} days.", ExpiryDays::MIN),
        }
    };
    let invalid = move || error.with(Option::is_some).then_some("true");
    let described_by = move || if error.with(Option::is_some) { "expiry-result expiry-error" } else { "expiry-result" };
    let chosen = move |value: &str| choice.with(|c| c == value);
    let chosen_at_first = move |value: &str| choice.with_untracked(|c| c == value);
    view! {
        <fieldset class="field expiry" aria-describedby=described_by>
            <legend>"Expiration"</legend>
            <div class="chips">
                {presets
                    .into_iter()
                    .map(|days| {
                        let value = days.to_string();
                        let id = format!("expiry-{days}");
                        let label_for = id.clone();
                        let (mine, on_change) = (value.clone(), value.clone());
                        view! {
                            <label class="chip" for=label_for>
                                <input
                                    type="radio"
                                    id=id
                                    name="expires_in_days"
                                    value=value
                                    checked=chosen_at_first(&mine)
                                    prop:checked=move || chosen(&mine)
                                    on:change=move |_| set_choice.set(on_change.clone())
                                />
                                <span>
                                    {format!("{days} days")}<span class="visually-hidden">{format!(", until {}", now.plus_days(days).date())}</span>
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
                        checked=chosen_at_first("custom")
                        prop:checked=move || chosen("custom")
                        on:change=move |_| {
                            set_choice.set("custom".to_owned());
                            if let Some(input) = custom_input.get() {
                                let _ = input.focus();
                            }
                        }
                    />
                    <span>"Custom"</span>
                </label>
            </div>
            <div class="expiry-custom">
                <label for="custom-days">"Custom number of days"</label>
                <input
                    id="custom-days"
                    name="custom_days"
                    type="number"
                    min=ExpiryDays::MIN
                    max=max_days
                    step="1"
                    inputmode="numeric"
                    placeholder=format!("{}–{max_days}", ExpiryDays::MIN)
                    value=custom_value
                    node_ref=custom_input
                    aria-invalid=invalid
                    aria-describedby=described_by
                    on:input=move |ev| {
                        set_custom.set(event_target_value(&ev));
                        set_choice.set("custom".to_owned());
                    }
                />
            </div>
            <p class="hint" id="expiry-result" aria-live="polite" data-testid="expiry-result">{result}</p>
            {move || error.get().map(|e| view! { <span class="error-text" id="expiry-error">{e}</span> })}
        </fieldset>
    }
}
