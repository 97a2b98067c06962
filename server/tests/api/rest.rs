//! The programmatic API, called the way CI pipelines and CLIs call it: two headers, real HTTP.

use crate::helpers::{Person, TestApp, captured_logs, client, rpc_with};
use app::time::{DAY_MS, MINUTE_MS};
use reqwest::{Method, StatusCode, header};
use serde_json::Value;

on_both_backends!(
    every_authentication_failure_looks_the_same,
    expiry_is_exact_to_the_millisecond,
    a_deleted_token_fails_on_the_very_next_request,
    the_creators_current_role_applies_on_the_next_request,
    a_removed_creator_makes_the_token_useless,
    another_organizations_token_is_not_found,
    the_endpoints_answer_as_documented,
    tokens_cannot_create_tokens_but_can_revoke_themselves,
    forward_auth_answers_with_the_caller_in_headers,
    failures_from_one_address_are_limited,
    last_use_is_recorded_at_most_once_a_minute,
    the_openapi_document_lists_every_route,
    logs_name_tokens_but_never_their_secrets,
    the_cli_calls_the_api_like_an_integration,
);

#[derive(Clone)]
pub struct Token {
    pub id: String,
    pub secret: String,
}

/// A token created in the dashboard by `person`.
pub async fn token(app: &TestApp, person: &Person, days: &str) -> Token {
    let response =
        rpc_with(&person.client, &app.at("/rpc/tokens/create"), &[("name", "test token"), ("expires_in_days", days)])
            .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    Token { id: body["id"].as_str().unwrap().into(), secret: body["secret"].as_str().unwrap().into() }
}

pub async fn call(app: &TestApp, method: Method, path: &str, token: &Token) -> reqwest::Response {
    client()
        .request(method, app.at(path))
        .header("X-ZeroPath-API-Token-Id", &token.id)
        .header("X-ZeroPath-API-Token-Secret", &token.secret)
        .send()
        .await
        .unwrap()
}

pub async fn whoami(app: &TestApp, token: &Token) -> reqwest::Response {
    call(app, Method::GET, "/api/v1/whoami", token).await
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, String) {
    (response.status(), response.text().await.unwrap())
}

async fn every_authentication_failure_looks_the_same(app: TestApp) {
    let owner = app.setup_owner().await;
    let good = token(&app, &owner, "30").await;
    let deleted = token(&app, &owner, "30").await;
    rpc_with(&owner.client, &app.at("/rpc/tokens/delete"), &[("id", &deleted.id)]).await;
    let expires_soon = token(&app, &owner, "1").await;
    let departing = app.member("departing@example.com", "admin").await;
    let orphan = token(&app, &departing, "30").await;
    let departing_id = app.user_id("departing@example.com").await;
    assert_eq!(
        rpc_with(&owner.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &departing_id)]).await.status(),
        StatusCode::OK
    );
    let other_secret = token(&app, &owner, "30").await.secret; // well-formed, belongs to another token
    app.clock.advance_ms(DAY_MS);
    assert_eq!(whoami(&app, &good).await.status(), StatusCode::OK);

    let mut flipped = good.secret.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'a' { b'b' } else { b'a' };
    let unknown_id = uuid::Uuid::new_v4().to_string();
    let h = |id: Option<&str>, secret: Option<&str>| (id.map(str::to_owned), secret.map(str::to_owned));
    type Headers = (Option<String>, Option<String>);
    let cases: Vec<(&str, Headers)> = vec![
        ("no headers", h(None, None)),
        ("no secret", h(Some(&good.id), None)),
        ("no id", h(None, Some(&good.secret))),
        ("malformed id", h(Some("not-a-uuid"), Some(&good.secret))),
        ("empty values", h(Some(""), Some(""))),
        ("wrong prefix", h(Some(&good.id), Some(&good.secret.replacen("tsr_", "ghp_", 1)))),
        ("bad checksum", h(Some(&good.id), Some(std::str::from_utf8(&flipped).unwrap()))),
        ("truncated secret", h(Some(&good.id), Some(&good.secret[..20]))),
        ("unknown id", h(Some(&unknown_id), Some(&good.secret))),
        ("wrong secret", h(Some(&good.id), Some(&other_secret))),
        ("expired", h(Some(&expires_soon.id), Some(&expires_soon.secret))),
        ("deleted", h(Some(&deleted.id), Some(&deleted.secret))),
        ("creator removed", h(Some(&orphan.id), Some(&orphan.secret))),
    ];
    let mut answers = Vec::new();
    for (case, (id, secret)) in &cases {
        let mut request = client().get(app.at("/api/v1/whoami"));
        if let Some(id) = id {
            request = request.header("X-ZeroPath-API-Token-Id", id);
        }
        if let Some(secret) = secret {
            request = request.header("X-ZeroPath-API-Token-Secret", secret);
        }
        let response = request.send().await.unwrap();
        assert!(!response.headers().contains_key("x-tessera-token-expires-at"), "{case}");
        answers.push((*case, status_and_body(response).await));
    }
    let (_, first) = &answers[0];
    assert_eq!(first.0, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&first.1).unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("X-ZeroPath-API-Token-Secret"));
    for (case, answer) in &answers {
        assert_eq!(answer, first, "{case} is told apart from the others");
    }
    // Tokens are never taken from the URL.
    let query = format!("/api/v1/whoami?token_id={}&token_secret={}", good.id, good.secret);
    assert_eq!(status_and_body(client().get(app.at(&query)).send().await.unwrap()).await, *first);
}

