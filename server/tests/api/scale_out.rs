//! Several instances on one database; concurrency; durability across a crash; database outages; the
//! verified-token cache and how stale it can get.

use crate::helpers::{
    Api, DbProxy, PASSWORD, ServerProcess, TestApp, TestDatabase, all, pg_admin, postgres_admin_url, soon,
    with_database,
};
use leptos::server_fn::ServerFn;
use reqwest::{Method, StatusCode};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tessera::{config::TokenCacheSetting, startup::Application};
use tessera_core::{clock::Clock, crypto::ServerKey};

tessera_core::on_each_engine!(crate::helpers::on_app => concurrent_creations_and_verifications, acknowledged_creations_survive_a_crash);
tessera_core::on_each_engine!(postgres only, crate::helpers::on_database =>
    two_instances_behave_as_one,
    with_the_cache_on_instances_tell_each_other_of_changes,
    a_lost_notification_leaves_a_bounded_staleness,
    rotation_works_across_instances,
    deleting_a_successor_ends_its_family_on_every_instance,
    a_removal_and_a_lowered_policy_reach_every_instance,
    concurrent_lookups_share_statements_and_stay_strict,
    a_database_outage_is_503_and_heals_by_itself,
    postgres_statement_timeout_applies,
);

/// A second instance on the first one's database, with the same server key.
async fn second_instance(first: &TestApp, configure: impl FnOnce(&mut tessera::startup::ServerConfig)) -> TestApp {
    let key = std::fs::read_to_string(first.db.data_dir.path().join("secret.key")).unwrap();
    TestApp::spawn_on(first.db.shared_view(), |c| {
        c.secret_key = Some(key.trim().to_owned());
        configure(c);
    })
    .await
}

async fn postgres_pair(db: TestDatabase, cache: TokenCacheSetting) -> (TestApp, TestApp) {
    let a = TestApp::spawn_on(db, |c| c.token_cache = cache).await;
    let b = second_instance(&a, |c| c.token_cache = cache).await;
    (a, b)
}

/// The same token, called on another instance.
fn on(app: &TestApp, api: &Api) -> Api {
    Api { url: app.url.clone(), ..api.clone() }
}

async fn two_instances_behave_as_one(db: TestDatabase) {
    let (a, b) = postgres_pair(db, TokenCacheSetting::Auto).await;
    // The browser signs in on A and carries on on B (cookies are per host, not per port).
    let owner = a.setup_owner().await;
    let owner_on_b = crate::helpers::Browser { url: b.url.clone(), client: owner.client.clone() };
    assert!(owner_on_b.members().await.is_ok(), "a session from A is not known on B");

    // A token created on A works on B; deleted on B, it fails on A's very next request.
    let token = a.api(&owner.token("t").await);
    assert_eq!(on(&b, &token).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    owner_on_b.delete_token(&token.id).await.unwrap();
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);

    // A role changed on A applies on B's next request.
    let admin = a.member("admin@example.com", "admin").await;
    let admins = on(&b, &a.api(&admin.token("admin's").await));
    assert_eq!(admins.whoami().await.unwrap().role, "admin");
    owner.change_role(a.user_id("admin@example.com").await, "viewer").await.unwrap();
    assert_eq!(admins.whoami().await.unwrap().role, "viewer");

    // Signing out on B ends the session on A too.
    owner_on_b.logout().await.unwrap();
    assert_eq!(owner.members().await.unwrap_err().status, StatusCode::UNAUTHORIZED);

    // An instance with another server key refuses to start, and says why.
    let mut config = tessera::startup::ServerConfig::local(tempfile::tempdir().unwrap().keep(), a.db.url.clone());
    config.secret_key = Some(ServerKey::generate().to_hex().to_string());
    let error = Application::build(config, Clock::system()).await.err().expect("started").to_string();
    assert!(error.contains("not the key this database was set up with"), "{error}");
    // Without any key (a fresh data directory), it refuses too rather than make one.
    let config = tessera::startup::ServerConfig::local(tempfile::tempdir().unwrap().keep(), a.db.url.clone());
    let error = Application::build(config, Clock::system()).await.err().expect("started").to_string();
    assert!(error.contains("is missing"), "{error}");
}

