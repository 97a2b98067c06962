//! The business rules, one module per concern. Each function takes the [`crate::context::Core`] and
//! parsed domain input, checks the caller's permission itself, makes its change and records its audit
//! events in one transaction, and returns a typed result or an [`crate::Error`].

pub mod accounts;
pub mod audit;
pub mod authenticate;
pub mod delivery;
pub mod events;
pub mod housekeeping;
pub mod instance;
pub mod leaks;
pub mod members;
pub mod notify;
pub mod policy;
pub mod sessions;
pub mod tokens;
pub mod two_factor;
pub mod webhooks;
