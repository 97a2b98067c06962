//! API tokens through the dashboard's server functions: create, list, delete, the rules around them, and
//! where the secret may (not) end up.

use crate::helpers::{Backend, Person, TestApp, TestDatabase, captured_logs, error_of, rpc_with};
use app::{platform::clock::Clock, time::DAY_MS};
use reqwest::{StatusCode, header};
use serde_json::Value;
use tessera::startup::{Application, ServerConfig};

on_both_backends!(
    create_list_delete,
    expiration_boundaries,
    bad_names_are_explained_and_store_nothing,
    markup_in_a_name_is_shown_as_text,
    secrets_are_stored_nowhere,
    who_may_delete_what,
    another_organization_sees_nothing,
    the_list_pages_newest_first,
    expired_tokens_leave_the_active_list,
);

async fn create(person: &Person, app: &TestApp, name: &str, days: &str) -> reqwest::Response {
    rpc_with(&person.client, &app.at("/rpc/tokens/create"), &[("name", name), ("expires_in_days", days)]).await
}

async fn created(person: &Person, app: &TestApp, name: &str) -> Value {
    let response = create(person, app, name, "30").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn list(person: &Person, app: &TestApp, after: Option<&str>) -> Value {
    let form: Vec<(&str, &str)> = after.map(|a| vec![("after", a)]).unwrap_or_default();
    let response = rpc_with(&person.client, &app.at("/rpc/tokens/list"), &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["tokens"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

async fn delete(person: &Person, app: &TestApp, id: &str) -> reqwest::Response {
    rpc_with(&person.client, &app.at("/rpc/tokens/delete"), &[("id", id)]).await
}

async fn create_list_delete(app: TestApp) {
    let owner = app.setup_owner().await;
    let response = create(&owner, &app, "  CI/CD Pipeline ", "7").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let token: Value = response.json().await.unwrap();
    let secret = token["secret"].as_str().unwrap();
    assert!(secret.starts_with("tsr_") && secret.len() == 53, "{secret}");
    assert_eq!(token["name"], "CI/CD Pipeline");
    let id = token["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);

    let listed = list(&owner, &app, None).await;
    let raw = listed.to_string();
    assert!(!raw.contains(secret) && !raw.contains("secret") && !raw.contains("hash"), "{raw}");
    let row = &listed["tokens"][0];
    assert_eq!(row["id"], id);
    assert_eq!(row["name"], "CI/CD Pipeline");
    assert_eq!(row["created_by"], crate::helpers::OWNER);
    assert_eq!(row["last_used_at"], Value::Null);
    assert_eq!(row["expires_at"].as_i64().unwrap() - row["created_at"].as_i64().unwrap(), 7 * DAY_MS);

    assert_eq!(delete(&owner, &app, id).await.status(), StatusCode::OK);
    assert!(ids(&list(&owner, &app, None).await).is_empty());
    let (status, body) = error_of(delete(&owner, &app, id).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "That API token was not found.");
}

async fn expiration_boundaries(app: TestApp) {
    let owner = app.setup_owner().await;
    for (days, expected) in [("1", 1), ("365", 365), ("", 30), (" 60 ", 60)] {
        let token: Value = create(&owner, &app, "t", days).await.json().await.unwrap();
        let lifetime = token["expires_at"].as_i64().unwrap() - token["created_at"].as_i64().unwrap();
        assert_eq!(lifetime, expected * DAY_MS, "{days:?}");
    }
    // Absent altogether: 30 days.
    let token: Value = rpc_with(&owner.client, &app.at("/rpc/tokens/create"), &[]).await.json().await.unwrap();
    assert_eq!(token["expires_at"].as_i64().unwrap() - token["created_at"].as_i64().unwrap(), 30 * DAY_MS);
    // Custom days come from their own field.
    let custom =
        rpc_with(&owner.client, &app.at("/rpc/tokens/create"), &[("expires_in_days", "custom"), ("custom_days", "45")]);
    let token: Value = custom.await.json().await.unwrap();
    assert_eq!(token["expires_at"].as_i64().unwrap() - token["created_at"].as_i64().unwrap(), 45 * DAY_MS);

    let before = app.count("api_tokens").await;
    for (days, message) in [
        ("0", "between 1 and 365 days; 0 is out of range"),
        ("366", "between 1 and 365 days; 366 is out of range"),
        ("-1", "between 1 and 365 days; -1 is out of range"),
        ("abc", "whole number of days between 1 and 365, not \u{201c}abc\u{201d}"),
        ("7.5", "whole number of days"),
    ] {
        let (status, body) = error_of(create(&owner, &app, "t", days).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{days}");
        assert_eq!(body["field"], "expires_in_days");
        assert!(body["message"].as_str().unwrap().contains(message), "{days}: {body}");
    }
    assert_eq!(app.count("api_tokens").await, before);
}

async fn bad_names_are_explained_and_store_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let long = "x".repeat(10_000);
    let (status, body) = error_of(create(&owner, &app, &long, "30").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "name");
    assert_eq!(body["message"], "A token name has at most 100 characters; this one has 10000. Shorten it.");
    let (status, body) = error_of(create(&owner, &app, "line\nbreak", "30").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("control characters"));
    assert_eq!(app.count("api_tokens").await, 0);
    // 100 characters is fine, and an empty name means "no name".
    assert_eq!(created(&owner, &app, &"y".repeat(100)).await["name"], "y".repeat(100));
    assert_eq!(created(&owner, &app, "   ").await["name"], Value::Null);
}

async fn markup_in_a_name_is_shown_as_text(app: TestApp) {
    let owner = app.setup_owner().await;
    let name = "<script>alert(1)</script>";
    assert_eq!(created(&owner, &app, name).await["name"], name);
    let html = owner.client.get(app.at("/app/settings/api")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the name is not escaped");
    assert!(!html.contains(name));
}

async fn secrets_are_stored_nowhere(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut secrets = Vec::new();
    for i in 0..20 {
        secrets.push(created(&owner, &app, &format!("token {i}")).await["secret"].as_str().unwrap().to_owned());
    }
    // The body (without the well-known prefix) is what must not appear anywhere.
    let bodies: Vec<&str> = secrets.iter().map(|s| &s[4..]).collect();
    let mut haystacks: Vec<(String, Vec<u8>)> = vec![("logs".into(), captured_logs().into_bytes())];
    match app.db.backend {
        Backend::Sqlite => {
            // Make sure everything written so far is on disk, in the database file or its WAL.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(app.state.db.pool()).await.unwrap();
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{}{suffix}", app.db.sqlite_path().display());
                if let Ok(bytes) = std::fs::read(&path) {
                    haystacks.push((path, bytes));
                }
            }
            assert!(haystacks.len() >= 2, "the database file was not found");
        }
        Backend::Postgres => {
            // Every column of every row, as text.
            let rows: Vec<String> =
                sqlx::query_scalar("SELECT t::text FROM api_tokens t").fetch_all(app.state.db.pool()).await.unwrap();
            assert_eq!(rows.len(), 20);
            haystacks.push(("api_tokens rows".into(), rows.join("\n").into_bytes()));
        }
    }
    for (name, bytes) in &haystacks {
        for body in &bodies {
            assert!(!contains(bytes, body.as_bytes()), "a token secret is in {name}");
        }
    }
    // The hash that is stored is the HMAC under the server key, not a plain digest of the secret.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT secret_hash FROM api_tokens").fetch_all(app.state.db.pool()).await.unwrap();
    let plain_digests: Vec<String> = secrets.iter().map(|s| app::platform::crypto::sha256_hex(s.as_bytes())).collect();
    assert_eq!(stored.len(), 20);
    assert!(stored.iter().all(|h| h.len() == 64 && !plain_digests.contains(h)));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn who_may_delete_what(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let member = app.member("member@example.com", "member").await;
    let other_member = app.member("other@example.com", "member").await;
    let viewer = app.member("viewer@example.com", "viewer").await;

    // Everyone can create, viewers included.
    let viewers = created(&viewer, &app, "viewer's").await;
    let members = created(&member, &app, "member's").await;
    let owners = created(&owner, &app, "owner's").await;
    let id = |t: &Value| t["id"].as_str().unwrap().to_owned();

    // A member can't delete another member's token, and the list says so.
    let (status, body) = error_of(delete(&other_member, &app, &id(&members)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["message"], "Only admins and owners can delete other people's API tokens.");
    let seen = list(&other_member, &app, None).await;
    assert!(seen["tokens"].as_array().unwrap().iter().all(|t| t["can_delete"] == false));
    // A viewer can't delete, not even their own.
    let (status, _) = error_of(delete(&viewer, &app, &id(&viewers)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A member deletes their own; an admin deletes anyone's, the owner's included.
    assert_eq!(delete(&member, &app, &id(&members)).await.status(), StatusCode::OK);
    assert_eq!(delete(&admin, &app, &id(&viewers)).await.status(), StatusCode::OK);
    assert_eq!(delete(&admin, &app, &id(&owners)).await.status(), StatusCode::OK);
    assert_eq!(app.count("api_tokens").await, 3, "deleted tokens are kept, marked deleted");
    assert!(ids(&list(&owner, &app, None).await).is_empty());
}

async fn another_organization_sees_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = created(&owner, &app, "acme's").await;
    let id = token["id"].as_str().unwrap();
    // Someone who owns another organization.
    let outsider = app.person("outsider@example.com").await;
    let email = app::auth::domain::Email::parse("outsider@example.com").unwrap();
    let user = app::auth::service::find_user(&app.state, &email).await.unwrap();
    let name = app::orgs::domain::OrgName::parse("Umbrella").unwrap();
    app::auth::service::create_org_for(&app.state, &name, user).await.unwrap();

    assert!(ids(&list(&outsider, &app, None).await).is_empty());
    // Not found, not forbidden: the token's existence is not revealed.
    let (status, body) = error_of(delete(&outsider, &app, id).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (unknown_status, unknown_body) =
        error_of(delete(&outsider, &app, &uuid::Uuid::new_v4().to_string()).await).await;
    assert_eq!((status, body), (unknown_status, unknown_body));
    assert_eq!(ids(&list(&owner, &app, None).await), [id]);
}

async fn the_list_pages_newest_first(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut made = Vec::new();
    for i in 0..60 {
        // Some share a creation instant; the id breaks the tie.
        if i % 3 == 0 {
            app.clock.advance_ms(1_000);
        }
        made.push(created(&owner, &app, &format!("token {i}")).await["id"].as_str().unwrap().to_owned());
    }
    let first = list(&owner, &app, None).await;
    let second = list(&owner, &app, first["next"].as_str()).await;
    let third = list(&owner, &app, second["next"].as_str()).await;
    assert_eq!(ids(&first).len(), 25);
    assert_eq!(ids(&second).len(), 25);
    assert_eq!(ids(&third).len(), 10);
    assert_eq!(third["next"], Value::Null);
    let all: Vec<String> = [ids(&first), ids(&second), ids(&third)].concat();
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 60, "a token appeared twice or went missing");
    // Newest first: created_at never increases down the list.
    let times: Vec<i64> = [&first, &second, &third]
        .iter()
        .flat_map(|l| l["tokens"].as_array().unwrap().iter().map(|t| t["created_at"].as_i64().unwrap()))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    // The first row is from the latest instant (three tokens share it; the id orders ties).
    assert!(made[57..].contains(&all[0]), "the newest tokens are not first");

    let (status, body) =
        error_of(rpc_with(&owner.client, &app.at("/rpc/tokens/list"), &[("after", "garbage")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("page link is not valid"));
}

async fn expired_tokens_leave_the_active_list(app: TestApp) {
    let owner = app.setup_owner().await;
    let short = created_days(&owner, &app, "short", "1").await;
    let long = created_days(&owner, &app, "long", "30").await;
    app.clock.advance_ms(DAY_MS - 1);
    assert_eq!(ids(&list(&owner, &app, None).await).len(), 2);
    app.clock.advance_ms(1);
    assert_eq!(ids(&list(&owner, &app, None).await), [long]);
    let expired: Value = rpc_with(&owner.client, &app.at("/rpc/tokens/expired"), &[]).await.json().await.unwrap();
    assert_eq!(ids(&expired), std::slice::from_ref(&short));
    // Expired tokens can be cleaned up.
    assert_eq!(delete(&owner, &app, &short).await.status(), StatusCode::OK);
}

async fn created_days(person: &Person, app: &TestApp, name: &str, days: &str) -> String {
    let token: Value = create(person, app, name, days).await.json().await.unwrap();
    token["id"].as_str().unwrap().to_owned()
}

/// The server key: created once with mode 0600, checked against the database at every start.
#[tokio::test]
async fn the_server_key_must_match_the_database() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let key_file = app.db.data_dir.path().join("secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let db = app.stop().await;
    let start = |db: &TestDatabase, key: Option<String>| {
        let mut config = ServerConfig::local(db.data_dir.path().to_path_buf(), db.url.clone());
        config.secret_key = key;
        Application::build(config, Clock::system())
    };

    // The key file is gone: refuse to start rather than make a new key that invalidates every token.
    let saved = std::fs::read_to_string(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let error = start(&db, None).await.err().expect("started without its key").to_string();
    assert!(error.contains("key file") && error.contains("is missing"), "{error}");
    assert!(!key_file.exists(), "a new key was written");

    // A different key: refuse, and say how to fix it.
    let other = app::platform::crypto::ServerKey::generate().to_hex().to_string();
    let error = start(&db, Some(other)).await.err().expect("started with another key").to_string();
    assert!(error.contains("not the key this database was set up with"), "{error}");
    let error = start(&db, Some("not hex".into())).await.err().expect("started with a malformed key").to_string();
    assert!(error.contains("64 hexadecimal characters"), "{error}");

    // The right key, from the environment or from the restored file.
    assert!(start(&db, Some(saved.trim().to_owned())).await.is_ok());
    std::fs::write(&key_file, &saved).unwrap();
    assert!(start(&db, None).await.is_ok());
}
