//! Middleware around the routes: request logs, security headers, cross-site request refusal, and the
//! page gates (setup first, sign-in for the dashboard).

mod csrf;
mod gates;
mod headers;
mod trace;

pub use csrf::{csrf, is_same_site};
pub use gates::page_gates;
pub use headers::security_headers;
pub use trace::{AuthNote, trace_layer};
