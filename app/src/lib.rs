//! Tessera's dashboard: pages, islands and typed server functions, shared by the server (feature `ssr`)
//! and the browser (feature `hydrate`).
//!
//! Pages render on the server, and every page works without JavaScript: each form posts to its server
//! function's URL, and the server answers a browser's form post with a redirect back to the page, which
//! shows the outcome once (see [`forms`]). Only the interactive parts are
//! islands that hydrate in the browser: the tokens page's one island (its forms, reveal panel and lists,
//! acting in place through the server functions), copy buttons, dialogs, the policy preview. Server
//! functions are thin adapters: they find the request's context with [`request::serve`] and call the
//! core's services, which hold every rule. Nothing that touches secrets or the database compiles into
//! the WebAssembly bundle (the core's `server` feature is only on with `ssr`).
#![recursion_limit = "256"]

pub mod account;
pub mod audit;
pub mod auth;
pub mod error;
pub mod forms;
pub mod home;
pub mod orgs;
pub mod policy;
#[cfg(feature = "ssr")]
pub mod request;
pub mod routes;
pub mod session;
mod shell;
#[cfg(feature = "ssr")]
pub mod state;
pub mod tokens;
pub mod ui;
pub mod webhooks;

pub use shell::{App, PAGES, shell};
