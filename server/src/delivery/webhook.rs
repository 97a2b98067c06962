//! Webhook POSTs with reqwest. Unless the operator allows private endpoints, nothing inside the
//! server's network is called: a URL whose host is an internal address (the client connects to
//! literals without asking any resolver) or an internal name is refused before any connection, and
//! names are resolved through a resolver that drops loopback, private and link-local addresses, so a
//! name that points inside, or is made to later (DNS rebinding), is never called either. Redirects are
//! not followed and proxies from the environment are not used, for the same reason. The client is given
//! the parsed `Url` itself, so the host checked is the host connected to.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tessera_core::{
    domain::webhook::{WebhookUrl, is_private_address},
    services::delivery::Answer,
};

struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| !is_private_address(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{} resolves only to private addresses, which Tessera does not call",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

pub struct Poster {
    client: reqwest::Client,
    allow_private: bool,
}

impl Poster {
    pub fn new(allow_private: bool) -> Self {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Tessera-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Self { client: builder.build().expect("the webhook client's settings are valid"), allow_private }
    }

    pub async fn post(&self, url: &WebhookUrl, headers: &[(&'static str, String)], body: &str) -> Answer {
        if !self.allow_private && url.is_internal() {
            let error = format!("refused: {} is an internal address or name", url.host());
            return Answer { status: None, error: Some(error) };
        }
        let mut request =
            self.client.post(url.url().clone()).header("content-type", "application/json").body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                // Read (a little of) the body so the connection can be reused; its content is not kept.
                let _ = response.bytes().await;
                let error = (!(200..300).contains(&status)).then(|| format!("the endpoint answered HTTP {status}"));
                Answer { status: Some(status), error }
            }
            Err(e) => Answer { status: None, error: Some(describe(e)) },
        }
    }
}

/// What went wrong, without the URL (it may hold the receiver's own secret).
fn describe(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    if detail.is_empty() { what.to_owned() } else { format!("{what}: {detail}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[tokio::test]
    async fn names_that_resolve_inside_are_refused() {
        let refused = PublicOnly.resolve(Name::from_str("localhost").unwrap()).await.err().expect("refused");
        assert!(refused.to_string().contains("private addresses"), "{refused}");
        let refused = PublicOnly.resolve(Name::from_str("127.0.0.1").unwrap()).await.err().expect("refused");
        assert!(refused.to_string().contains("private addresses"), "{refused}");
    }

    #[tokio::test]
    async fn the_poster_does_not_call_a_name_that_resolves_to_loopback() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = WebhookUrl::parse(&format!("http://localhost:{port}/hook"), true).unwrap();
        let answer = Poster::new(false).post(&url, &[], "{}").await;
        assert_eq!(answer.status, None);
        assert!(answer.error.as_deref().is_some_and(|e| e.contains("internal")), "{answer:?}");
        // Nothing connected.
        let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(accepted.is_err(), "the endpoint was called");
    }

    /// The connector itself refuses internal literals (which reach no resolver), whatever let the URL
    /// through before it: an endpoint stored by an older version, a row written by hand. Only loopback is
    /// used here: a listener that would see the connection.
    #[tokio::test]
    async fn the_poster_refuses_internal_literals_it_would_connect_to_directly() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let strict = Poster::new(false);
        for host in
            ["127.0.0.1", "127.1", "0x7f.1", "2130706433", "0177.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"]
        {
            let url = WebhookUrl::parse(&format!("http://{host}:{port}/hook"), true).unwrap();
            let answer = strict.post(&url, &[], "{}").await;
            assert_eq!(answer.status, None, "{host}");
            assert!(answer.error.as_deref().is_some_and(|e| e.starts_with("refused")), "{host}: {answer:?}");
        }
        let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(accepted.is_err(), "the endpoint was called");
        // The same URL is called when the operator allows private endpoints: the refusal was the guard's.
        let url = WebhookUrl::parse(&format!("http://0x7f.1:{port}/hook"), true).unwrap();
        let call = tokio::spawn(async move { Poster::new(true).post(&url, &[], "{}").await });
        let accepted = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await;
        assert!(accepted.is_ok_and(|a| a.is_ok()), "allowed: the endpoint is called");
        call.abort();
    }
}
