//! Per-token restrictions (issue 25): a role ceiling, an IP allowlist and a rate limit, chosen at
//! creation, shown everywhere the token is, kept by rotation, and enforced on every request (the API
//! and forward-auth), on both engines and across instances.

use crate::helpers::{Api, Browser, TestApp, TestDatabase};
use app::tokens::{CreateToken, CreatedToken};
use reqwest::{Method, StatusCode};
use tessera::http::api::json::{RestrictionsJson, Token};
use tessera_core::ErrorKind;

tessera_core::on_each_engine!(crate::helpers::on_app =>
    a_viewer_ceiling_reads_but_changes_nothing,
    demoting_the_creator_below_the_ceiling_lowers_the_token,
    a_ceiling_above_the_creator_is_refused_and_bad_input_changes_nothing,
    restrictions_show_everywhere_and_rotation_keeps_them,
    the_allowlist_decides_by_ipv4_address,
    a_refusal_is_the_wrong_secret_answer_byte_for_byte_and_audited_once_a_minute,
    forward_auth_honours_the_allowlist_and_the_ceiling,
    the_rate_limit_answers_429_with_the_headers_until_the_next_minute,
    the_form_offers_restrictions_and_the_list_shows_their_badges,
);
/// Tests that configure their server themselves.
mod configured {
    use super::*;
    tessera_core::on_each_engine!(crate::helpers::on_database =>
        the_allowlist_decides_by_ipv6_address,
        an_ipv4_mapped_address_matches_its_ipv4_entry,
        behind_a_trusted_proxy_the_forwarded_address_decides_and_a_client_cannot_choose_it,
    );
}
tessera_core::on_each_engine!(postgres only, crate::helpers::on_database =>
    two_instances_stay_within_the_stated_tolerance,
);

/// Creates a token with restrictions through the dashboard's server function.
async fn restricted(owner: &Browser, name: &str, ceiling: &str, ips: &str, rate: &str) -> CreatedToken {
    owner
        .call::<CreateToken>(&[
            ("name", name),
            ("expires_in_days", "30"),
            ("ceiling", ceiling),
            ("allowed_ips", ips),
            ("rate_limit_per_minute", rate),
        ])
        .await
        .expect("token created")
}

async fn a_viewer_ceiling_reads_but_changes_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let member = app.member("dev@example.com", "member").await;
    let members_token = member.token("dev's").await;
    let read_only = app.api(&restricted(&owner, "read-only", "viewer", "", "").await);

    let me = read_only.whoami().await.unwrap();
    assert_eq!((me.role.as_str(), me.organization.role.as_str()), ("viewer", "viewer"), "acts as viewer");
    // It reads: the tokens, one token, the members.
    assert_eq!(read_only.status(Method::GET, "/api/v1/tokens").await, StatusCode::OK);
    let path = format!("/api/v1/tokens/{}", members_token.id);
    assert_eq!(read_only.status(Method::GET, &path).await, StatusCode::OK);
    assert_eq!(read_only.status(Method::GET, "/api/v1/members").await, StatusCode::OK);
    // It deletes no one else's token and changes no member, though its creator (an owner) could.
    assert_eq!(read_only.status(Method::DELETE, &path).await, StatusCode::FORBIDDEN);
    let member_id = app.user_id("dev@example.com").await;
    let revoke = format!("/api/v1/members/{member_id}/revoke-tokens");
    assert_eq!(read_only.status(Method::POST, &revoke).await, StatusCode::FORBIDDEN);
    assert_eq!(read_only.status(Method::GET, "/api/v1/audit").await, StatusCode::FORBIDDEN);
    assert_eq!(app.api(&members_token).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "still alive");

    // The same owner's unrestricted token can do all of it.
    let full = app.api(&owner.token("full").await);
    assert_eq!(full.whoami().await.unwrap().role, "owner");
    assert_eq!(full.status(Method::DELETE, &path).await, StatusCode::NO_CONTENT);
}

