//! The one input component: a label, the input, its hint and its error, wired for screen readers
//! (`aria-describedby` names the hint and the error; `aria-invalid` marks the input while it has one).
//! Server-rendered pages pass a plain error; islands pass a signal, and the error follows it.

use leptos::prelude::*;

#[component]
pub fn Field(
    #[prop(into)] label: String,
    name: &'static str,
    /// The input's id (default `field-{name}`); give one when a page has the same field more than once.
    #[prop(optional, into)]
    id: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: MaybeProp<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] required: bool,
    /// The value (an island may change it; what was typed stays). Without one, what was typed before a
    /// failed post (never a password).
    #[prop(optional, into)]
    value: MaybeProp<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
    #[prop(optional)] test_id: &'static str,
    #[prop(optional)] autofocus: bool,
    /// A text input's `maxlength`.
    #[prop(optional)]
    max_chars: Option<usize>,
    /// A number input's `min` and `max`.
    #[prop(optional)]
    range: Option<(i64, i64)>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: &'static str,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    let hint = hint.get_untracked();
    let kept = if kind == "password" { None } else { crate::forms::kept_value(name) };
    let value = move || value.get().or_else(|| kept.clone());
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let has_hint = hint.is_some();
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let ids = [has_hint.then(|| hint_id.clone()), error.with(Option::is_some).then(|| error_id.clone())];
            let joined = ids.into_iter().flatten().collect::<Vec<_>>().join(" ");
            (!joined.is_empty()).then_some(joined)
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
                list=(!list.is_empty()).then_some(list)
                maxlength=max_chars
                min=range.map(|r| r.0)
                max=range.map(|r| r.1)
                inputmode=range.map(|_| "numeric")
                required=required
                autofocus=autofocus
                value=value
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described_by
                data-testid=(!test_id.is_empty()).then_some(test_id)
            />
            {hint.map(|h| view! { <span class="hint" id=hint_id>{h}</span> })}
            {move || error.get().map(|e| view! { <span class="error-text" id=error_id.clone()>{e}</span> })}
        </div>
    }
}
