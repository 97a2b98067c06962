//! Middleware that wraps every response.

mod headers;
mod trace;

pub use headers::security_headers;
pub use trace::trace_layer;
