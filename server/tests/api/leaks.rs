//! Leak response (issue 23): every intake finds a token from its secret alone, revokes it with its
//! rotation family on every instance, marks it exposed and tells the people concerned once; malformed,
//! foreign or unsigned reports change nothing.

use crate::{
    helpers::{Api, Backend, TestApp, TestDatabase, client, tessera_cli},
    support::{Receiver, SmtpSink, eventually, notifying},
};
use app::tokens::CreatedToken;
use base64::Engine;
use p256::{
    ecdsa::{Signature, SigningKey, signature::Signer},
    pkcs8::{EncodePublicKey, LineEnding},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};
use tessera::config::{GithubKeySource, TokenCacheSetting};
use tessera_core::{
    crypto::random_bytes,
    secret::{TokenPrefix, TokenSecret},
};

tessera_core::on_each_engine!(crate::helpers::on_engine =>
    github_reports_are_verified_and_answered_in_the_feedback_format,
    github_keys_can_come_from_a_file,
    gitlab_revocation_needs_its_token,
    a_token_created_before_the_migration_is_found_by_every_intake,
    an_exposure_is_told_by_email_and_webhook_once,
    revoke_by_possession_answers_alike_and_is_limited,
    members_and_the_cli_report_tokens_as_leaked,
);
tessera_core::on_each_engine!(postgres only, crate::helpers::on_engine => a_report_on_one_instance_revokes_on_every_instance);

const GITLAB_TOKEN: &str = "gitlab-revocation-token-for-tests";

/// GitHub's keys document, served on loopback; counts how often it is read.
struct KeyServer {
    url: String,
    document: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl KeyServer {
    async fn start(keys: &[(&str, &SigningKey)]) -> Self {
        let document = Arc::new(Mutex::new(String::new()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/meta/public_keys/secret_scanning", listener.local_addr().unwrap());
        let (doc, count) = (document.clone(), fetches.clone());
        let router = axum::Router::new().route(
            "/meta/public_keys/secret_scanning",
            axum::routing::get(move || {
                let (doc, count) = (doc.clone(), count.clone());
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    let body = doc.lock().unwrap().clone();
                    ([(axum::http::header::CONTENT_TYPE, "application/json")], body)
                }
            }),
        );
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let server = Self { url, document, fetches, task };
        server.publish(keys);
        server
    }

    fn publish(&self, keys: &[(&str, &SigningKey)]) {
        *self.document.lock().unwrap() = keys_document(keys);
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn keys_document(keys: &[(&str, &SigningKey)]) -> String {
    let public_keys: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, (id, key))| {
            json!({
                "key_identifier": id,
                "key": key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                "is_current": i == 0,
            })
        })
        .collect();
    json!({ "public_keys": public_keys }).to_string()
}

fn new_key() -> SigningKey {
    loop {
        if let Ok(key) = SigningKey::from_slice(&random_bytes::<32>()) {
            return key;
        }
    }
}

fn sign(key: &SigningKey, body: &[u8]) -> String {
    let signature: Signature = key.sign(body);
    base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
}

/// A GitHub report body: one item per secret.
fn github_body(secrets: &[&str]) -> Vec<u8> {
    let items: Vec<Value> = secrets
        .iter()
        .map(|s| {
            json!({"token": s, "type": "tessera_api_token", "url": "https://github.com/acme/app/blob/abc/.env", "source": "content"})
        })
        .collect();
    serde_json::to_vec(&items).unwrap()
}

async fn post_github(app: &TestApp, key_id: Option<&str>, signature: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut request = client().post(app.at("/api/v1/leaks/github")).header("content-type", "application/json");
    if let Some(id) = key_id {
        request = request.header("Github-Public-Key-Identifier", id);
    }
    if let Some(signature) = signature {
        request = request.header("Github-Public-Key-Signature", signature);
    }
    request.body(body).send().await.unwrap()
}

/// Signs and posts; the feedback's labels, in order.
async fn github_labels(app: &TestApp, key_id: &str, key: &SigningKey, secrets: &[&str]) -> Vec<String> {
    let body = github_body(secrets);
    let response = post_github(app, Some(key_id), Some(&sign(key, &body)), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let feedback: Vec<Value> = response.json().await.unwrap();
    assert_eq!(feedback.len(), secrets.len());
    for (item, secret) in feedback.iter().zip(secrets) {
        assert_eq!(item["token_raw"], *secret);
        assert_eq!(item["token_type"], "tessera_api_token");
    }
    feedback.iter().map(|f| f["label"].as_str().unwrap().to_owned()).collect()
}

async fn spawn(backend: Backend, configure: impl FnOnce(&mut tessera::startup::ServerConfig)) -> TestApp {
    let db = TestDatabase::create(backend).await.expect("database");
    TestApp::spawn_on(db, configure).await
}

async fn works(api: &Api) -> bool {
    match api.status(Method::GET, "/api/v1/whoami").await {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("whoami answered {other}"),
    }
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.core.db.pool()).await.unwrap()
}

async fn reports(app: &TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) FROM token_leak_reports").await
}

async fn exposed_events(app: &TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) FROM audit_events WHERE event_type = 'token.exposed'").await
}