async fn expiry_is_exact_to_the_millisecond(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "7").await;
    let response = whoami(&app, &t).await;
    assert_eq!(response.status(), StatusCode::OK);
    let expires = response.headers()["x-tessera-token-expires-at"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token"]["expires_at"], expires.as_str());

    app.clock.advance_ms(7 * DAY_MS - 1);
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::OK, "one millisecond before expiry");
    app.clock.advance_ms(1);
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::UNAUTHORIZED, "at expires_at");
    // No renewal: it stays refused.
    app.clock.advance_ms(DAY_MS);
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::UNAUTHORIZED);
}

async fn a_deleted_token_fails_on_the_very_next_request(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "30").await;
    for _ in 0..3 {
        assert_eq!(whoami(&app, &t).await.status(), StatusCode::OK);
    }
    assert_eq!(rpc_with(&owner.client, &app.at("/rpc/tokens/delete"), &[("id", &t.id)]).await.status(), StatusCode::OK);
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::UNAUTHORIZED);

    // The same through the API itself.
    let admin_token = token(&app, &owner, "30").await;
    let victim = token(&app, &owner, "30").await;
    assert_eq!(whoami(&app, &victim).await.status(), StatusCode::OK);
    let path = format!("/api/v1/tokens/{}", victim.id);
    assert_eq!(call(&app, Method::DELETE, &path, &admin_token).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(whoami(&app, &victim).await.status(), StatusCode::UNAUTHORIZED);
}

async fn the_creators_current_role_applies_on_the_next_request(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let admin_token = token(&app, &admin, "30").await;
    let owners_token = token(&app, &owner, "30").await;
    let role = |r: reqwest::Response| async { r.json::<Value>().await.unwrap()["role"].as_str().unwrap().to_owned() };
    assert_eq!(role(whoami(&app, &admin_token).await).await, "admin");

    let admin_id = app.user_id("admin@example.com").await;
    let demote =
        rpc_with(&owner.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &admin_id), ("role", "member")]);
    assert_eq!(demote.await.status(), StatusCode::OK);
    assert_eq!(role(whoami(&app, &admin_token).await).await, "member");
    // A member's token can't delete someone else's token any more.
    let path = format!("/api/v1/tokens/{}", owners_token.id);
    assert_eq!(call(&app, Method::DELETE, &path, &admin_token).await.status(), StatusCode::FORBIDDEN);

    let promote =
        rpc_with(&owner.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &admin_id), ("role", "admin")]);
    assert_eq!(promote.await.status(), StatusCode::OK);
    assert_eq!(call(&app, Method::DELETE, &path, &admin_token).await.status(), StatusCode::NO_CONTENT);
}