async fn demoting_the_creator_below_the_ceiling_lowers_the_token(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let token = app.api(&restricted(&admin, "ops", "admin", "", "").await);
    assert_eq!(token.whoami().await.unwrap().role, "admin");
    assert_eq!(token.status(Method::GET, "/api/v1/audit").await, StatusCode::OK);
    // The creator is demoted below the ceiling: the token follows on its next request.
    owner.change_role(app.user_id("admin@example.com").await, "viewer").await.unwrap();
    assert_eq!(token.whoami().await.unwrap().role, "viewer");
    assert_eq!(token.status(Method::GET, "/api/v1/audit").await, StatusCode::FORBIDDEN);
    // Promoted back, up to the ceiling and no further: min(ceiling, role) on every request.
    owner.change_role(app.user_id("admin@example.com").await, "owner").await.unwrap();
    assert_eq!(token.whoami().await.unwrap().role, "admin");
}

async fn a_ceiling_above_the_creator_is_refused_and_bad_input_changes_nothing(app: TestApp) {
    let _owner = app.setup_owner().await;
    let member = app.member("dev@example.com", "member").await;
    let before = app.count("api_tokens").await;
    let refused = |ceiling: &'static str, ips: &'static str, rate: &'static str| {
        let member = member.clone();
        async move {
            member
                .call::<CreateToken>(&[
                    ("name", "x"),
                    ("ceiling", ceiling),
                    ("allowed_ips", ips),
                    ("rate_limit_per_minute", rate),
                ])
                .await
                .unwrap_err()
        }
    };
    let above = refused("admin", "", "").await;
    assert_eq!((above.kind(), above.field()), (ErrorKind::Invalid, Some("ceiling")));
    assert!(above.message().contains("your role is member"), "{}", above.message());
    for (ips, rate, field) in [
        ("10.0.0.0/33", "", "allowed_ips"),
        ("example.com", "", "allowed_ips"),
        ("", "0", "rate_limit_per_minute"),
        ("", "100001", "rate_limit_per_minute"),
    ] {
        let bad = refused("", ips, rate).await;
        assert_eq!((bad.kind(), bad.field()), (ErrorKind::Invalid, Some(field)), "{ips} {rate}: {}", bad.message());
    }
    let many = (0..33).map(|i| format!("10.0.0.{i}")).collect::<Vec<_>>().join("\n");
    let bad = member.call::<CreateToken>(&[("name", "x"), ("allowed_ips", &many)]).await.unwrap_err();
    assert_eq!(bad.field(), Some("allowed_ips"));
    assert_eq!(app.count("api_tokens").await, before, "nothing was created");
    // At or below the creator's role is fine.
    restricted(&member, "ok", "member", "", "").await;
}

