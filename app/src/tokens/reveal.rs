//! The one time a secret is shown: the Token ID and Token Secret with copy buttons, a ready-to-paste
//! example, and after a rotation until when the old secret still works. The secret lives in the
//! island's memory only; "Done" forgets it. (The secret takes the focus: by `autofocus` when the server
//! renders the panel, by the island when it shows it.)

use super::state::{Ctx, Reveal};
use crate::{routes::TOKENS_URL, ui::CopyButton};
use leptos::prelude::*;

#[component]
pub fn RevealPanel(reveal: Reveal) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let Reveal { token, old_valid_until } = reveal;
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
    let done = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.forget_secret();
    };
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
                <a href=TOKENS_URL class="button primary" data-testid="close-reveal" on:click=done>"Done, I've copied it"</a>
            </div>
        </section>
    }
}
