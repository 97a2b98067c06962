//! The programmatic API, called the way CI pipelines and CLIs call it: two headers, real HTTP.

use crate::helpers::{Api, OWNER, TestApp, captured_logs, client};
use reqwest::{Method, StatusCode, header};
use tessera::http::api::json::{MemberJson, Organization, Token, TokenPage};
use tessera_core::{
    ErrorBody, ErrorKind,
    time::{DAY_MS, MINUTE_MS},
};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    every_authentication_failure_looks_the_same,
    expiry_is_exact_to_the_millisecond,
    a_deleted_token_fails_on_the_very_next_request,
    the_creators_current_role_applies_on_the_next_request,
    a_removed_creator_makes_the_token_useless,
    another_organizations_token_is_not_found,
    the_endpoints_answer_as_documented,
    bad_query_parameters_get_the_json_error_body,
    tokens_cannot_create_tokens_but_can_revoke_themselves,
    forward_auth_answers_with_the_caller_in_headers,
    failing_requests_are_limited_and_valid_ones_never,
    last_use_is_recorded_at_most_once_a_minute,
    the_openapi_document_lists_every_route,
    logs_name_tokens_but_never_their_secrets,
    the_cli_calls_the_api_like_an_integration,
    a_chunked_body_over_the_limit_is_a_json_error,
);

async fn status_and_body(response: reqwest::Response) -> (StatusCode, String) {
    (response.status(), response.text().await.unwrap())
}

/// The same token id with another (well-formed) secret.
fn with_secret(api: &Api, secret: &str) -> Api {
    Api { secret: secret.to_owned(), ..api.clone() }
}

async fn every_authentication_failure_looks_the_same(app: TestApp) {
    let owner = app.setup_owner().await;
    let good = app.api(&owner.token("good").await);
    let deleted = app.api(&owner.token("deleted").await);
    owner.delete_token(&deleted.id).await.unwrap();
    let expires_soon = app.api(&owner.create_token("soon", "1").await.unwrap());
    let departing = app.member("departing@example.com", "admin").await;
    let orphan = app.api(&departing.token("orphan").await);
    owner.remove_member(app.user_id("departing@example.com").await).await.unwrap();
    let rotated = owner.token("rotated").await;
    owner.rotate_token(&rotated.id.to_string(), "none").await.unwrap();
    let rotated = app.api(&rotated);
    let other_secret = owner.token("other").await.secret; // well-formed, belongs to another token
    app.clock.advance_ms(DAY_MS);
    assert_eq!(good.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);

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
        ("rotated away", h(Some(&rotated.id), Some(&rotated.secret))),
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
    let body: ErrorBody = serde_json::from_str(&first.1).unwrap();
    assert_eq!(body.error, ErrorKind::Unauthorized);
    assert!(body.message.contains("X-ZeroPath-API-Token-Secret"));
    for (case, answer) in &answers {
        assert_eq!(answer, first, "{case} is told apart from the others");
    }
    // Tokens are never taken from the URL.
    let query = format!("/api/v1/whoami?token_id={}&token_secret={}", good.id, good.secret);
    assert_eq!(status_and_body(client().get(app.at(&query)).send().await.unwrap()).await, *first);
}

async fn expiry_is_exact_to_the_millisecond(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.create_token("week", "7").await.unwrap());
    let response = t.send(Method::GET, "/api/v1/whoami").await;
    assert_eq!(response.status(), StatusCode::OK);
    let expires = response.headers()["x-tessera-token-expires-at"].to_str().unwrap().to_owned();
    let me: tessera::http::api::json::WhoAmI = response.json().await.unwrap();
    assert_eq!(me.token.expires_at, expires);
    // Browsers on other origins may read the expiry header (CORS exposes it; no cookies are involved).
    let preflight = client()
        .request(Method::OPTIONS, app.at("/api/v1/whoami"))
        .header("origin", "https://ci.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-zeropath-api-token-id,x-zeropath-api-token-secret")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("x-zeropath-api-token-secret"), "{allowed}");
    assert!(!preflight.headers().contains_key("access-control-allow-credentials"));
    let cross =
        t.request(Method::GET, "/api/v1/whoami").header("origin", "https://ci.example.com").send().await.unwrap();
    assert_eq!(cross.headers()["access-control-allow-origin"], "*");
    let exposed = cross.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.contains("x-tessera-token-expires-at"), "{exposed}");

    app.clock.advance_ms(7 * DAY_MS - 1);
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "one millisecond before expiry");
    app.clock.advance_ms(1);
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "at expires_at");
    // No renewal: it stays refused.
    app.clock.advance_ms(DAY_MS);
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

