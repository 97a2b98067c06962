//! The browser half of Tessera: hydrates the islands of the server-rendered pages. It depends on `app`
//! with the `hydrate` feature only, so nothing server-side (database, hashing, secrets) is compiled in;
//! the test command checks that with `scripts/check-wasm-deps.sh`.

// The islands are exported from `app`: name the crate so the linker keeps them.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
