//! The Tessera server: configuration, start-up, the HTTP surface (pages, REST API, middleware) and the
//! command line. Business rules live in the `tessera-core` crate, shared with the dashboard's server
//! functions in `app`.

pub mod backup;
pub mod build_info;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod http;
pub mod startup;
pub mod telemetry;
