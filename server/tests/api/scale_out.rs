//! Several instances on one database; concurrency; durability across a crash; database outages.

use crate::{
    helpers::{Backend, DbProxy, PASSWORD, ServerProcess, TestApp, TestDatabase, client, rpc_with, with_database},
    rest::{Token, call, whoami},
};
use app::platform::crypto::ServerKey;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tessera::{config::TokenCache, startup::Application};

on_both_backends!(concurrent_creations_and_verifications, acknowledged_creations_survive_a_crash);

/// A second instance on the first one's database, with the same server key.
async fn second_instance(first: &TestApp, cache: TokenCache) -> TestApp {
    let key = std::fs::read_to_string(first.db.data_dir.path().join("secret.key")).unwrap();
    TestApp::spawn_on(first.db.shared_view(), |c| {
        c.secret_key = Some(key.trim().to_owned());
        c.token_cache = cache;
    })
    .await
}

async fn postgres_pair(cache: TokenCache) -> Option<(TestApp, TestApp)> {
    let db = TestDatabase::create(Backend::Postgres).await?;
    let a = TestApp::spawn_on(db, |c| c.token_cache = cache).await;
    let b = second_instance(&a, cache).await;
    Some((a, b))
}

async fn create_token(app: &TestApp, client: &reqwest::Client) -> Token {
    let body: Value =
        rpc_with(client, &app.at("/rpc/tokens/create"), &[("expires_in_days", "30")]).await.json().await.unwrap();
    Token { id: body["id"].as_str().unwrap().into(), secret: body["secret"].as_str().unwrap().into() }
}

