//! The yardstick of `make bench`: a bare axum handler answering "ok", built with the same axum, tokio
//! and profile as Tessera, so the benchmark can say what Tessera's request path costs on top of axum.
//!   cargo run --release -p server --example bare_axum [127.0.0.1:0]

use axum::{Router, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("bare axum listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/", get(|| async { "ok" }))).await
}
