//! Tessera behind a real nginx, configured with the sample the README points to (deploy/nginx.conf):
//! the dashboard proxied, and another service protected by forward authentication. Clients must not be
//! able to choose the address Tessera records, nor the organization or role the service is told.

use crate::helpers::{Backend, TestApp, TestDatabase};
use app::routes::LOGIN_URL;
use axum::{Json, Router, http::HeaderMap, routing::any};
use std::{collections::HashMap, net::SocketAddr, path::Path, process::Stdio};
use tessera_core::services::tokens;

/// Storage plays no part here: SQLite only.
#[test]
fn nginx_forward_auth_passes_the_caller_and_never_the_clients_claims() {
    crate::helpers::runtime().block_on(crate::helpers::within_time_limit(nginx_forward_auth(Backend::Sqlite)))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The service behind nginx: answers with the headers it was given.
async fn echo_backend() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(any(|headers: HeaderMap| async move {
        let seen: HashMap<String, String> =
            headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
        Json(seen)
    }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

struct Nginx {
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// nginx running deploy/nginx.conf, with its addresses replaced by the test's.
async fn nginx(tessera: &str, backend: SocketAddr, front: u16, reports: u16) -> Nginx {
    let sample = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf")).unwrap();
    let sample = sample
        .replace("    server 10.0.0.11:3000;\n    server 10.0.0.12:3000;\n", &format!("    server {tessera};\n"))
        .replacen("listen 443 ssl;", &format!("listen 127.0.0.1:{front};"), 1)
        .replacen("listen 443 ssl;", &format!("listen 127.0.0.1:{reports};"), 1);
    assert!(
        !sample.contains("server 10.0.0.1") && !sample.contains("listen 443"),
        "the sample changed shape:\n{sample}"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    std::fs::write(dir.path().join("sample.conf"), sample).unwrap();
    std::fs::write(
        dir.path().join("nginx.conf"),
        format!(
            "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n  \
             upstream reports-backend {{ server {backend}; }}\n  include {d}/sample.conf;\n}}\n"
        ),
    )
    .unwrap();
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("nginx is missing: `make test` installs it (scripts/bootstrap.sh test), or apt-get install -y nginx");
    let child = tokio::process::Command::new(nginx)
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start nginx");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", reports)).await.is_ok()
            && tokio::net::TcpStream::connect(("127.0.0.1", front)).await.is_ok()
        {
            return Nginx { child, _dir: dir };
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("nginx did not start: {}", std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default());
}

/// A client on another loopback address than nginx's, so that "the client's address" means something.
fn client_from(addr: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from(addr)).no_proxy().build().unwrap()
}

async fn nginx_forward_auth(backend: Backend) {
    let db = TestDatabase::create(backend).await.unwrap();
    // nginx connects from 127.0.0.1: the only trusted proxy. Clients come from 127.0.0.2.
    let app = TestApp::spawn_on(db, |c| c.proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let owner = app.setup_owner().await;
    let viewer = app.member("viewer@example.com", "viewer").await;
    let token = viewer.token("reports").await;
    let backend_addr = echo_backend().await;
    let (front, reports) = (free_port(), free_port());
    let tessera = app.url.trim_start_matches("http://").to_owned();
    let _nginx = nginx(&tessera, backend_addr, front, reports).await;
    let client = client_from([127, 0, 0, 2]);
    let protected = format!("http://127.0.0.1:{reports}/monthly");

    // A valid token: the service learns who is calling, from Tessera; the client's claims are replaced.
    let answer = client
        .get(&protected)
        .header("X-ZeroPath-API-Token-Id", token.id.to_string())
        .header("X-ZeroPath-API-Token-Secret", &token.secret)
        .header("X-Forwarded-For", "203.0.113.9")
        .header("X-Tessera-Role", "owner")
        .header("X-Tessera-Org-Id", "00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let seen: HashMap<String, String> = answer.json().await.unwrap();
    assert_eq!(seen["x-tessera-role"], "viewer", "the role comes from Tessera, not the client");
    assert_eq!(seen["x-tessera-org-id"], app.org("Acme").await.to_string());
    assert_eq!(seen["x-tessera-user-id"], app.user_id("viewer@example.com").await.to_string());
    assert_eq!(seen["x-tessera-token-id"], token.id.to_string());
    assert!(seen.get("x-zeropath-api-token-secret").is_none_or(|s| s.is_empty()), "the secret stops at nginx");

    // Tessera recorded the client's real address, not the one it claimed.
    let listed = async || {
        let page = owner.list_tokens(None).await.unwrap();
        page.items.into_iter().find(|l| l.token.id == token.id).unwrap().token.last_used_ip
    };
    assert!(crate::helpers::soon(async || listed().await.is_some()).await);
    assert_eq!(listed().await.as_deref(), Some("127.0.0.2"));

    // Anything less than a valid token: 401 from nginx, and the service is never called.
    for (id, secret) in [(token.id.to_string(), "tsr_wrong".to_owned()), (String::new(), String::new())] {
        let mut request = client.get(&protected);
        if !id.is_empty() {
            request = request.header("X-ZeroPath-API-Token-Id", id).header("X-ZeroPath-API-Token-Secret", secret);
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
    let caller = tessera_core::services::members::member_of(
        &app.core,
        app.org("Acme").await,
        app.user_id(crate::helpers::OWNER).await,
    )
    .await
    .unwrap()
    .unwrap();
    let caller = tessera_core::identity::Caller::dashboard(caller, tessera_core::identity::Origin::default());
    tokens::delete(&app.core, &caller, token.id).await.unwrap();
    let after_delete = client
        .get(&protected)
        .header("X-ZeroPath-API-Token-Id", token.id.to_string())
        .header("X-ZeroPath-API-Token-Secret", &token.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(after_delete.status(), 401, "a deleted token fails through the proxy on the next request");

    // The dashboard through nginx: the address Tessera believes is the client's, whatever it claims.
    let page = client
        .get(format!("http://127.0.0.1:{front}/login"))
        .header("Host", "tessera.example.com")
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    app.server.log.flush();
    let logs = crate::helpers::captured_logs();
    let line = logs.lines().rev().find(|l| l.contains(LOGIN_URL)).expect("a request line for /login");
    assert!(line.contains("127.0.0.2") && !line.contains("203.0.113.9"), "{line}");
}
