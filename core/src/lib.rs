//! Tessera's core, free of any web framework: it imports neither leptos nor axum, so the rules in it are
//! the same whichever adapter calls them (dashboard server functions, REST handlers, the CLI) and tests
//! call them directly.
//!
//! Everywhere (also in the browser's WebAssembly): typed ids, instants, domain types that can't hold a
//! bad value, and the one error type with its wire form.
//!
//! Behind the `server` feature: the clock, cryptography and the server key, the database and one store
//! per aggregate, the services that hold the business rules, and API-token verification.
//!
//! Layers, bottom up (each imports only those below it):
//! `sql_types` (how they bind in SQL) → `ids`, `time`, `error`, `domain`, `views` → `clock`, `crypto`, `secret`, `db`, `identity` → `store` → `verify` → `services`, and `context`
//! (what the services are given) on top.

pub mod domain;
pub mod error;
pub mod ids;
pub mod time;
pub mod views;

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod context;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod keys;
#[cfg(feature = "server")]
pub mod passwords;
#[cfg(feature = "server")]
pub mod secret;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "server")]
pub mod sql_types;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "server")]
pub mod verify;

pub use error::{Error, ErrorBody, ErrorKind};
