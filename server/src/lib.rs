//! The Tessera server: configuration, start-up, HTTP routes and middleware, and the admin CLI.
//! Business rules live in the `app` crate (feature `ssr`), shared with the dashboard's server functions.

pub mod api;
pub mod cli;
pub mod config;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod startup;
pub mod telemetry;