/// The same secret with its last checksum character changed.
fn bad_checksum(secret: &str) -> String {
    let (head, last) = secret.split_at(secret.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

fn made_up() -> String {
    TokenSecret::generate(&TokenPrefix::default()).expose().to_owned()
}

async fn github_reports_are_verified_and_answered_in_the_feedback_format(backend: Backend) {
    let first = new_key();
    let keys = KeyServer::start(&[("key-1", &first)]).await;
    let url = keys.url.clone();
    let app = spawn(backend, |c| c.leaks.github = Some(GithubKeySource::Url(url))).await;
    let owner = app.setup_owner().await;
    let leaked = owner.token("leaked").await;
    let kept = owner.token("kept").await;
    let (leaked_api, kept_api) = (app.api(&leaked), app.api(&kept));
    assert!(works(&leaked_api).await && works(&kept_api).await);
    let unknown = made_up();
    let foreign = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    let corrupted = bad_checksum(&kept.secret);

    // Refusals first: nothing changes, and nothing is read from the database for them.
    let body = github_body(&[&kept.secret]);
    let signature = sign(&first, &body);
    let mut changed = body.clone();
    let at = changed.len() - 3;
    changed[at] ^= 1;
    assert_eq!(post_github(&app, Some("key-1"), Some(&signature), changed).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post_github(&app, None, Some(&signature), body.clone()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post_github(&app, Some("key-1"), None, body.clone()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        post_github(&app, Some("key-1"), Some("bm90IGEgc2lnbmF0dXJl"), body.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refused = post_github(&app, Some("key-9"), Some(&signature), body.clone()).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"], "unauthorized");
    assert!(works(&kept_api).await);
    assert_eq!(reports(&app).await, 0);
    assert_eq!(keys.fetches(), 1, "read once, for the unknown key");

    // A signed report: the live token is revoked and labelled true_positive, everything else false.
    let labels = github_labels(&app, "key-1", &first, &[&leaked.secret, foreign, &corrupted, &unknown]).await;
    assert_eq!(labels, ["true_positive", "false_positive", "false_positive", "false_positive"]);
    assert!(!works(&leaked_api).await, "revoked: the next call is 401");
    assert!(works(&kept_api).await, "a bad checksum of a real secret changes nothing");
    assert_eq!(reports(&app).await, 1);
    assert_eq!(exposed_events(&app).await, 1);
    let listed: Value = kept_api.get(&format!("/api/v1/tokens/{}", leaked.id)).await.unwrap();
    assert_eq!(listed["revoked_reason"], "exposed");
    let detail: String = sqlx::query_scalar("SELECT detail FROM audit_events WHERE event_type = 'token.exposed'")
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["intake"], "github");
    assert_eq!(detail["url"], "https://github.com/acme/app/blob/abc/.env");
    assert!(!detail.to_string().contains(&leaked.secret[4..]));
    let stored: String =
        sqlx::query_scalar("SELECT intake || COALESCE(url, '') || COALESCE(source, '') FROM token_leak_reports")
            .fetch_one(app.core.db.pool())
            .await
            .unwrap();
    assert!(stored.starts_with("github") && !stored.contains(&leaked.secret[4..]));

    // Reported again: recorded, false_positive (nothing live was revoked), nobody alerted twice.
    let again = github_labels(&app, "key-1", &first, &[&leaked.secret]).await;
    assert_eq!(again, ["false_positive"]);
    assert_eq!(reports(&app).await, 1, "the same report again adds no row");
    assert_eq!(exposed_events(&app).await, 1);

    // Key rotation: a new key id is read from the URL, at most once a minute.
    let second = new_key();
    keys.publish(&[("key-2", &second), ("key-1", &first)]);
    let body = github_body(&[&kept.secret]);
    let signed = sign(&second, &body);
    assert_eq!(post_github(&app, Some("key-2"), Some(&signed), body.clone()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(keys.fetches(), 1, "not read again within the minute");
    app.clock.advance_ms(61_000);
    let labels = github_labels(&app, "key-2", &second, &[&kept.secret]).await;
    assert_eq!(labels, ["true_positive"]);
    assert_eq!(keys.fetches(), 2);
    assert!(!works(&kept_api).await);
    assert!(!crate::helpers::captured_logs().contains(&kept.secret[4..]));

    // A document without keys (or a failed read) keeps the keys known so far, and is read again ten
    // seconds later rather than a minute.
    keys.publish(&[]);
    app.clock.advance_ms(61_000);
    let third = new_key();
    let other = owner.token("other").await;
    let body = github_body(&[&other.secret]);
    assert_eq!(
        post_github(&app, Some("key-3"), Some(&sign(&third, &body)), body).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(keys.fetches(), 3);
    let body = github_body(&[made_up().as_str()]);
    let still = post_github(&app, Some("key-2"), Some(&sign(&second, &body)), body).await;
    assert_eq!(still.status(), StatusCode::OK, "key-2 is still known");
    keys.publish(&[("key-3", &third)]);
    app.clock.advance_ms(11_000);
    assert_eq!(github_labels(&app, "key-3", &third, &[&other.secret]).await, ["true_positive"]);
    assert_eq!(keys.fetches(), 4);
}

async fn github_keys_can_come_from_a_file(backend: Backend) {
    let key = new_key();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("github-keys.json");
    std::fs::write(&path, keys_document(&[("file-key", &key)])).unwrap();
    let file = path.clone();
    let app = spawn(backend, |c| c.leaks.github = Some(GithubKeySource::File(file))).await;
    let owner = app.setup_owner().await;
    let token = owner.token("t").await;
    assert_eq!(github_labels(&app, "file-key", &key, &[&token.secret]).await, ["true_positive"]);
    assert!(!works(&app.api(&token)).await);
    // Signed by a key the file doesn't have: refused.
    let body = github_body(&[&token.secret]);
    let response = post_github(&app, Some("file-key"), Some(&sign(&new_key(), &body)), body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn gitlab_revocation_needs_its_token(backend: Backend) {
    let app = spawn(backend, |c| c.leaks.gitlab_token = Some(GITLAB_TOKEN.to_owned())).await;
    let owner = app.setup_owner().await;
    let leaked = owner.token("leaked").await;
    let api = app.api(&leaked);
    let types_url = app.at("/api/v1/leaks/gitlab/v1/revocable_token_types");
    let revoke_url = app.at("/api/v1/leaks/gitlab/v1/revoke_tokens");
    let body = json!([{"type": "tessera_api_token", "token": leaked.secret, "location": "https://gitlab.example.com/a/b/-/blob/main/ci.yml"}]);

    for auth in [None, Some("wrong"), Some("Bearer wrong")] {
        let mut request = client().post(&revoke_url).json(&body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        assert_eq!(request.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        let mut request = client().get(&types_url);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        assert_eq!(request.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert!(works(&api).await);

    let types: Value =
        client().get(&types_url).header("Authorization", GITLAB_TOKEN).send().await.unwrap().json().await.unwrap();
    assert_eq!(types["types"][0]["type"], "tessera_api_token");
    assert!(types["types"][0]["example"].as_str().unwrap().starts_with("tsr_"));

    let post = |body: String| {
        client()
            .post(&revoke_url)
            .header("Authorization", GITLAB_TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(post("{\"not\": \"an array\"}".into()).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(post("[{\"type\": 1}]".into()).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert!(works(&api).await);
    assert_eq!(post(body.to_string()).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert!(!works(&api).await);
    assert_eq!(post(body.to_string()).await.unwrap().status(), StatusCode::NO_CONTENT, "idempotent");
    assert_eq!(exposed_events(&app).await, 1);
    let location: String =
        sqlx::query_scalar("SELECT url FROM token_leak_reports LIMIT 1").fetch_one(app.core.db.pool()).await.unwrap();
    assert_eq!(location, "https://gitlab.example.com/a/b/-/blob/main/ci.yml");
    // A foreign or corrupted token is accepted and changes nothing.
    let other = owner.token("other").await;
    let junk = json!([{"type": "x", "token": bad_checksum(&other.secret)}, {"type": "x", "token": "glpat-abc"}]);
    assert_eq!(post(junk.to_string()).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert!(works(&app.api(&other)).await);
    // Rate limited: 60 requests a minute from one address, then 429 with Retry-After, nothing revoked.
    let mut limited = None;
    for _ in 0..70 {
        let response = post(json!([{"type": "x", "token": made_up()}]).to_string()).await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let limited = limited.expect("limited within 70 requests");
    assert!(limited.headers().contains_key("retry-after"));
    let refused = post(json!([{"type": "x", "token": other.secret}]).to_string()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(works(&app.api(&other)).await);
    // Guesses of the pre-shared token are counted before it is checked: no unlimited guessing.
    let guess = client().post(&revoke_url).header("Authorization", "Bearer guess").json(&body).send().await.unwrap();
    assert_eq!(guess.status(), StatusCode::TOO_MANY_REQUESTS);
    let guess = client().get(&types_url).header("Authorization", "Bearer guess").send().await.unwrap();
    assert_eq!(guess.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn revoke_by_possession_answers_alike_and_is_limited(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let owner = app.setup_owner().await;
    let real = owner.token("real").await;
    let family = owner.token("family").await;
    let kept = owner.token("kept").await;
    let rotated = owner.rotate_token(&family.id.to_string(), "24h").await.unwrap();
    let (real_api, kept_api) = (app.api(&real), app.api(&kept));
    let successor = app.api(&rotated.successor);
    assert!(works(&successor).await);

    // The intakes that need configuring are off.
    for (method, path) in [
        (Method::POST, "/api/v1/leaks/github"),
        (Method::GET, "/api/v1/leaks/gitlab/v1/revocable_token_types"),
        (Method::POST, "/api/v1/leaks/gitlab/v1/revoke_tokens"),
    ] {
        let response = client().request(method, app.at(path)).body("[]").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // While GitHub's intake is off, its path takes no more than any other (64 KiB).
    let big = client()
        .post(app.at("/api/v1/leaks/github"))
        .header("github-public-key-signature", "x")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let revoke = async |credentials: Vec<String>| {
        let started = std::time::Instant::now();
        let response =
            client().post(app.at("/api/v1/credentials/revoke")).json(&json!({"credentials": credentials})).send().await;
        let response = response.unwrap();
        let status = response.status();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        let body = response.text().await.unwrap();
        (status, headers, body, started.elapsed())
    };
    let nothing = revoke(vec![made_up(), made_up()]).await;
    assert!(works(&real_api).await);
    // A secret repeated in one request is handled and recorded once.
    let real_one = revoke(vec![real.secret.clone(), made_up(), real.secret.clone()]).await;
    assert_eq!(reports(&app).await, 1, "one report for the repeated secret");
    assert_eq!(nothing.0, StatusCode::ACCEPTED);
    assert_eq!((&real_one.0, &real_one.1, &real_one.2), (&nothing.0, &nothing.1, &nothing.2), "the same answer");
    let floor = std::time::Duration::from_millis(250);
    assert!(nothing.3 >= floor && real_one.3 >= floor, "{:?} {:?}", nothing.3, real_one.3);
    assert!(!works(&real_api).await, "revoked");
    assert!(works(&kept_api).await);

    // An old secret of a rotation family ends the family.
    let old = revoke(vec![family.secret.clone()]).await;
    assert_eq!(old.2, nothing.2);
    assert!(!works(&successor).await, "the successor goes with the reported secret");

    let too_many: Vec<String> = (0..101).map(|_| made_up()).collect();
    assert_eq!(revoke(too_many).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let raw = async |body: &str| {
        client().post(app.at("/api/v1/credentials/revoke")).body(body.to_owned()).send().await.unwrap().status()
    };
    for not_an_object in ["{", "[null, null]", "\"tsr_\"", "{\"credentials\": \"x\"}"] {
        assert_eq!(raw(not_an_object).await, StatusCode::UNPROCESSABLE_ENTITY, "{not_an_object}");
    }
    assert_eq!(raw("null").await, StatusCode::ACCEPTED);
    // Ten requests a minute per address: nine were made, whatever their answer; the tenth passes.
    assert_eq!(revoke(vec![made_up()]).await.0, StatusCode::ACCEPTED);
    let limited = revoke(vec![kept.secret.clone()]).await;
    assert_eq!(limited.0, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.1.iter().any(|(n, _)| n == "retry-after"));
    assert!(works(&kept_api).await, "a limited request changes nothing");
    app.clock.advance_ms(60_000);
    assert_eq!(revoke(vec![kept.secret.clone()]).await.0, StatusCode::ACCEPTED);
    assert!(!works(&kept_api).await);
    assert!(!crate::helpers::captured_logs().contains(&real.secret[4..]));
}

async fn a_token_created_before_the_migration_is_found_by_every_intake(backend: Backend) {
    let key = new_key();
    let keys = KeyServer::start(&[("k", &key)]).await;
    let url = keys.url.clone();
    let app = spawn(backend, |c| {
        c.leaks.github = Some(GithubKeySource::Url(url));
        c.leaks.gitlab_token = Some(GITLAB_TOKEN.to_owned());
    })
    .await;
    let owner = app.setup_owner().await;
    let tokens: Vec<CreatedToken> = vec![owner.token("a").await, owner.token("b").await, owner.token("c").await];
    // The state before migration 0009: no lookup digest.
    sqlx::query("UPDATE api_tokens SET secret_lookup = NULL").execute(app.core.db.pool()).await.unwrap();
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM api_tokens WHERE secret_lookup IS NULL").await, 3);

    assert_eq!(github_labels(&app, "k", &key, &[&tokens[0].secret]).await, ["true_positive"]);
    sqlx::query("UPDATE api_tokens SET secret_lookup = NULL").execute(app.core.db.pool()).await.unwrap();
    let gitlab = client()
        .post(app.at("/api/v1/leaks/gitlab/v1/revoke_tokens"))
        .header("Authorization", GITLAB_TOKEN)
        .json(&json!([{"type": "tessera_api_token", "token": tokens[1].secret}]))
        .send()
        .await
        .unwrap();
    assert_eq!(gitlab.status(), StatusCode::NO_CONTENT);
    sqlx::query("UPDATE api_tokens SET secret_lookup = NULL").execute(app.core.db.pool()).await.unwrap();
    let possession = client()
        .post(app.at("/api/v1/credentials/revoke"))
        .json(&json!({"credentials": [tokens[2].secret]}))
        .send()
        .await
        .unwrap();
    assert_eq!(possession.status(), StatusCode::ACCEPTED);
    for token in &tokens {
        assert!(!works(&app.api(token)).await, "{}", token.id);
    }
    assert_eq!(exposed_events(&app).await, 3);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM api_tokens WHERE secret_lookup IS NULL").await, 0);

    // And a restart fills them too, before serving.
    let fresh = owner.token("d").await;
    sqlx::query("UPDATE api_tokens SET secret_lookup = NULL").execute(app.core.db.pool()).await.unwrap();
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |_| {}).await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM api_tokens WHERE secret_lookup IS NULL").await, 0);
    let lookups: i64 = scalar(&app, "SELECT COUNT(DISTINCT secret_lookup) FROM api_tokens").await;
    assert_eq!(lookups, 4);
    assert!(works(&app.api(&fresh)).await);
}

async fn members_and_the_cli_report_tokens_as_leaked(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let owner = app.setup_owner().await;
    let member = app.member("member@example.com", "member").await;
    let owners = owner.token("owner's").await;
    let members = member.token("member's").await;
    let other_members = member.token("member's other").await;
    let (owner_api, member_api) = (app.api(&owners), app.api(&members));

    // A member can't report (so revoke) the owner's token; an unknown id is 404.
    let refused = member_api.post_json::<Value>(&format!("/api/v1/tokens/{}/leaked", owners.id), json!({})).await;
    assert_eq!(refused.unwrap_err().status, StatusCode::FORBIDDEN);
    let missing =
        member_api.post_json::<Value>(&format!("/api/v1/tokens/{}/leaked", uuid::Uuid::new_v4()), json!({})).await;
    assert_eq!(missing.unwrap_err().status, StatusCode::NOT_FOUND);
    assert!(works(&owner_api).await);

    // An admin or owner can report anyone's, with where it was found.
    let reported: Value = owner_api
        .post_json(
            &format!("/api/v1/tokens/{}/leaked", other_members.id),
            json!({"url": "https://pastebin.example/x", "source": "paste"}),
        )
        .await
        .unwrap();
    assert_eq!(reported["revoked"], true);
    assert!(!works(&app.api(&other_members)).await);
    let again: Value =
        owner_api.post_json(&format!("/api/v1/tokens/{}/leaked", other_members.id), json!({})).await.unwrap();
    assert_eq!(again["revoked"], false, "recorded, not revoked twice");
    assert_eq!(exposed_events(&app).await, 1);
    assert_eq!(reports(&app).await, 2);

    // Exposed tokens stay listed under Revoked, with where they were found; the API shows the same.
    let page = owner.tokens_page().await.unwrap();
    let listed = page.revoked.items.iter().find(|l| l.token.id == other_members.id).unwrap();
    assert_eq!(listed.token.revoked_reason, Some(tessera_core::domain::token::RevokeReason::Exposed));
    assert_eq!(listed.token.exposed_via, Some(tessera_core::domain::token::LeakIntake::Api));
    assert_eq!(listed.token.exposed_url.as_deref(), Some("https://pastebin.example/x"));
    assert_eq!(listed.token.exposed_source.as_deref(), Some("paste"));
    assert!(listed.token.exposed_at.is_some());
    let read: Value = owner_api.get(&format!("/api/v1/tokens/{}", other_members.id)).await.unwrap();
    assert_eq!(read["revoked_reason"], "exposed");
    assert_eq!(read["exposure"]["intake"], "api");
    assert_eq!(read["exposure"]["url"], "https://pastebin.example/x");
    assert_eq!(read["exposure"]["source"], "paste");

    // The dashboard's server function: the member reports their own token; not the owner's.
    let third = member.token("member's third").await;
    let refused = member.call::<app::tokens::ReportLeaked>(&[("id", &owners.id.to_string())]).await;
    assert_eq!(refused.unwrap_err().status, StatusCode::FORBIDDEN);
    let revoked = member
        .call::<app::tokens::ReportLeaked>(&[
            ("id", &third.id.to_string()),
            ("url", "https://chat.example/m/1"),
            ("source", ""),
        ])
        .await
        .unwrap();
    assert!(revoked);
    assert!(!works(&app.api(&third)).await);
    let read: Value = owner_api.get(&format!("/api/v1/tokens/{}", third.id)).await.unwrap();
    assert_eq!(read["exposure"]["intake"], "dashboard");
    assert_eq!(read["exposure"]["source"], Value::Null);
    assert!(works(&owner_api).await);

    // The CLI: a token reports itself.
    let out = tessera_cli(
        &app.db,
        &["api", "--url", &app.url, "leaked", "--url", "https://ci.example/log/1", "--source", "ci log"],
        "",
        &[("TESSERA_TOKEN_ID", &members.id.to_string()), ("TESSERA_TOKEN_SECRET", &members.secret)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
    assert!(!works(&member_api).await);
    let url: String = sqlx::query_scalar("SELECT url FROM token_leak_reports WHERE token_id = $1 AND intake = 'api'")
        .bind(members.id.to_string())
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(url, "https://ci.example/log/1");

    // The operator: `tessera tokens leaked`.
    let last = owner.token("operator's pick").await;
    let key = std::fs::read_to_string(app.db.data_dir.path().join("secret.key")).unwrap();
    let out = tessera_cli(
        &app.db,
        &["tokens", "leaked", "--org", "Acme", "--id", &last.id.to_string(), "--url", "https://x.example/y"],
        "",
        &[("TESSERA_SECRET_KEY", key.trim())],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The command line runs on the real clock, long after the tests' manual one: the token is expired
    // there, so the report is recorded without revoking (an expired token keeps its state).
    assert!(String::from_utf8_lossy(&out.stdout).contains("the report is recorded"));
    let read: Value = owner_api.get(&format!("/api/v1/tokens/{}", last.id)).await.unwrap();
    assert_eq!(read["exposure"]["intake"], "cli");
    assert_eq!(read["exposure"]["url"], "https://x.example/y");
}

async fn an_exposure_is_told_by_email_and_webhook_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let receiver = Receiver::start().await;
    let app = spawn(backend, |c| notifying(c, Some(&sink), 1_000)).await;
    let owner = app.setup_owner().await;
    let added = owner.add_webhook(&receiver.url(), "token.exposed").await.unwrap();
    receiver.configure(&added.secret, 0).await;
    app.member("admin@example.com", "admin").await;
    let creator = app.member("creator@example.com", "member").await;
    let token = creator.token("deploy").await;
    let reporter = app.api(&owner.token("reporter").await);

    let response = client()
        .post(app.at("/api/v1/credentials/revoke"))
        .json(&json!({"credentials": [token.secret]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let alert = "Security alert: an API token of Acme leaked and was revoked";
    for to in ["creator@example.com", "admin@example.com", crate::helpers::OWNER] {
        assert!(eventually(|| sink.to(to).iter().any(|e| e.subject == alert)).await, "{to}: {:?}", sink.emails());
    }
    assert!(eventually(|| receiver.accepted().len() == 1).await, "{:?}", receiver.deliveries());
    let delivery = &receiver.accepted()[0];
    assert!(delivery.verified);
    assert_eq!(delivery.event_type.as_deref(), Some("token.exposed"));
    assert_eq!(delivery.subject_id.as_deref(), Some(token.id.to_string().as_str()));
    let email = sink.to("creator@example.com").into_iter().find(|e| e.subject == alert).unwrap();
    assert!(email.body.contains("someone holding the secret"), "{}", email.body);
    assert!(!email.body.contains(&token.secret[4..]));

    // An expired token: the report is recorded, nobody is told, the token stays as it was.
    let expiring = creator.create_token("short", "1").await.unwrap();
    app.clock.advance_ms(2 * tessera_core::time::DAY_MS);
    let expired = client()
        .post(app.at("/api/v1/credentials/revoke"))
        .json(&json!({"credentials": [expiring.secret]}))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::ACCEPTED);
    assert_eq!(reports(&app).await, 2);
    assert_eq!(exposed_events(&app).await, 1);
    let state: Option<String> = sqlx::query_scalar("SELECT revoked_reason FROM api_tokens WHERE id = $1")
        .bind(expiring.id.to_string())
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(state, None, "an expired token keeps its state");

    // Reported again the same way, three times: one report is kept, nobody is told twice.
    for _ in 0..3 {
        let again = client()
            .post(app.at("/api/v1/credentials/revoke"))
            .json(&json!({"credentials": [token.secret]}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::ACCEPTED);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.to("creator@example.com").iter().filter(|e| e.subject == alert).count(), 1);
    assert_eq!(receiver.deliveries().len(), 1);
    assert_eq!(reports(&app).await, 2, "the repeated report adds no row");
    // Reported by another intake, from another place: recorded, still nobody told twice.
    let reported: Value = reporter
        .post_json(&format!("/api/v1/tokens/{}/leaked", token.id), json!({"url": "https://paste.example/x"}))
        .await
        .unwrap();
    assert_eq!(reported["revoked"], false);
    assert_eq!(reports(&app).await, 3);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.to("creator@example.com").iter().filter(|e| e.subject == alert).count(), 1);
}

async fn a_report_on_one_instance_revokes_on_every_instance(_: Backend) {
    for cache in [TokenCacheSetting::Auto, TokenCacheSetting::On] {
        let db = TestDatabase::create(Backend::Postgres).await.expect("PostgreSQL");
        let a = TestApp::spawn_on(db, |c| c.token_cache = cache).await;
        let key = std::fs::read_to_string(a.db.data_dir.path().join("secret.key")).unwrap();
        let b = TestApp::spawn_on(a.db.shared_view(), |c| {
            c.secret_key = Some(key.trim().to_owned());
            c.token_cache = cache;
        })
        .await;
        let owner = a.setup_owner().await;
        let token = owner.token("shared").await;
        let on_a = a.api(&token);
        let on_b = Api { url: b.url.clone(), ..on_a.clone() };
        assert!(works(&on_a).await && works(&on_b).await);
        let response = client()
            .post(a.at("/api/v1/credentials/revoke"))
            .json(&json!({"credentials": [token.secret]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert!(!works(&on_a).await);
        match cache {
            // Strict (PostgreSQL's default): the very next request on the other instance is refused.
            TokenCacheSetting::Auto => assert!(!works(&on_b).await),
            // Caching: the other instance drops its copy when the commit's notification arrives.
            _ => assert!(crate::helpers::soon(async || !works(&on_b).await).await),
        }
    }
}
