//! Tessera's application: pages, components and typed server functions, shared by the server (feature
//! `ssr`) and the browser (feature `hydrate`). Everything that handles secrets, passwords or the database
//! lives behind `ssr` and never compiles into the WebAssembly bundle.
#![recursion_limit = "256"]

pub mod auth;
pub mod error;
pub mod home;
pub mod ids;
pub mod orgs;
#[cfg(feature = "ssr")]
pub mod platform;
mod shell;
pub mod time;
pub mod tokens;
pub mod ui;

pub use shell::{App, shell};