async fn a_deleted_token_fails_on_the_very_next_request(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    for _ in 0..3 {
        assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
    owner.delete_token(&t.id).await.unwrap();
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);

    // The same through the API itself.
    let admin_token = app.api(&owner.token("admin").await);
    let victim = app.api(&owner.token("victim").await);
    assert_eq!(victim.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let path = format!("/api/v1/tokens/{}", victim.id);
    assert_eq!(admin_token.status(Method::DELETE, &path).await, StatusCode::NO_CONTENT);
    assert_eq!(victim.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

async fn the_creators_current_role_applies_on_the_next_request(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let admin_token = app.api(&admin.token("admin's").await);
    let owners_token = owner.token("owner's").await;
    assert_eq!(admin_token.whoami().await.unwrap().role, "admin");

    let admin_id = app.user_id("admin@example.com").await;
    owner.change_role(admin_id, "member").await.unwrap();
    assert_eq!(admin_token.whoami().await.unwrap().role, "member");
    // A member's token can't delete someone else's token any more.
    let path = format!("/api/v1/tokens/{}", owners_token.id);
    assert_eq!(admin_token.status(Method::DELETE, &path).await, StatusCode::FORBIDDEN);

    owner.change_role(admin_id, "admin").await.unwrap();
    assert_eq!(admin_token.status(Method::DELETE, &path).await, StatusCode::NO_CONTENT);
}

async fn a_removed_creator_makes_the_token_useless(app: TestApp) {
    let owner = app.setup_owner().await;
    let member = app.member("member@example.com", "member").await;
    let t = app.api(&member.token("t").await);
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    owner.remove_member(app.user_id("member@example.com").await).await.unwrap();
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

async fn another_organizations_token_is_not_found(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme_token = app.api(&owner.token("acme").await);
    let other = app.person("other@example.com").await;
    app.org_owned_by("Umbrella", "other@example.com").await;
    let umbrella = app.api(&other.token("umbrella").await);

    let path = format!("/api/v1/tokens/{}", acme_token.id);
    for (method, path) in
        [(Method::GET, path.as_str()), (Method::DELETE, &path), (Method::GET, "/api/v1/tokens/not-an-id")]
    {
        let response = umbrella.send(method.clone(), path).await;
        // The request was authenticated: its errors carry the token's expiry like its successes.
        assert!(response.headers().contains_key("x-tessera-token-expires-at"), "{method} {path}");
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(serde_json::from_str::<ErrorBody>(&body).unwrap().message, "That API token was not found.");
    }
    let listed: TokenPage = umbrella.get("/api/v1/tokens").await.unwrap();
    assert_eq!(listed.tokens.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [umbrella.id.as_str()]);
    assert_eq!(acme_token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "the token was not touched");
}

async fn the_endpoints_answer_as_documented(app: TestApp) {
    let owner = app.setup_owner().await;
    app.member("viewer@example.com", "viewer").await;
    let created = owner.token("test token").await;
    let t = app.api(&created);

    let me = t.whoami().await.unwrap();
    assert_eq!(me.token.id, t.id);
    assert_eq!(me.token.name.as_deref(), Some("test token"));
    assert_eq!(me.organization.name, "Acme");
    assert_eq!(me.user.email, OWNER);
    assert_eq!(me.role, "owner");

    let orgs: Vec<Organization> = t.get("/api/v1/organizations").await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].id, me.organization.id);
    let zeropath = t.send(Method::POST, "/api/v1/orgs/list").await.json::<Vec<Organization>>().await.unwrap();
    assert_eq!(zeropath[0].id, orgs[0].id);

    let members: Vec<MemberJson> = t.get("/api/v1/members").await.unwrap();
    let roles: Vec<(&str, &str)> = members.iter().map(|m| (m.email.as_str(), m.role.as_str())).collect();
    assert_eq!(roles, [(OWNER, "owner"), ("viewer@example.com", "viewer")]);

    for i in 0..4 {
        owner.token(&format!("more {i}")).await;
    }
    let page: TokenPage = t.get("/api/v1/tokens?limit=3").await.unwrap();
    assert_eq!(page.tokens.len(), 3);
    let rest: TokenPage = t.get(&format!("/api/v1/tokens?limit=3&after={}", page.next.unwrap())).await.unwrap();
    assert_eq!(rest.tokens.len(), 2);
    assert_eq!(rest.next, None);

    let one: Token = t.get(&format!("/api/v1/tokens/{}", t.id)).await.unwrap();
    assert_eq!((one.id.as_str(), one.created_by.as_str()), (t.id.as_str(), OWNER));
    let raw = t.send(Method::GET, "/api/v1/tokens").await.text().await.unwrap();
    assert!(!raw.contains(&created.secret[4..]) && !raw.contains("secret_hash"));

    let missing = t.send(Method::GET, "/api/v1/nope").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<ErrorBody>().await.unwrap().error, ErrorKind::NotFound);
}

/// Whatever a query says, the answer is the JSON error body naming the parameter, and the API accepts
/// exactly what its OpenAPI document allows.
async fn bad_query_parameters_get_the_json_error_body(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    for (query, field) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=101", "limit"),
        ("limit=1000", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("after=garbage", "after"),
        ("after=1_not-a-uuid", "after"),
    ] {
        let failure = t.get::<TokenPage>(&format!("/api/v1/tokens?{query}")).await.unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(failure.field(), Some(field), "{query}: {failure:?}");
    }
    assert!(t.get::<TokenPage>("/api/v1/tokens?limit=1").await.is_ok());
    assert!(t.get::<TokenPage>("/api/v1/tokens?limit=100").await.is_ok());
    for query in ["type=token.stolen", "token_id=x", "member_id=x", "limit=0"] {
        let failure = t.get::<serde_json::Value>(&format!("/api/v1/audit?{query}")).await.unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let wrong_method = t.send(Method::PUT, "/api/v1/whoami").await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.json::<ErrorBody>().await.unwrap().error, ErrorKind::MethodNotAllowed);
    let bad_body =
        t.request(Method::POST, &format!("/api/v1/tokens/{}/rotate", t.id)).body("{not json").send().await.unwrap();
    assert_eq!(bad_body.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let too_large =
        t.request(Method::POST, "/api/v1/tokens/revoke-all").body(vec![b'x'; 200_000]).send().await.unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn tokens_cannot_create_tokens_but_can_revoke_themselves(app: TestApp) {
    let owner = app.setup_owner().await;
    let viewer = app.member("viewer@example.com", "viewer").await;
    let t = app.api(&owner.token("t").await);
    let before = app.count("api_tokens").await;
    let refused = t.send(Method::POST, "/api/v1/tokens").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.json::<ErrorBody>().await.unwrap().message.contains("Create tokens in the dashboard"));
    assert_eq!(app.count("api_tokens").await, before);

    // Even a viewer's (read-only) token can revoke itself: it only takes access away.
    let leaked = app.api(&viewer.token("leaked").await);
    assert_eq!(leaked.status(Method::DELETE, "/api/v1/tokens/current").await, StatusCode::NO_CONTENT);
    assert_eq!(leaked.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // ...but can't delete anything else.
    let viewer_token = app.api(&viewer.token("viewer").await);
    assert_eq!(viewer_token.status(Method::DELETE, &format!("/api/v1/tokens/{}", t.id)).await, StatusCode::FORBIDDEN);
}

async fn forward_auth_answers_with_the_caller_in_headers(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    let ok = t.send(Method::GET, "/api/v1/auth/verify").await;
    assert_eq!(ok.status(), StatusCode::OK);
    let me = t.whoami().await.unwrap();
    assert_eq!(ok.headers()["x-tessera-org-id"], &*me.organization.id);
    assert_eq!(ok.headers()["x-tessera-user-id"], &*me.user.id);
    assert_eq!(ok.headers()["x-tessera-role"], "owner");
    assert_eq!(ok.headers()["x-tessera-token-id"], t.id.as_str());
    assert_eq!(client().get(app.at("/api/v1/auth/verify")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn failing_requests_are_limited_and_valid_ones_never(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    let wrong = with_secret(&t, &owner.token("other").await.secret);
    for _ in 0..30 {
        assert_eq!(wrong.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    let limited = wrong.send(Method::GET, "/api/v1/whoami").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(limited.json::<ErrorBody>().await.unwrap().error, ErrorKind::RateLimited);
    // From the same address, and naming the same token id: the valid token is served.
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // The minute passes: failures are 401 again.
    app.clock.advance_ms(MINUTE_MS);
    assert_eq!(wrong.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

async fn last_used(app: &TestApp, id: &str) -> (Option<i64>, Option<String>, Option<String>) {
    sqlx::query_as("SELECT last_used_at, last_used_ip, last_used_user_agent FROM api_tokens WHERE id = $1")
        .bind(id)
        .fetch_one(app.core.db.pool())
        .await
        .unwrap()
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

async fn writes_reach(app: &TestApp, n: u64) -> u64 {
    for _ in 0..100 {
        if app.core.verifier.usage.written() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    app.core.verifier.usage.written()
}

async fn last_use_is_recorded_at_most_once_a_minute(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    assert_eq!(last_used(&app, &t.id).await, (None, None, None));
    let send = || t.request(Method::GET, "/api/v1/whoami").header(header::USER_AGENT, "ci-pipeline/1.0").send();
    let first = app.clock.now().millis();
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let (at, ip, agent) = eventually_used(&app, &t.id, first).await;
    assert_eq!((at, ip.as_deref(), agent.as_deref()), (Some(first), Some("127.0.0.1"), Some("ci-pipeline/1.0")));
    assert_eq!(writes_reach(&app, 1).await, 1);

    for _ in 0..10 {
        app.clock.advance_ms(5_000);
        assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.core.verifier.usage.written(), 1, "written more than once within a minute");
    assert_eq!(last_used(&app, &t.id).await.0, Some(first));

    app.clock.advance_ms(10_000);
    let later = app.clock.now().millis();
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    eventually_used(&app, &t.id, later).await;
    assert_eq!(writes_reach(&app, 2).await, 2);

    // The dashboard shows it.
    let list = owner.list_tokens(None).await.unwrap();
    let row = list.items.iter().find(|r| r.token.id.to_string() == t.id).unwrap();
    assert_eq!(row.token.last_used_at.map(|t| t.millis()), Some(later));
    assert_eq!(row.token.last_used_ip.as_deref(), Some("127.0.0.1"));
    // And the metrics count it.
    let metrics = client().get(app.at("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("tessera_token_last_used_writes_total 2"), "{metrics}");
    assert!(metrics.contains("tessera_api_auth_total{outcome=\"ok\"}"), "{metrics}");
    assert!(
        metrics.contains("tessera_http_requests_total{route=\"/api/v1/whoami\",method=\"GET\",status=\"200\"}"),
        "{metrics}"
    );
}

async fn the_openapi_document_lists_every_route(app: TestApp) {
    let doc: serde_json::Value =
        client().get(app.at("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
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
        "POST /api/v1/members/{id}/revoke-tokens",
        "GET /api/v1/tokens",
        "POST /api/v1/tokens",
        "POST /api/v1/tokens/revoke-all",
        "GET /api/v1/tokens/{id}",
        "DELETE /api/v1/tokens/{id}",
        "POST /api/v1/tokens/{id}/rotate",
        "DELETE /api/v1/tokens/current",
        "POST /api/v1/tokens/current/rotate",
        "GET /api/v1/audit",
        "GET /api/v1/policy",
        "GET /api/v1/auth/verify",
        "POST /api/v1/tokens/{id}/leaked",
        "POST /api/v1/leaks/github",
        "GET /api/v1/leaks/gitlab/v1/revocable_token_types",
        "POST /api/v1/leaks/gitlab/v1/revoke_tokens",
        "POST /api/v1/credentials/revoke",
    ];
    expected.sort();
    assert_eq!(documented, expected);
    // Every documented route is served (it asks for a token rather than being unknown).
    for route in &documented {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let response = client().request(method.parse().unwrap(), app.at(&path)).send().await.unwrap();
        // The leak intakes take no token: off unless configured (404), or open to anyone (202).
        let expected = match path.as_str() {
            "/api/v1/credentials/revoke" => StatusCode::ACCEPTED,
            p if p.starts_with("/api/v1/leaks/") => StatusCode::NOT_FOUND,
            _ => StatusCode::UNAUTHORIZED,
        };
        assert_eq!(response.status(), expected, "{route}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["token_secret"]["name"], "X-ZeroPath-API-Token-Secret");
    assert_eq!(schemes["token_id"]["name"], "X-ZeroPath-API-Token-Id");
    let limit = doc["paths"]["/api/v1/tokens"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(
        (limit["schema"]["minimum"].as_f64(), limit["schema"]["maximum"].as_f64()),
        (Some(1.0), Some(100.0)),
        "{limit}"
    );
}

async fn logs_name_tokens_but_never_their_secrets(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    let other = owner.token("other").await;
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert_eq!(with_secret(&t, &other.secret).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    let swapped = Api { id: t.secret.clone(), secret: t.id.clone(), ..t.clone() };
    assert_eq!(swapped.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    let query = format!("/api/v1/whoami?secret={}", t.secret);
    assert_eq!(client().get(app.at(&query)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    app.server.log.flush();
    let logs = captured_logs();
    for secret in [&t.secret, &other.secret] {
        assert!(!logs.contains(&secret[4..]), "a secret is in the logs");
    }
    assert!(logs.contains(&format!("token={}", t.id)), "the token id is not logged");
    assert!(logs.contains("auth=ok") && logs.contains("auth=wrong_secret"), "outcomes are not logged");
}

async fn the_cli_calls_the_api_like_an_integration(app: TestApp) {
    let owner = app.setup_owner().await;
    let t = app.api(&owner.create_token("soon", "3").await.unwrap());
    let cli = |id: &str, secret: &str, call: &[&str], env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .args(["api", "--url", &app.url])
            .args(call)
            .env("TESSERA_TOKEN_ID", id)
            .env("TESSERA_TOKEN_SECRET", secret);
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = cli(&t.id, &t.secret, &["whoami"], &[]);
    assert!(ok, "{stderr}");
    let me: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((me["organization"]["name"].as_str(), me["role"].as_str()), (Some("Acme"), Some("owner")));
    // The manual clock of the test server is in the past of the CLI's real clock: the token expires
    // within a week from the CLI's point of view too, so it warns on stderr (as `gh` does).
    assert!(stderr.contains("warning: this token"), "{stderr}");

    let (ok, _, stderr) = cli(&t.id, "tsr_wrong", &["whoami"], &[]);
    assert!(!ok);
    assert!(stderr.contains("401") && stderr.contains("valid API token"), "{stderr}");

    // Custom header names: the CLI sends what it is told, and a server reading other names refuses.
    let (ok, _, stderr) = cli(&t.id, &t.secret, &["whoami"], &[("TESSERA_TOKEN_ID_HEADER", "X-Other-Id")]);
    assert!(!ok && stderr.contains("401"), "{stderr}");

    let (ok, stdout, stderr) = cli(&t.id, &t.secret, &["revoke"], &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("no longer works"));
    assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

/// Storage plays no part: SQLite only.
#[test]
fn configured_header_names_are_the_only_source_of_truth() {
    crate::helpers::runtime()
        .block_on(crate::helpers::within_time_limit(configured_header_names(crate::helpers::Backend::Sqlite)))
}

/// With `--token-id-header`/`--token-secret-header` set, the API, its 401, its OpenAPI document, the reveal
/// panel's example and the home page all use those names; the default names authenticate nothing.
async fn configured_header_names(backend: crate::helpers::Backend) {
    let db = crate::helpers::TestDatabase::create(backend).await.unwrap();
    let app = TestApp::spawn_on(db, |c| {
        c.web.token_id_header = axum::http::HeaderName::from_static("x-acme-key-id");
        c.web.token_secret_header = axum::http::HeaderName::from_static("x-acme-key-secret");
    })
    .await;
    let owner = app.setup_owner().await;
    let created: app::tokens::CreatedToken =
        owner.call::<app::tokens::CreateToken>(&[("name", "ci"), ("expires_in_days", "30")]).await.unwrap();
    assert_eq!(created.id_header.to_ascii_lowercase(), "x-acme-key-id");
    assert_eq!(created.secret_header.to_ascii_lowercase(), "x-acme-key-secret");
    let whoami = |id: &'static str, secret: &'static str| {
        client()
            .get(app.at("/api/v1/whoami"))
            .header(id, created.id.to_string())
            .header(secret, created.secret.clone())
            .send()
    };
    assert_eq!(whoami("X-Acme-Key-Id", "X-Acme-Key-Secret").await.unwrap().status(), StatusCode::OK);
    let refused = whoami("X-ZeroPath-API-Token-Id", "X-ZeroPath-API-Token-Secret").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let message = refused.text().await.unwrap().to_ascii_lowercase();
    assert!(message.contains("x-acme-key-id") && !message.contains("zeropath"), "{message}");
    let document = client().get(app.at("/api/v1/openapi.json")).send().await.unwrap().text().await.unwrap();
    let document = document.to_ascii_lowercase();
    assert!(document.contains("x-acme-key-id") && document.contains("x-acme-key-secret"), "the OpenAPI schemes");
    assert!(!document.contains("x-zeropath-api-token"), "no other header names in the document");
    // Signed in, `/` leads to the tokens page; the examples are on the page people see before signing in.
    let home = app.browser().get("/").await.text().await.unwrap().to_ascii_lowercase();
    assert!(home.contains("x-acme-key-id") && !home.contains("x-zeropath-api-token"), "the home page's examples");
}

/// A body sent without a length (chunked) is cut off at the limit as it streams in: the answer is the
/// same JSON 413 as for an announced length, nothing changes, and the request was authenticated (the
/// expiry header).
async fn a_chunked_body_over_the_limit_is_a_json_error(app: TestApp) {
    use http_body_util::BodyExt;
    let owner = app.setup_owner().await;
    let t = app.api(&owner.token("t").await);
    let before = app.count("api_tokens WHERE revoked_at IS NULL").await;
    let mut json = br#"{"confirm": ""#.to_vec();
    json.extend(std::iter::repeat_n(b'x', 100_000));
    json.extend(br#""}"#);
    for path in ["/api/v1/tokens/revoke-all", "/api/v1/tokens/current/rotate"] {
        // No size hint: reqwest sends it chunked, without Content-Length.
        let unsized_body = http_body_util::Full::new(bytes::Bytes::from(json.clone())).map_frame(|frame| frame);
        let response = t.request(Method::POST, path).body(reqwest::Body::wrap(unsized_body)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert!(response.headers().contains_key("x-tessera-token-expires-at"), "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json", "{path}");
        let body: ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error, ErrorKind::TooLarge, "{path}");
        assert!(body.message.contains("64 KiB"), "{}", body.message);
    }
    assert_eq!(app.count("api_tokens WHERE revoked_at IS NULL").await, before, "nothing was revoked or rotated");
    // Within the limit the body is read as before: empty means the defaults (here: no confirmation), and
    // a field of the wrong type is named.
    for (body, field) in [("", "confirm"), ("  ", "confirm"), (r#"{"confirm": 7}"#, "confirm"), ("[1,", "")] {
        let response = t.request(Method::POST, "/api/v1/tokens/revoke-all").body(body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        let error: ErrorBody = response.json().await.unwrap();
        assert_eq!(error.field.as_deref().unwrap_or(""), field, "{body:?}: {error:?}");
    }
}
