//! The tokens page's one island: the header's "Create Token", the create form, the reveal panel, the
//! lists with each row's actions, and the danger zone. They share what the page knows ([`Ctx`]), so
//! they are one island: creating a token opens its reveal and puts it in the list, deleting one takes
//! it out, without a page load. The server renders it with the page's data (and, after a form posted
//! without JavaScript, with that post's outcome), so it all works before and without hydration.

use super::{
    banners::Banners,
    create_form::{CreateForm, CreateTokenButton},
    danger_zone::DangerZone,
    dialogs::{DeleteDialog, LeakDialog, RotateDialog},
    list::TokenSections,
    reveal::RevealPanel,
    state::{Ctx, Initial, Notice},
};
use crate::ui::ErrorAlert;
use leptos::{either::Either, prelude::*};
use tessera_core::domain::org::{Action as Permission, allows};

#[island]
pub fn TokensArea(
    /// Everything the island starts from ([`Initial`]), as JSON. It is read with the decoder the server
    /// functions' answers are read with (the page's data is also what `tokens_overview` answers), so the
    /// WebAssembly carries that decoder once.
    initial: String,
) -> impl IntoView {
    let Ok(initial) = serde_json::from_slice::<Initial>(initial.as_bytes()) else {
        return Either::Right(view! {
            <div class="alert alert-error" role="alert">"This page could not be read. Reload it."</div>
        });
    };
    let secret_in_props = initial.has_secret();
    let org_name = initial.org_name.clone();
    let role = initial.role;
    let ctx = Ctx::new(initial);
    provide_context(ctx);
    Effect::new(move |_| {
        ctx.start();
        // A secret that came with the page (a form posted before the page hydrated) is also in the
        // island's serialised props; once hydrated they are read, and the attribute goes.
        if secret_in_props {
            crate::ui::dom::forget_props("TokensArea");
        }
    });
    let header_button = move || {
        let empty = ctx.data.with(|d| d.active.items.is_empty() && d.active.next.is_none());
        !empty && !ctx.form_open.get() && ctx.reveal.with(Option::is_none)
    };
    let can_revoke_all = allows(role, Permission::RevokeAllTokens);
    Either::Left(view! {
        <div class="page-header">
            <div>
                <h1>"API Tokens"</h1>
                <p>
                    "Tokens let programs (CI pipelines, command-line tools, IDE extensions, MCP servers) call the API for "
                    <strong>{org_name.clone()}</strong>
                    ". A token can do exactly what its creator can do in this organization, now: if their role changes, so does the token."
                </p>
            </div>
            <Show when=header_button>
                <CreateTokenButton />
            </Show>
        </div>
        <div class="notices" role="status">
            {move || ctx.notice.get().map(notice)}
        </div>
        {move || ctx.error_at(&super::state::Place::Page).map(|e| view! { <ErrorAlert error=Some(e.to_string()) /> })}
        {move || ctx.reveal.get().map(|reveal| view! { <RevealPanel reveal /> })}
        <Show when=move || ctx.form_open.get()>
            <CreateForm />
        </Show>
        <Banners />
        <TokenSections />
        {can_revoke_all.then(|| view! { <DangerZone org_name /> })}
        <DeleteDialog />
        <RotateDialog />
        <LeakDialog />
    })
}

fn notice(notice: Notice) -> impl IntoView {
    let (test_id, text) = match notice {
        Notice::Deleted(name) => (
            "token-deleted",
            match name {
                Some(name) => format!("Token \u{201c}{name}\u{201d} deleted. It no longer works."),
                None => "The token was deleted. It no longer works.".to_owned(),
            },
        ),
        Notice::Reported(name, revoked) => (
            "token-reported",
            format!(
                "{} reported as leaked {}",
                name.map_or_else(|| "The token was".to_owned(), |name| format!("Token \u{201c}{name}\u{201d}")),
                if revoked { "and revoked. It no longer works." } else { "(it had already stopped working)." }
            ),
        ),
        Notice::RevokedAll(n) => (
            "revoked-all",
            format!(
                "{n} token{} revoked. Every program using them stopped working.",
                if n == 1 { " was" } else { "s were" }
            ),
        ),
    };
    view! { <div class="alert alert-success" data-testid=test_id>{text}</div> }
}