async fn a_removed_creator_makes_the_token_useless(app: TestApp) {
    let owner = app.setup_owner().await;
    let member = app.member("member@example.com", "member").await;
    let t = token(&app, &member, "30").await;
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::OK);
    let id = app.user_id("member@example.com").await;
    assert_eq!(
        rpc_with(&owner.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &id)]).await.status(),
        StatusCode::OK
    );
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::UNAUTHORIZED);
}

async fn another_organizations_token_is_not_found(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme_token = token(&app, &owner, "30").await;
    // Someone else, in an organization of their own.
    let other = app.person("other@example.com").await;
    let email = app::auth::domain::Email::parse("other@example.com").unwrap();
    let user = app::auth::service::find_user(&app.state, &email).await.unwrap();
    let name = app::orgs::domain::OrgName::parse("Umbrella").unwrap();
    app::auth::service::create_org_for(&app.state, &name, user).await.unwrap();
    let umbrella_token = token(&app, &other, "30").await;

    let path = format!("/api/v1/tokens/{}", acme_token.id);
    for method in [Method::GET, Method::DELETE] {
        let (status, body) = status_and_body(call(&app, method.clone(), &path, &umbrella_token).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert!(body.contains("not found"), "{body}");
    }
    let listed: Value = call(&app, Method::GET, "/api/v1/tokens", &umbrella_token).await.json().await.unwrap();
    let ids: Vec<&str> = listed["tokens"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [umbrella_token.id.as_str()]);
    assert_eq!(whoami(&app, &acme_token).await.status(), StatusCode::OK, "the token was not touched");
}

async fn the_endpoints_answer_as_documented(app: TestApp) {
    let owner = app.setup_owner().await;
    app.member("viewer@example.com", "viewer").await;
    let t = token(&app, &owner, "30").await;

    let me: Value = whoami(&app, &t).await.json().await.unwrap();
    assert_eq!(me["token"]["id"], t.id.as_str());
    assert_eq!(me["token"]["name"], "test token");
    assert_eq!(me["organization"]["name"], "Acme");
    assert_eq!(me["user"]["email"], crate::helpers::OWNER);
    assert_eq!(me["role"], "owner");
    assert!(!me.to_string().contains(&t.secret));

    let orgs: Value = call(&app, Method::GET, "/api/v1/organizations", &t).await.json().await.unwrap();
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    assert_eq!(orgs[0]["id"], me["organization"]["id"]);
    let zeropath: Value = call(&app, Method::POST, "/api/v1/orgs/list", &t).await.json().await.unwrap();
    assert_eq!(zeropath, orgs);

    let members: Value = call(&app, Method::GET, "/api/v1/members", &t).await.json().await.unwrap();
    let roles: Vec<(&str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [(crate::helpers::OWNER, "owner"), ("viewer@example.com", "viewer")]);

    for _ in 0..4 {
        token(&app, &owner, "30").await;
    }
    let page: Value = call(&app, Method::GET, "/api/v1/tokens?limit=3", &t).await.json().await.unwrap();
    assert_eq!(page["tokens"].as_array().unwrap().len(), 3);
    let next = page["next"].as_str().unwrap();
    let rest: Value =
        call(&app, Method::GET, &format!("/api/v1/tokens?limit=3&after={next}"), &t).await.json().await.unwrap();
    assert_eq!(rest["tokens"].as_array().unwrap().len(), 2);
    assert_eq!(rest["next"], Value::Null);
    assert!(!page.to_string().contains("secret") && !page.to_string().contains("hash"));
    let bad_limit = call(&app, Method::GET, "/api/v1/tokens?limit=1000", &t).await;
    assert_eq!(bad_limit.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let one: Value = call(&app, Method::GET, &format!("/api/v1/tokens/{}", t.id), &t).await.json().await.unwrap();
    assert_eq!(one["id"], t.id.as_str());
    assert_eq!(one["created_by"], crate::helpers::OWNER);

    let missing = call(&app, Method::GET, "/api/v1/nope", &t).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "not_found");
}

async fn tokens_cannot_create_tokens_but_can_revoke_themselves(app: TestApp) {
    let owner = app.setup_owner().await;
    let viewer = app.member("viewer@example.com", "viewer").await;
    let t = token(&app, &owner, "30").await;
    let before = app.count("api_tokens").await;
    let refused = call(&app, Method::POST, "/api/v1/tokens", &t).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("Create tokens in the dashboard"), "{body}");
    assert_eq!(app.count("api_tokens").await, before);

    // Even a viewer's (read-only) token can revoke itself: it only takes access away.
    let leaked = token(&app, &viewer, "30").await;
    assert_eq!(call(&app, Method::DELETE, "/api/v1/tokens/current", &leaked).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(whoami(&app, &leaked).await.status(), StatusCode::UNAUTHORIZED);
    // ...but can't delete anything else.
    let path = format!("/api/v1/tokens/{}", t.id);
    let viewer_token = token(&app, &viewer, "30").await;
    assert_eq!(call(&app, Method::DELETE, &path, &viewer_token).await.status(), StatusCode::FORBIDDEN);
}

async fn forward_auth_answers_with_the_caller_in_headers(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "30").await;
    let ok = call(&app, Method::GET, "/api/v1/auth/verify", &t).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let me: Value = whoami(&app, &t).await.json().await.unwrap();
    assert_eq!(ok.headers()["x-tessera-org-id"], me["organization"]["id"].as_str().unwrap());
    assert_eq!(ok.headers()["x-tessera-user-id"], me["user"]["id"].as_str().unwrap());
    assert_eq!(ok.headers()["x-tessera-role"], "owner");
    assert_eq!(ok.headers()["x-tessera-token-id"], t.id.as_str());
    let denied = client().get(app.at("/api/v1/auth/verify")).send().await.unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
}

