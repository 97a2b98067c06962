//! The browser half of Tessera: hydrates the server-rendered pages. It depends on `app` with the
//! `hydrate` feature only, so nothing server-side (database, hashing, secrets) is compiled in; the
//! test command checks that with `scripts/check-wasm-deps.sh`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
