//! One log line per request: method, path (never the query string, which could carry a secret),
//! status and latency, and for API requests the Token ID (never the secret) and how authentication
//! ended.

use axum::{body::Body, http::Request, http::Response};
use std::time::Duration;
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::{OnResponse, TraceLayer},
};
use tracing::Span;

/// Left in a response's extensions by API authentication, for the request's log line.
#[derive(Debug, Clone, Copy)]
pub struct AuthNote {
    pub token: Option<app::ids::TokenId>,
    pub outcome: &'static str,
    /// The client's address, on refusals.
    pub refused_ip: Option<std::net::IpAddr>,
}

type MakeSpan = fn(&Request<Body>) -> Span;
type RequestTrace = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), LogResponse>;

pub fn trace_layer() -> RequestTrace {
    TraceLayer::new_for_http().make_span_with(make_span as MakeSpan).on_request(()).on_response(LogResponse)
}

fn make_span(request: &Request<Body>) -> Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

#[derive(Debug, Clone, Copy)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        let status = response.status().as_u16();
        let latency_us = latency.as_micros() as u64;
        match response.extensions().get::<AuthNote>() {
            Some(AuthNote { token: Some(token), outcome, refused_ip: None }) => {
                tracing::info!(status, latency_us, token = %token, auth = %outcome, "finished processing request")
            }
            Some(AuthNote { token, outcome, refused_ip: Some(ip) }) => match token {
                Some(token) => {
                    tracing::info!(status, latency_us, token = %token, auth = %outcome, %ip, "API token refused")
                }
                None => tracing::info!(status, latency_us, auth = %outcome, %ip, "API token refused"),
            },
            _ => tracing::info!(status, latency_us, "finished processing request"),
        }
    }
}
