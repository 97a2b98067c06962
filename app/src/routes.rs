//! The dashboard's page addresses: the lowest layer of the app, used by the page frame and the pages
//! alike (so the frame's navigation doesn't make it depend on every page). They live in core, so that
//! emails and the server's redirects name the same pages.

pub use tessera_core::domain::links::*;
