//! Server-only infrastructure the features share: database, clock, cryptography, request context.

pub mod clock;
pub mod crypto;
pub mod db;
pub mod headers;
pub mod keys;
pub mod request;
pub mod state;
