//! Prometheus metrics at `/metrics`: requests by route and status, a latency histogram, API
//! authentication outcomes, and the token cache.

use super::ServerState;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use parking_lot::Mutex;
use std::{collections::BTreeMap, fmt::Write};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct RouteStats {
    /// (method, status) -> count
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: Histogram,
}

#[derive(Default)]
struct Inner {
    routes: BTreeMap<String, RouteStats>,
}

/// Standard methods as static strings, so counting a request allocates nothing.
pub fn method_name(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn request(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let mut inner = self.inner.lock();
        let stats = match inner.routes.get_mut(route) {
            Some(stats) => stats,
            None => inner.routes.entry(route.to_owned()).or_default(),
        };
        *stats.requests.entry((method, status)).or_default() += 1;
        let histogram = &mut stats.latency;
        histogram.count += 1;
        histogram.sum += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            histogram.counts[i] += 1;
        }
    }

    pub fn render(&self, state: &ServerState, outbox: Option<Outbox>) -> String {
        let verifier = &state.app.core.verifier;
        let inner = self.inner.lock();
        let mut out = String::new();
        out.push_str("# HELP tessera_build_info The version and commit of this binary.\n");
        out.push_str("# TYPE tessera_build_info gauge\n");
        let _ = writeln!(
            out,
            "tessera_build_info{{version=\"{}\",commit=\"{}\"}} 1",
            crate::build_info::VERSION,
            crate::build_info::COMMIT
        );
        out.push_str("# HELP tessera_http_requests_total HTTP requests by route template, method and status.\n");
        out.push_str("# TYPE tessera_http_requests_total counter\n");
        for (route, stats) in &inner.routes {
            for ((method, status), n) in &stats.requests {
                let _ = writeln!(
                    out,
                    "tessera_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP tessera_http_request_duration_seconds Time to answer, by route template.\n");
        out.push_str("# TYPE tessera_http_request_duration_seconds histogram\n");
        for (route, RouteStats { latency: h, .. }) in &inner.routes {
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "tessera_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "tessera_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "tessera_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "tessera_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out.push_str("# HELP tessera_api_auth_total API token authentications by outcome.\n");
        out.push_str("# TYPE tessera_api_auth_total counter\n");
        for (outcome, n) in verifier.outcome_counts() {
            let _ = writeln!(out, "tessera_api_auth_total{{outcome=\"{outcome}\"}} {n}");
        }
        out.push_str("# HELP tessera_token_cache_entries Verified tokens held in memory.\n");
        out.push_str("# TYPE tessera_token_cache_entries gauge\n");
        let _ = writeln!(out, "tessera_token_cache_entries {}", verifier.cached_tokens());
        let (lookups, statements) = verifier.lookups.counts();
        out.push_str("# HELP tessera_token_lookups_total API tokens read from the database.\n");
        out.push_str("# TYPE tessera_token_lookups_total counter\n");
        let _ = writeln!(out, "tessera_token_lookups_total {lookups}");
        out.push_str(
            "# HELP tessera_token_lookup_statements_total Statements those reads took (concurrent ones share one).\n",
        );
        out.push_str("# TYPE tessera_token_lookup_statements_total counter\n");
        let _ = writeln!(out, "tessera_token_lookup_statements_total {statements}");
        out.push_str("# HELP tessera_token_last_used_writes_total Last-used records written (at most one per token per minute).\n");
        out.push_str("# TYPE tessera_token_last_used_writes_total counter\n");
        let _ = writeln!(out, "tessera_token_last_used_writes_total {}", verifier.usage.written());
        if let Some(outbox) = outbox {
            out.push_str(
                "# HELP tessera_outbox_pending Emails and webhook deliveries not yet delivered (nor given up).\n",
            );
            out.push_str("# TYPE tessera_outbox_pending gauge\n");
            let _ = writeln!(out, "tessera_outbox_pending {}", outbox.pending);
            out.push_str("# HELP tessera_outbox_oldest_pending_seconds Age of the oldest pending message (0: none).\n");
            out.push_str("# TYPE tessera_outbox_oldest_pending_seconds gauge\n");
            let _ = writeln!(out, "tessera_outbox_oldest_pending_seconds {}", outbox.oldest_age_seconds);
        }
        out
    }
}

pub async fn serve(State(state): State<ServerState>) -> Response {
    use tessera_core::services::delivery;
    let core = &state.app.core;
    let outbox = match (delivery::pending(core).await, delivery::oldest_pending(core).await) {
        (Ok(pending), Ok(oldest)) => Some(Outbox {
            pending,
            oldest_age_seconds: oldest.map_or(0.0, |t| (core.clock.now().millis() - t.millis()).max(0) as f64 / 1000.0),
        }),
        _ => None,
    };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render(&state, outbox)).into_response()
}

/// The outbox's backlog, read when metrics are scraped.
pub struct Outbox {
    pub pending: i64,
    pub oldest_age_seconds: f64,
}