async fn role(app: &TestApp, token: &Token) -> String {
    whoami(app, token).await.json::<Value>().await.unwrap()["role"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behave_as_one() {
    let Some((a, b)) = postgres_pair(TokenCache::Auto).await else { return };
    // The browser signs in on A and carries on on B (cookies are per host, not per port).
    let owner = a.setup_owner().await;
    let on_b = rpc_with(&owner.client, &b.at("/rpc/orgs/members"), &[]).await;
    assert_eq!(on_b.status(), StatusCode::OK, "a session from A is not known on B");

    // A token created on A works on B; deleted on B, it fails on A's very next request.
    let token = create_token(&a, &owner.client).await;
    assert_eq!(whoami(&b, &token).await.status(), StatusCode::OK);
    assert_eq!(whoami(&a, &token).await.status(), StatusCode::OK);
    assert_eq!(
        rpc_with(&owner.client, &b.at("/rpc/tokens/delete"), &[("id", &token.id)]).await.status(),
        StatusCode::OK
    );
    assert_eq!(whoami(&a, &token).await.status(), StatusCode::UNAUTHORIZED);

    // A role changed on A applies on B's next request.
    let admin = a.member("admin@example.com", "admin").await;
    let admins = create_token(&a, &admin.client).await;
    assert_eq!(role(&b, &admins).await, "admin");
    let id = a.user_id("admin@example.com").await;
    let demote = rpc_with(&owner.client, &a.at("/rpc/orgs/members/role"), &[("user_id", &id), ("role", "viewer")]);
    assert_eq!(demote.await.status(), StatusCode::OK);
    assert_eq!(role(&b, &admins).await, "viewer");

    // Signing out on B ends the session on A too.
    assert_eq!(rpc_with(&owner.client, &b.at("/rpc/auth/logout"), &[]).await.status(), StatusCode::OK);
    assert_eq!(rpc_with(&owner.client, &a.at("/rpc/orgs/members"), &[]).await.status(), StatusCode::UNAUTHORIZED);

    // An instance with another server key refuses to start, and says why.
    let mut config = tessera::startup::ServerConfig::local(tempfile::tempdir().unwrap().keep(), a.db.url.clone());
    config.secret_key = Some(ServerKey::generate().to_hex().to_string());
    let error =
        Application::build(config, app::platform::clock::Clock::system()).await.err().expect("started").to_string();
    assert!(error.contains("not the key this database was set up with"), "{error}");
    // Without any key (a fresh data directory), it refuses too rather than make one.
    let config = tessera::startup::ServerConfig::local(tempfile::tempdir().unwrap().keep(), a.db.url.clone());
    let error =
        Application::build(config, app::platform::clock::Clock::system()).await.err().expect("started").to_string();
    assert!(error.contains("is missing"), "{error}");
}

/// Waits (a bounded time) for a condition that arrives over LISTEN/NOTIFY.
async fn soon(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_cache_on_instances_tell_each_other_of_changes() {
    let Some((a, b)) = postgres_pair(TokenCache::On).await else { return };
    let owner = a.setup_owner().await;
    assert!(
        soon(async || a.state.token_auth.cache_live() && b.state.token_auth.cache_live()).await,
        "the instances never started listening for each other's changes"
    );
    let token = create_token(&a, &owner.client).await;
    assert_eq!(whoami(&b, &token).await.status(), StatusCode::OK);
    assert!(soon(async || b.state.token_auth.cached_tokens() == 1).await, "B did not cache the token");

    // Deleted on A: B's cached copy goes once the notification arrives.
    let deleted = call(&a, Method::DELETE, &format!("/api/v1/tokens/{}", token.id), &token).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(soon(async || whoami(&b, &token).await.status() == StatusCode::UNAUTHORIZED).await);

    // A role change on A empties B's cache.
    let admin = a.member("admin@example.com", "admin").await;
    let admins = create_token(&a, &admin.client).await;
    assert_eq!(role(&b, &admins).await, "admin");
    let id = a.user_id("admin@example.com").await;
    let demote = rpc_with(&owner.client, &a.at("/rpc/orgs/members/role"), &[("user_id", &id), ("role", "member")]);
    assert_eq!(demote.await.status(), StatusCode::OK);
    assert!(soon(async || role(&b, &admins).await == "member").await);
}

/// 4 tasks × 250 token creations while other tasks verify tokens: no error, exactly 1,000 tokens, all valid.
async fn concurrent_creations_and_verifications(app: TestApp) {
    let owner = app.setup_owner().await;
    let app = Arc::new(app);
    let created: Arc<Mutex<Vec<Token>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let first = create_token(&app, &owner.client).await;

    let mut verifiers = Vec::new();
    for _ in 0..2 {
        let (app, created, done, first) = (app.clone(), created.clone(), done.clone(), first.clone());
        verifiers.push(tokio::spawn(async move {
            let mut checks = 0u32;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let pick = created.lock().unwrap().last().cloned().unwrap_or_else(|| first.clone());
                let status = whoami(&app, &pick).await.status();
                assert_eq!(status, StatusCode::OK, "a verification failed during creations");
                checks += 1;
            }
            checks
        }));
    }
    let mut creators = Vec::new();
    for _ in 0..4 {
        let (app, client, created) = (app.clone(), owner.client.clone(), created.clone());
        creators.push(tokio::spawn(async move {
            for _ in 0..250 {
                let response = rpc_with(&client, &app.at("/rpc/tokens/create"), &[("expires_in_days", "30")]).await;
                let status = response.status();
                let body = response.text().await.unwrap();
                assert_eq!(status, StatusCode::OK, "creation failed: {body}");
                let body: Value = serde_json::from_str(&body).unwrap();
                created.lock().unwrap().push(Token {
                    id: body["id"].as_str().unwrap().into(),
                    secret: body["secret"].as_str().unwrap().into(),
                });
            }
        }));
    }
    for creator in creators {
        creator.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut checks = 0;
    for verifier in verifiers {
        checks += verifier.await.unwrap();
    }
    assert!(checks > 0);
    assert_eq!(app.count("api_tokens").await, 1001);
    let all = created.lock().unwrap().clone();
    assert_eq!(all.len(), 1000);
    for token in &all {
        assert_eq!(whoami(&app, token).await.status(), StatusCode::OK);
    }
}

/// Tokens are being created when the server is killed with SIGKILL: every creation it acknowledged
/// still verifies after a restart.
async fn acknowledged_creations_survive_a_crash(app: TestApp) {
    let db = app.stop().await;
    let server = ServerProcess::start(&db).await;
    let browser = client();
    let setup = rpc_with(
        &browser,
        &format!("{}/rpc/auth/setup", server.url),
        &[("email", "owner@example.com"), ("password", PASSWORD), ("organization", "Acme")],
    );
    assert_eq!(setup.await.status(), StatusCode::OK);

    let acknowledged: Arc<Mutex<Vec<Token>>> = Arc::default();
    let mut creators = Vec::new();
    for _ in 0..4 {
        let (url, browser, acknowledged) = (server.url.clone(), browser.clone(), acknowledged.clone());
        creators.push(tokio::spawn(async move {
            loop {
                let Ok(response) =
                    browser.post(format!("{url}/rpc/tokens/create")).form(&[("expires_in_days", "30")]).send().await
                else {
                    break; // the server is gone
                };
                let Ok(body) = response.json::<Value>().await else { break };
                acknowledged.lock().unwrap().push(Token {
                    id: body["id"].as_str().unwrap().into(),
                    secret: body["secret"].as_str().unwrap().into(),
                });
            }
        }));
    }
    // Let creations pile up, then pull the plug mid-flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 150 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().await;
    for creator in creators {
        creator.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 150, "only {} creations before the kill", acknowledged.len());

    let restarted = ServerProcess::start(&db).await;
    let mut lost = 0;
    for token in &acknowledged {
        let status = client()
            .get(format!("{}/api/v1/whoami", restarted.url))
            .header("X-ZeroPath-API-Token-Id", &token.id)
            .header("X-ZeroPath-API-Token-Secret", &token.secret)
            .send()
            .await
            .unwrap()
            .status();
        if status != StatusCode::OK {
            lost += 1;
        }
    }
    assert_eq!(lost, 0, "{lost} of {} acknowledged tokens were lost", acknowledged.len());
    restarted.kill().await;
}

/// The database goes away: /readyz and requests say 503 with a clear message; when it returns, the server
/// recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_503_and_heals_by_itself() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else { return };
    let target: std::net::SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let mut proxy = DbProxy::start(target).await;
    let admin = crate::helpers::postgres_admin_url().unwrap();
    let via_proxy =
        with_database(&admin.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port)), db.pg_name().unwrap());
    assert_ne!(via_proxy, db.url, "the admin URL must name 127.0.0.1:5432 for this test");
    let app = TestApp::spawn_on(db, |c| {
        c.database.url = via_proxy.clone();
        c.database.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    let owner = app.setup_owner().await;
    let token = create_token(&app, &owner.client).await;
    assert_eq!(whoami(&app, &token).await.status(), StatusCode::OK);

    proxy.stop().await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let down = whoami(&app, &token).await;
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    assert_eq!(body["message"], "Tessera is temporarily unavailable. Try again in a moment.");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK, "the process stays up");

    proxy.resume().await;
    assert!(soon(async || app.get("/readyz").await.status() == StatusCode::OK).await, "did not recover");
    assert_eq!(whoami(&app, &token).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_statement_timeout_applies() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else { return };
    let mut options = app::platform::db::DbOptions::new(db.url.clone());
    options.statement_timeout = Duration::from_secs(1);
    let pool = app::platform::db::Db::connect(&options).await.unwrap();
    let slow = sqlx::query("SELECT pg_sleep(3)").execute(pool.pool()).await;
    let error = slow.expect_err("a 3 s statement outlived a 1 s timeout").to_string();
    assert!(error.contains("statement timeout"), "{error}");
    pool.close().await;
}