async fn failures_from_one_address_are_limited(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "30").await;
    let wrong = Token { id: t.id.clone(), secret: token(&app, &owner, "30").await.secret };
    for _ in 0..30 {
        assert_eq!(whoami(&app, &wrong).await.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = whoami(&app, &wrong).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(limited.json::<Value>().await.unwrap()["error"], "rate_limited");
    // The address waits out the minute, then is heard again.
    app.clock.advance_ms(MINUTE_MS);
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::OK);
}

async fn last_used(app: &TestApp, id: &str) -> (Option<i64>, Option<String>, Option<String>) {
    let row: (Option<i64>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT last_used_at, last_used_ip, last_used_user_agent FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    row
}

/// Waits for the background writer.
async fn eventually_used(app: &TestApp, id: &str, at: i64) -> (Option<i64>, Option<String>, Option<String>) {
    for _ in 0..100 {
        let row = last_used(app, id).await;
        if row.0 == Some(at) {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("last use at {at} was not recorded: {:?}", last_used(app, id).await);
}

fn writes(app: &TestApp) -> u64 {
    app.state.token_auth.last_used_writes.load(std::sync::atomic::Ordering::SeqCst)
}

async fn last_use_is_recorded_at_most_once_a_minute(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "30").await;
    assert_eq!(last_used(&app, &t.id).await, (None, None, None));
    let send = || {
        client()
            .get(app.at("/api/v1/whoami"))
            .header("X-ZeroPath-API-Token-Id", &t.id)
            .header("X-ZeroPath-API-Token-Secret", &t.secret)
            .header(header::USER_AGENT, "ci-pipeline/1.0")
            .send()
    };
    let first = app.clock.now().millis();
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let (at, ip, agent) = eventually_used(&app, &t.id, first).await;
    assert_eq!(at, Some(first));
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(agent.as_deref(), Some("ci-pipeline/1.0"));
    // The writer counts a write just after it lands.
    for _ in 0..100 {
        if writes(&app) == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let after_first = writes(&app);
    assert_eq!(after_first, 1);

    for _ in 0..10 {
        app.clock.advance_ms(5_000);
        assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(writes(&app), after_first, "written more than once within a minute");
    assert_eq!(last_used(&app, &t.id).await.0, Some(first));

    app.clock.advance_ms(10_000);
    let later = app.clock.now().millis();
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    eventually_used(&app, &t.id, later).await;
    for _ in 0..100 {
        if writes(&app) == after_first + 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(writes(&app), after_first + 1);

    // The dashboard shows it.
    let list: Value = rpc_with(&owner.client, &app.at("/rpc/tokens/list"), &[]).await.json().await.unwrap();
    let row = list["tokens"].as_array().unwrap().iter().find(|r| r["id"] == t.id.as_str()).unwrap().clone();
    assert_eq!(row["last_used_at"], later);
    assert_eq!(row["last_used_ip"], "127.0.0.1");
    // And the metrics count it.
    let metrics = client().get(app.at("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(&format!("tessera_token_last_used_writes_total {}", after_first + 1)), "{metrics}");
    assert!(metrics.contains("tessera_api_auth_total{outcome=\"ok\"}"), "{metrics}");
    assert!(
        metrics.contains("tessera_http_requests_total{route=\"/api/v1/whoami\",method=\"GET\",status=\"200\"}"),
        "{metrics}"
    );
}

async fn the_openapi_document_lists_every_route(app: TestApp) {
    let doc: Value = client().get(app.at("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut expected = vec![
        "GET /api/v1/whoami",
        "GET /api/v1/organizations",
        "POST /api/v1/orgs/list",
        "GET /api/v1/members",
        "GET /api/v1/tokens",
        "POST /api/v1/tokens",
        "GET /api/v1/tokens/{id}",
        "DELETE /api/v1/tokens/{id}",
        "DELETE /api/v1/tokens/current",
        "GET /api/v1/auth/verify",
    ];
    expected.sort();
    assert_eq!(documented, expected);
    // Every documented route is served (it asks for a token rather than being unknown).
    for route in &documented {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let response = client().request(method.parse().unwrap(), app.at(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{route}");
    }
    assert!(doc["components"]["securitySchemes"]["token_secret"].is_object());
}

async fn logs_name_tokens_but_never_their_secrets(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "30").await;
    let other = token(&app, &owner, "30").await;
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::OK);
    let wrong = Token { id: t.id.clone(), secret: other.secret.clone() };
    assert_eq!(whoami(&app, &wrong).await.status(), StatusCode::UNAUTHORIZED);
    let swapped = Token { id: t.secret.clone(), secret: t.id.clone() };
    assert_eq!(whoami(&app, &swapped).await.status(), StatusCode::UNAUTHORIZED);
    let query = format!("/api/v1/whoami?secret={}", t.secret);
    assert_eq!(client().get(app.at(&query)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let logs = captured_logs();
    for secret in [&t.secret, &other.secret] {
        assert!(!logs.contains(&secret[4..]), "a secret is in the logs");
    }
    assert!(logs.contains(&format!("token={}", t.id)), "the token id is not logged");
    assert!(logs.contains("auth=ok") && logs.contains("auth=wrong_secret"), "outcomes are not logged");
}

async fn the_cli_calls_the_api_like_an_integration(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = token(&app, &owner, "30").await;
    let cli = |id: &str, secret: &str, call: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["api", "--url", &app.url, call])
            .env("TESSERA_TOKEN_ID", id)
            .env("TESSERA_TOKEN_SECRET", secret)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = cli(&t.id, &t.secret, "whoami");
    assert!(ok, "{stderr}");
    let me: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(me["organization"]["name"], "Acme");
    assert_eq!(me["role"], "owner");

    let (ok, _, stderr) = cli(&t.id, "tsr_wrong", "whoami");
    assert!(!ok);
    assert!(stderr.contains("401") && stderr.contains("valid API token"), "{stderr}");

    let (ok, stdout, stderr) = cli(&t.id, &t.secret, "revoke");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("no longer works"));
    assert_eq!(whoami(&app, &t).await.status(), StatusCode::UNAUTHORIZED);
}