async fn listening(apps: &[&TestApp]) -> bool {
    soon(async || apps.iter().all(|app| app.core.verifier.cache_live())).await
}

async fn with_the_cache_on_instances_tell_each_other_of_changes(db: TestDatabase) {
    let (a, b) = postgres_pair(db, TokenCacheSetting::On).await;
    let owner = a.setup_owner().await;
    assert!(listening(&[&a, &b]).await, "the instances never started listening for each other's changes");
    let token = a.api(&owner.token("t").await);
    let on_b = on(&b, &token);
    assert_eq!(on_b.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert!(soon(async || b.core.verifier.cached_tokens() == 1).await, "B did not cache the token");

    // Deleted on A: B's cached copy goes with the commit's notification.
    assert_eq!(token.status(Method::DELETE, &format!("/api/v1/tokens/{}", token.id)).await, StatusCode::NO_CONTENT);
    assert!(soon(async || on_b.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED).await);

    // A role change on A empties B's cache.
    let admin = a.member("admin@example.com", "admin").await;
    let admins = on(&b, &a.api(&admin.token("admin's").await));
    assert_eq!(admins.whoami().await.unwrap().role, "admin");
    owner.change_role(a.user_id("admin@example.com").await, "member").await.unwrap();
    assert!(soon(async || admins.whoami().await.unwrap().role == "member").await);

    // The CLI revokes on the same database: the servers hear of it too.
    let victim = on(&b, &a.api(&owner.token("victim").await));
    assert_eq!(victim.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let out = crate::helpers::tessera_cli(
        &a.db,
        &["tokens", "revoke-all", "--org", "Acme", "--confirm", "Acme"],
        "",
        &[("TESSERA_SECRET_KEY", std::fs::read_to_string(a.db.data_dir.path().join("secret.key")).unwrap().trim())],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(soon(async || victim.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED).await);
}

/// If the listener's connection drops (and with it any notification in flight), the instance stops
/// using its cache until it listens again, and then starts empty; and no entry is used longer than the
/// cache's time to live, even if a notification never arrives.
async fn a_lost_notification_leaves_a_bounded_staleness(db: TestDatabase) {
    let a = TestApp::spawn_on(db, |c| {
        c.token_cache = TokenCacheSetting::On;
        c.token_cache_ttl_ms = 5_000;
    })
    .await;
    let owner = a.setup_owner().await;
    assert!(listening(&[&a]).await);
    let token = a.api(&owner.token("t").await);
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert_eq!(a.core.verifier.cached_tokens(), 1);

    // The listening connection is killed: the cache is emptied and unused until it reconnects.
    let admin = postgres_admin_url().unwrap();
    pg_admin(
        &admin,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND query LIKE 'LISTEN%'",
            a.db.pg_name().unwrap()
        ),
    )
    .await;
    assert!(soon(async || a.core.verifier.cached_tokens() == 0).await, "the cache outlived its listener");
    assert!(listening(&[&a]).await, "the listener did not come back");

    // A change the cache never hears of (written straight to the database): refused at the latest
    // once the entry's time to live has passed.
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    sqlx::query("UPDATE api_tokens SET revoked_at = 1 WHERE id = $1")
        .bind(&token.id)
        .execute(a.core.db.pool())
        .await
        .unwrap();
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "still cached: that is the bound");
    a.clock.advance_ms(5_000);
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "stale beyond the ttl");
}

