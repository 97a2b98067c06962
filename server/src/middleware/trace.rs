//! One log line per request: method, path (never the query string, which could carry a secret),
//! status and latency.

use axum::{body::Body, http::Request};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::{Level, Span};

type MakeSpan = fn(&Request<Body>) -> Span;
type RequestTrace = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), DefaultOnResponse>;

pub fn trace_layer() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(make_span as MakeSpan)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}

/// API requests fill in `token` (the Token ID, never the secret) and `auth` (the outcome).
fn make_span(request: &Request<Body>) -> Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        token = tracing::field::Empty,
        auth = tracing::field::Empty,
    )
}