async fn restrictions_show_everywhere_and_rotation_keeps_them(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = restricted(&owner, "ci", "viewer", "10.0.0.0/8,\n127.0.0.1, ::1", "600").await;
    let expected = RestrictionsJson {
        ceiling: Some("viewer".into()),
        allowed_ips: Some(vec!["10.0.0.0/8".into(), "127.0.0.1".into(), "::1".into()]),
        rate_limit_per_minute: Some(600),
    };
    let api = app.api(&created);
    assert_eq!(api.whoami().await.unwrap().restrictions.as_ref(), Some(&expected), "whoami");
    let one: Token = api.get(&format!("/api/v1/tokens/{}", created.id)).await.unwrap();
    assert_eq!(one.restrictions.as_ref(), Some(&expected), "GET /api/v1/tokens/{{id}}");
    // An unrestricted token's answers don't mention restrictions at all (its whoami is as before).
    let plain = app.api(&owner.token("plain").await);
    let raw: serde_json::Value = plain.get("/api/v1/whoami").await.unwrap();
    assert!(raw.get("restrictions").is_none(), "{raw}");
    // The OpenAPI document describes them.
    let doc: serde_json::Value =
        crate::helpers::client().get(app.at("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let schema = &doc["components"]["schemas"]["Restrictions"]["properties"];
    for field in ["ceiling", "allowed_ips", "rate_limit_per_minute"] {
        assert!(schema.get(field).is_some(), "{field} in {schema}");
    }
    // The dashboard's list.
    let listed = owner.list_tokens(None).await.unwrap();
    let row = listed.items.iter().find(|l| l.token.id == created.id).unwrap();
    assert_eq!(row.token.restrictions().ceiling, Some(tessera_core::domain::org::Role::Viewer));
    assert_eq!(row.token.allowed_ips.as_ref().unwrap().to_string(), "10.0.0.0/8,127.0.0.1,::1");
    assert_eq!(row.token.rate_limit_per_minute.unwrap().per_minute(), 600);
    // The creation's audit event.
    let audit = owner.audit(&[("type", "token.created")]).await.unwrap();
    let event = audit.events.items.iter().find(|e| e.subject_id == created.id.to_string()).unwrap();
    let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap();
    assert_eq!(detail["restrictions"], serde_json::to_value(&expected).unwrap(), "{detail}");

    // Rotation keeps every restriction; there is no way to change them afterwards.
    let rotated = owner.rotate_token(&created.id.to_string(), "none").await.unwrap();
    let successor = app.api(&rotated.successor);
    let me = successor.whoami().await.unwrap();
    assert_eq!((me.restrictions.as_ref(), me.role.as_str()), (Some(&expected), "viewer"));
    let audit = owner.audit(&[("type", "token.created")]).await.unwrap();
    let event = audit.events.items.iter().find(|e| e.subject_id == rotated.successor.id.to_string()).unwrap();
    assert!(event.detail.contains("\"ceiling\":\"viewer\""), "{}", event.detail);
}

/// A client bound to a given loopback address (Linux routes all of 127.0.0.0/8 to loopback).
fn api_from(api: &Api, local: std::net::IpAddr) -> Api {
    let client = reqwest::Client::builder().local_address(local).no_proxy().build().unwrap();
    Api { client, ..api.clone() }
}

async fn the_allowlist_decides_by_ipv4_address(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = app.api(&restricted(&owner, "office", "", "127.0.0.2, 10.0.0.0/8", "").await);
    let from = |ip: [u8; 4]| api_from(&token, ip.into());
    assert_eq!(from([127, 0, 0, 2]).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert_eq!(from([127, 0, 0, 3]).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    assert_eq!(from([127, 0, 0, 1]).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // A network entry.
    let network = app.api(&restricted(&owner, "lab", "", "127.0.0.0/30", "").await);
    for (last, status) in [(1, StatusCode::OK), (3, StatusCode::OK), (4, StatusCode::UNAUTHORIZED)] {
        let answer = api_from(&network, [127, 0, 0, last].into()).status(Method::GET, "/api/v1/whoami").await;
        assert_eq!(answer, status, "127.0.0.{last}");
    }
    // Without a trusted proxy, a client's own X-Forwarded-For is ignored.
    let claimed = from([127, 0, 0, 3])
        .request(Method::GET, "/api/v1/whoami")
        .header("X-Forwarded-For", "10.1.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status(), StatusCode::UNAUTHORIZED);
}

async fn the_allowlist_decides_by_ipv6_address(db: TestDatabase) {
    let app = TestApp::spawn_on(db, |c| c.listen = "[::1]:0".parse().unwrap()).await;
    assert!(app.url.starts_with("http://[::1]:"), "{}", app.url);
    let owner = app.setup_owner().await;
    let allowed = app.api(&restricted(&owner, "v6", "", "::1", "").await);
    assert_eq!(allowed.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let network = app.api(&restricted(&owner, "v6 net", "", "::/127", "").await);
    assert_eq!(network.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let elsewhere = app.api(&restricted(&owner, "v6 elsewhere", "", "2001:db8::/32, 127.0.0.1", "").await);
    assert_eq!(elsewhere.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

async fn an_ipv4_mapped_address_matches_its_ipv4_entry(db: TestDatabase) {
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d.
    let mut app = TestApp::spawn_on(db, |c| c.listen = "[::]:0".parse().unwrap()).await;
    let port = app.url.rsplit(':').next().unwrap().to_owned();
    app.url = format!("http://127.0.0.1:{port}");
    let v4 = |api: &Api| api.clone();
    let owner = app.setup_owner().await;
    let ipv4_entry = app.api(&restricted(&owner, "v4 entry", "", "127.0.0.1", "").await);
    assert_eq!(v4(&ipv4_entry).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let mapped_entry = app.api(&restricted(&owner, "mapped entry", "", "::ffff:127.0.0.0/104", "").await);
    assert_eq!(v4(&mapped_entry).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let other = app.api(&restricted(&owner, "other", "", "127.0.0.2", "").await);
    assert_eq!(v4(&other).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

async fn behind_a_trusted_proxy_the_forwarded_address_decides_and_a_client_cannot_choose_it(db: TestDatabase) {
    // The proxy connects from 127.0.0.1, the only trusted address; it appends the client's address.
    let app = TestApp::spawn_on(db, |c| c.proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let owner = app.setup_owner().await;
    let token = app.api(&restricted(&owner, "runners", "", "203.0.113.0/24, 2001:db8:1::/48", "").await);
    let via_proxy = async |xff: &str| {
        token.request(Method::GET, "/api/v1/whoami").header("X-Forwarded-For", xff).send().await.unwrap().status()
    };
    assert_eq!(via_proxy("203.0.113.9").await, StatusCode::OK);
    assert_eq!(via_proxy("198.51.100.7").await, StatusCode::UNAUTHORIZED);
    assert_eq!(via_proxy("2001:db8:1:2::5").await, StatusCode::OK);
    assert_eq!(via_proxy("2001:db8:2::5").await, StatusCode::UNAUTHORIZED);
    assert_eq!(via_proxy("::ffff:203.0.113.9").await, StatusCode::OK, "mapped, forwarded");
    // The client put an allowed address first; the proxy appended the real one: the real one decides.
    assert_eq!(via_proxy("203.0.113.9, 198.51.100.7").await, StatusCode::UNAUTHORIZED);
    // The proxy itself (no header) is not the client.
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // A client that is not the trusted proxy can't claim an address at all.
    let direct = api_from(&token, [127, 0, 0, 2].into());
    let answer =
        direct.request(Method::GET, "/api/v1/whoami").header("X-Forwarded-For", "203.0.113.9").send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
}

/// Status, every header but `date`, and the body.
async fn exactly(answer: reqwest::Response) -> (StatusCode, Vec<(String, Vec<u8>)>, Vec<u8>) {
    let status = answer.status();
    let mut headers: Vec<(String, Vec<u8>)> = answer
        .headers()
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    headers.sort();
    (status, headers, answer.bytes().await.unwrap().to_vec())
}

async fn a_refusal_is_the_wrong_secret_answer_byte_for_byte_and_audited_once_a_minute(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = restricted(&owner, "office", "", "10.0.0.0/8", "").await;
    let token = app.api(&created);
    let elsewhere = exactly(token.send(Method::GET, "/api/v1/whoami").await).await;
    let wrong = Api { secret: owner.token("other").await.secret, ..token.clone() };
    let wrong_secret = exactly(wrong.send(Method::GET, "/api/v1/whoami").await).await;
    assert_eq!(elsewhere.0, StatusCode::UNAUTHORIZED);
    assert_eq!(elsewhere, wrong_secret, "byte for byte: status, headers and body");

    // One audit event a minute per token, with the address, however many refusals.
    token.send(Method::GET, "/api/v1/whoami").await;
    token.send(Method::GET, "/api/v1/members").await;
    let events = async || {
        let audit = owner.audit(&[("type", "token.refused_by_allowlist")]).await.unwrap();
        audit.events.items.into_iter().filter(|e| e.subject_id == created.id.to_string()).collect::<Vec<_>>()
    };
    let first = events().await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].client_ip.as_deref(), Some("127.0.0.1"));
    assert!(first[0].detail.contains("10.0.0.0/8"), "{}", first[0].detail);
    app.clock.advance_ms(60_000);
    token.send(Method::GET, "/api/v1/whoami").await;
    token.send(Method::GET, "/api/v1/whoami").await;
    assert_eq!(events().await.len(), 2, "a minute later, one more");
}

async fn forward_auth_honours_the_allowlist_and_the_ceiling(app: TestApp) {
    let owner = app.setup_owner().await;
    let allowed = app.api(&restricted(&owner, "gate", "viewer", "127.0.0.0/8", "").await);
    let answer = allowed.send(Method::GET, "/api/v1/auth/verify").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["x-tessera-role"], "viewer", "the ceiling, not the owner's role");
    let refused = app.api(&restricted(&owner, "gate elsewhere", "", "192.0.2.0/24", "").await);
    let answer = refused.send(Method::GET, "/api/v1/auth/verify").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.headers().get("x-tessera-user-id").is_none());
}

async fn the_rate_limit_answers_429_with_the_headers_until_the_next_minute(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = app.api(&restricted(&owner, "limited", "", "", "3").await);
    // The test clock starts on a minute: 60 seconds left.
    assert_eq!(app.clock.now().millis() % 60_000, 0);
    app.clock.advance_ms(15_000);
    for left in [2, 1, 0] {
        let answer = token.send(Method::GET, "/api/v1/whoami").await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["ratelimit-policy"], "\"token\";q=3;w=60");
        assert_eq!(answer.headers()["ratelimit"], format!("\"token\";r={left};t=45").as_str());
    }
    let over = token.send(Method::GET, "/api/v1/whoami").await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.headers()["retry-after"], "45");
    assert_eq!(over.headers()["ratelimit-policy"], "\"token\";q=3;w=60");
    assert_eq!(over.headers()["ratelimit"], "\"token\";r=0;t=45");
    let body: tessera_core::ErrorBody = over.json().await.unwrap();
    assert_eq!(body.error, ErrorKind::RateLimited);
    assert!(body.message.contains("3 requests a minute"), "{}", body.message);
    // Forward-auth counts too, and another token of the same person is not affected.
    assert_eq!(token.status(Method::GET, "/api/v1/auth/verify").await, StatusCode::TOO_MANY_REQUESTS);
    let other = app.api(&owner.token("unlimited").await);
    let answer = other.send(Method::GET, "/api/v1/whoami").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().get("ratelimit").is_none(), "no limit, no header");

    // The next minute works again.
    app.clock.advance_ms(45_000);
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
}

/// Several instances on PostgreSQL share each token's minute through leases (a twentieth of the limit
/// each, see `tessera_core::verify::rate`): together they never admit more than the limit, and at most
/// one lease (5 % of the limit) less per other instance. Measured here with requests alternating between
/// two instances, and with all on one after the other ran out.
async fn two_instances_stay_within_the_stated_tolerance(db: TestDatabase) {
    let a = TestApp::spawn_on(db, |_| {}).await;
    let key = std::fs::read_to_string(a.db.data_dir.path().join("secret.key")).unwrap();
    let b = TestApp::spawn_on(a.db.shared_view(), |c| c.secret_key = Some(key.trim().to_owned())).await;
    let owner = a.setup_owner().await;
    let limit = 100;
    let token = a.api(&restricted(&owner, "shared", "", "", &limit.to_string()).await);
    let on_b = Api { url: b.url.clone(), ..token.clone() };
    let (mut admitted, mut requests) = (0, 0);
    for i in 0..3 * limit {
        let api = if i % 2 == 0 { &token } else { &on_b };
        requests += 1;
        match api.status(Method::GET, "/api/v1/whoami").await {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    let leased: i64 =
        sqlx::query_scalar("SELECT MAX(claimed) FROM token_rate_windows").fetch_one(a.core.db.pool()).await.unwrap();
    eprintln!(
        "two instances, limit {limit}: {admitted} of {requests} requests admitted (tolerance: {}..={limit}), \
         {leased} leased",
        limit - 5
    );
    assert!(admitted <= limit, "never more than the limit: {admitted}");
    assert!(admitted >= limit - 5, "at most one lease (5) less: {admitted}");

    // Concurrent requests on both, in the next minute: the same bounds.
    a.clock.advance_ms(60_000);
    b.clock.advance_ms(60_000);
    let mut tasks = Vec::new();
    for i in 0..2 * limit {
        let api = if i % 2 == 0 { token.clone() } else { on_b.clone() };
        tasks.push(tokio::spawn(async move { api.status(Method::GET, "/api/v1/whoami").await }));
    }
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap() == StatusCode::OK {
            admitted += 1;
        }
    }
    eprintln!("two instances, concurrent, limit {limit}: {admitted} admitted");
    assert!((limit - 5..=limit).contains(&admitted), "{admitted}");
}

async fn the_form_offers_restrictions_and_the_list_shows_their_badges(app: TestApp) {
    use leptos::server_fn::ServerFn;
    const TOKENS: &str = "/app/settings/api";
    let owner = app.setup_owner().await;
    let member = app.member("dev@example.com", "member").await;
    // The form (rendered open without JavaScript): the disclosure, its three labelled fields, and what
    // each ceiling can and can't do, from the role table; a member is offered no ceiling above member.
    let form = owner.get(&format!("{TOKENS}?new=1")).await.text().await.unwrap();
    assert!(form.contains("<summary data-testid=\"restrictions-toggle\">Restrictions (optional)</summary>"), "{form}");
    for (id, label) in [
        ("token-ceiling", "Role ceiling"),
        ("token-allowed-ips", "IP allowlist"),
        ("token-rate-limit", "Rate limit (requests per minute)"),
    ] {
        assert!(form.contains(&format!("<label for=\"{id}\">{label}</label>")), "{label}");
    }
    // What each ceiling can and can't do, from the role table (hydration markers aside).
    let table = form.replace("<!>", "");
    assert!(table.contains("<strong>Viewer</strong>: can see members, see tokens"), "{table}");
    assert!(table.contains("can't delete anyone's tokens, manage members"), "{table}");
    assert!(table.contains("<strong>Owner</strong>: can see members"), "{table}");
    let members_form = member.get(&format!("{TOKENS}?new=1")).await.text().await.unwrap();
    assert!(members_form.contains("value=\"member\"") && !members_form.contains("value=\"admin\""));

    // Posted without JavaScript: a refused field keeps what was typed and says what to fix.
    let bad =
        [("name", "ci"), ("expires_in_days", "30"), ("allowed_ips", "10.0.0.0/40"), ("rate_limit_per_minute", "60")];
    let answer = owner.submit(&format!("{TOKENS}?new=1"), CreateToken::PATH, &bad).await;
    let page = owner.follow(&answer).await.text().await.unwrap();
    assert!(page.contains("an IPv4 prefix is 0 to 32"), "{page}");
    assert_eq!(app.count("api_tokens").await, 0);
    let good = [
        ("name", "ci"),
        ("expires_in_days", "30"),
        ("ceiling", "viewer"),
        ("allowed_ips", "10.0.0.0/8"),
        ("rate_limit_per_minute", "60"),
    ];
    let answer = owner.submit(&format!("{TOKENS}?new=1"), CreateToken::PATH, &good).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    // The list: one badge per restriction.
    let list = owner.get(TOKENS).await.text().await.unwrap();
    assert_eq!(list.matches("data-testid=\"restriction-badge\"").count(), 3, "{list}");
    for badge in ["Read-only", "IP: 10.0.0.0/8", "60/min"] {
        assert!(list.contains(badge), "{badge}");
    }
}