async fn rotation_works_across_instances(db: TestDatabase) {
    let (a, b) = postgres_pair(db, TokenCacheSetting::On).await;
    let owner = a.setup_owner().await;
    assert!(listening(&[&a, &b]).await);
    let created = owner.token("rotating").await;
    let old_on_b = on(&b, &a.api(&created));
    assert_eq!(old_on_b.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let rotated = owner.rotate_token(&created.id.to_string(), "1h").await.unwrap();
    let new_on_b = on(&b, &a.api(&rotated.successor));
    // Both secrets work during the grace period, on both instances.
    for api in [&old_on_b, &new_on_b, &a.api(&created)] {
        assert_eq!(api.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
    // At the end of the grace period (each instance's clock moves), the old one stops everywhere.
    a.clock.advance_ms(tessera_core::time::HOUR_MS);
    b.clock.advance_ms(tessera_core::time::HOUR_MS);
    assert_eq!(old_on_b.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // Using it then is reuse: the whole family, the successor too, is revoked, on every instance.
    assert!(soon(async || new_on_b.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED).await);
    assert_eq!(a.api(&rotated.successor).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

/// Round 3: deleting the successor of a rotation ends the rotated-away secret too, on the other
/// instance as well, although that instance had both in use (and the successor cached).
async fn deleting_a_successor_ends_its_family_on_every_instance(db: TestDatabase) {
    let (a, b) = postgres_pair(db, TokenCacheSetting::On).await;
    let owner = a.setup_owner().await;
    assert!(listening(&[&a, &b]).await);
    let created = owner.token("leaked").await;
    let rotated = owner.rotate_token(&created.id.to_string(), "7d").await.unwrap();
    let (old_on_b, new_on_b) = (on(&b, &a.api(&created)), on(&b, &a.api(&rotated.successor)));
    for api in [&old_on_b, &new_on_b] {
        assert_eq!(api.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
    owner.delete_token(&rotated.successor.id.to_string()).await.unwrap();
    for api in [&old_on_b, &new_on_b] {
        assert!(soon(async || api.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED).await);
    }
    assert_eq!(a.api(&created).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

/// Two changes whose "announce, commit, forget" was once written out by hand (a member removed, the policy
/// lowered) commit through the one write transaction: the other instance's cached copies go with the commit.
async fn a_removal_and_a_lowered_policy_reach_every_instance(db: TestDatabase) {
    let (a, b) = postgres_pair(db, TokenCacheSetting::On).await;
    let owner = a.setup_owner().await;
    assert!(listening(&[&a, &b]).await);
    let admin = a.member("admin@example.com", "admin").await;
    let admins = on(&b, &a.api(&admin.token("admin's").await));
    let long = on(&b, &a.api(&owner.create_token("long", "90").await.unwrap()));
    for api in [&admins, &long] {
        assert_eq!(api.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
    assert!(soon(async || b.core.verifier.cached_tokens() == 2).await, "B did not cache both tokens");

    owner.remove_member(a.user_id("admin@example.com").await).await.unwrap();
    assert!(soon(async || admins.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED).await);
    assert_eq!(long.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);

    assert_eq!(owner.set_policy("30", "30", "", false).await.unwrap(), 1, "one token outlives the new maximum");
    assert!(soon(async || long.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED).await);
}

/// 4 tasks × 250 token creations while other tasks verify tokens: no error, exactly 1,000 tokens, all valid.
/// Strict mode under load: concurrent requests share lookup statements, each gets its own token's
/// answer, and a token deleted on the other instance fails every request sent after the delete
/// returned, however many are in flight around it.
async fn concurrent_lookups_share_statements_and_stay_strict(db: TestDatabase) {
    let (a, b) = postgres_pair(db, TokenCacheSetting::Off).await;
    let owner = a.setup_owner().await;
    let owner_on_b = crate::helpers::Browser { url: b.url.clone(), client: owner.client.clone() };
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push((format!("t{i}"), a.api(&owner.token(&format!("t{i}")).await)));
    }
    let metric = |text: &str, name: &str| -> u64 {
        text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or_else(|| panic!("no {name}"))
    };
    let metrics =
        || async { crate::helpers::client().get(a.at("/metrics")).send().await.unwrap().text().await.unwrap() };
    let before = metrics().await;

    // 8 tokens, 32 requests each, all at once: every answer names the token that asked.
    let asks = tokens.iter().flat_map(|(name, api)| (0..32).map(move |_| (name.clone(), api.clone())));
    all(asks.map(|(name, api)| async move {
        let who = api.whoami().await.expect("whoami");
        assert_eq!((who.token.id.as_ref(), who.token.name.as_deref()), (api.id.as_str(), Some(name.as_str())));
    }))
    .await;
    let after = metrics().await;
    let lookups = metric(&after, "tessera_token_lookups_total ") - metric(&before, "tessera_token_lookups_total ");
    let statements = metric(&after, "tessera_token_lookup_statements_total ")
        - metric(&before, "tessera_token_lookup_statements_total ");
    assert_eq!(lookups, 256, "the cache is off: every request reads its token");
    assert!(statements < lookups / 2, "{statements} statements for {lookups} lookups: they are not shared");

    // Requests keep coming on A while the token is deleted on B: each one sent after the delete
    // returned is refused.
    let (_, target) = tokens[0].clone();
    let deleted_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let senders = (0..16).map(|_| {
        let (target, deleted_at) = (target.clone(), deleted_at.clone());
        tokio::spawn(async move {
            let mut late = Vec::new();
            let stop = Instant::now() + Duration::from_secs(10);
            loop {
                let sent = Instant::now();
                let status = target.status(Method::GET, "/api/v1/whoami").await;
                let deleted = *deleted_at.lock().unwrap();
                if let Some(at) = deleted {
                    if sent > at {
                        late.push(status);
                    }
                    if sent > at + Duration::from_millis(300) || sent > stop {
                        return late;
                    }
                }
            }
        })
    });
    let senders: Vec<_> = senders.collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    owner_on_b.delete_token(&target.id).await.unwrap();
    *deleted_at.lock().unwrap() = Some(Instant::now());
    let mut late = Vec::new();
    for sender in senders {
        late.extend(sender.await.unwrap());
    }
    assert!(late.len() > 16, "only {} requests after the delete", late.len());
    // (401, or 429 once the refusals reach the failure limit.)
    assert!(
        late.iter().all(|s| matches!(*s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)),
        "a request after the delete passed: {late:?}"
    );
    // The other tokens are untouched.
    assert_eq!(tokens[1].1.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
}

async fn concurrent_creations_and_verifications(app: TestApp) {
    let owner = app.setup_owner().await;
    let app = Arc::new(app);
    let created: Arc<Mutex<Vec<Api>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let first = app.api(&owner.token("first").await);

    let verifiers = (0..2).map(|_| {
        let (created, done, first) = (created.clone(), done.clone(), first.clone());
        async move {
            let mut checks = 0u32;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let pick = created.lock().unwrap().last().cloned().unwrap_or_else(|| first.clone());
                assert_eq!(
                    pick.status(Method::GET, "/api/v1/whoami").await,
                    StatusCode::OK,
                    "a verification failed during creations"
                );
                checks += 1;
            }
            checks
        }
    });
    let verifiers: Vec<_> = verifiers.map(tokio::spawn).collect();
    let creators = (0..4).map(|_| {
        let (app, owner, created) = (app.clone(), owner.clone(), created.clone());
        async move {
            for _ in 0..250 {
                let token = owner.create_token("", "30").await.expect("creation failed");
                created.lock().unwrap().push(app.api(&token));
            }
        }
    });
    all(creators).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut checks = 0;
    for verifier in verifiers {
        checks += verifier.await.unwrap();
    }
    assert!(checks > 0);
    assert_eq!(app.count("api_tokens").await, 1001);
    let all_tokens = created.lock().unwrap().clone();
    assert_eq!(all_tokens.len(), 1000);
    for token in &all_tokens {
        assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
    // Each creation was recorded once in the audit trail, in the same transaction.
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'token.created'")
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(events, 1001);
}

/// Tokens are being created when the server is killed with SIGKILL: every creation it acknowledged
/// still verifies after a restart.
async fn acknowledged_creations_survive_a_crash(app: TestApp) {
    let db = app.stop().await;
    let server = ServerProcess::start(&db).await;
    let browser = crate::helpers::Browser { url: server.url.clone(), client: crate::helpers::client() };
    browser.setup("owner@example.com", PASSWORD, "Acme").await.unwrap();

    let acknowledged: Arc<Mutex<Vec<app::tokens::CreatedToken>>> = Arc::default();
    let creators: Vec<_> = (0..4)
        .map(|_| {
            let (browser, acknowledged) = (browser.clone(), acknowledged.clone());
            tokio::spawn(async move {
                loop {
                    let Ok(response) = browser
                        .client
                        .post(format!("{}{}", browser.url, app::tokens::CreateToken::PATH))
                        .form(&[("expires_in_days", "30")])
                        .send()
                        .await
                    else {
                        break; // the server is gone
                    };
                    let Ok(token) = response.json::<app::tokens::CreatedToken>().await else { break };
                    acknowledged.lock().unwrap().push(token);
                }
            })
        })
        .collect();
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
        let api = Api {
            url: restarted.url.clone(),
            id: token.id.to_string(),
            secret: token.secret.clone(),
            client: crate::helpers::client(),
        };
        if api.status(Method::GET, "/api/v1/whoami").await != StatusCode::OK {
            lost += 1;
        }
    }
    assert_eq!(lost, 0, "{lost} of {} acknowledged tokens were lost", acknowledged.len());
    restarted.kill().await;
}

/// The database goes away: /readyz and requests say 503 with a clear message; when it returns, the server
/// recovers by itself.
async fn a_database_outage_is_503_and_heals_by_itself(db: TestDatabase) {
    let target: std::net::SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let mut proxy = DbProxy::start(target).await;
    let admin = postgres_admin_url().unwrap();
    let via_proxy =
        with_database(&admin.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port)), db.pg_name().unwrap());
    assert_ne!(via_proxy, db.url, "the admin URL must name 127.0.0.1:5432 for this test");
    let app = TestApp::spawn_on(db, |c| {
        c.database.url = via_proxy.clone();
        c.database.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    let owner = app.setup_owner().await;
    let token = app.api(&owner.token("t").await);
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);

    proxy.stop().await;
    assert_eq!(app.browser().get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let down = token.whoami().await.unwrap_err();
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.kind(), tessera_core::ErrorKind::Unavailable);
    assert_eq!(down.message(), "Tessera is temporarily unavailable. Try again in a moment.");
    assert_eq!(app.browser().get("/healthz").await.status(), StatusCode::OK, "the process stays up");

    proxy.resume().await;
    let healed = soon(async || {
        tokio::time::sleep(Duration::from_millis(20)).await;
        app.browser().get("/readyz").await.status() == StatusCode::OK
            && token.status(Method::GET, "/api/v1/whoami").await == StatusCode::OK
    });
    assert!(healed.await, "did not recover");
}

async fn postgres_statement_timeout_applies(db: TestDatabase) {
    let mut options = tessera_core::db::DbOptions::new(db.url.clone());
    options.statement_timeout = Duration::from_secs(1);
    let pool = tessera_core::db::Db::connect(&options).await.unwrap();
    let slow = sqlx::query("SELECT pg_sleep(3)").execute(pool.pool()).await;
    let error = slow.expect_err("a 3 s statement outlived a 1 s timeout");
    assert!(error.to_string().contains("statement timeout"), "{error}");
    assert_eq!(tessera_core::Error::from(error).kind(), tessera_core::ErrorKind::Unavailable);
    pool.close().await;
}
