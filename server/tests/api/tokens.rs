//! API tokens through the dashboard's server functions: create, list, delete, the rules around them, and
//! where the secret may (not) end up.

use crate::helpers::{Backend, TestApp, TestDatabase, captured_logs};
use app::routes::TOKENS_URL;
use leptos::server_fn::ServerFn;
use reqwest::{StatusCode, header};
use tessera::startup::{Application, ServerConfig};
use tessera_core::{clock::Clock, time::DAY_MS};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    create_list_delete,
    expiration_boundaries,
    bad_names_are_explained_and_store_nothing,
    markup_in_a_name_is_shown_as_text,
    secrets_are_stored_nowhere,
    who_may_delete_what,
    another_organization_sees_nothing,
    the_list_pages_newest_first,
    expired_tokens_leave_the_active_list,
    the_token_page_works_without_javascript,
);

fn lifetime(token: &app::tokens::CreatedToken) -> i64 {
    token.expires_at.millis() - token.created_at.millis()
}

async fn create_list_delete(app: TestApp) {
    let owner = app.setup_owner().await;
    let response =
        owner.post::<app::tokens::CreateToken>(&[("name", "  CI/CD Pipeline "), ("expires_in_days", "7")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let token: app::tokens::CreatedToken = response.json().await.unwrap();
    assert!(token.secret.starts_with("tsr_") && token.secret.len() == 53, "{}", token.secret);
    assert_eq!(token.name.as_deref(), Some("CI/CD Pipeline"));
    assert_eq!(token.id.0.get_version_num(), 4);
    assert!(!format!("{token:?}").contains(&token.secret[4..]), "Debug shows no secret");

    let listed = owner.list_tokens(None).await.unwrap();
    let raw = serde_json::to_string(&listed).unwrap();
    assert!(!raw.contains(&token.secret) && !raw.contains("secret") && !raw.contains("hash"), "{raw}");
    let row = &listed.items[0];
    assert_eq!(row.token.id, token.id);
    assert_eq!(row.token.name.as_deref(), Some("CI/CD Pipeline"));
    assert_eq!(row.token.creator_email, crate::helpers::OWNER);
    assert_eq!(row.token.last_used_at, None);
    assert_eq!(row.token.expires_at.millis() - row.token.created_at.millis(), 7 * DAY_MS);

    owner.delete_token(&token.id.to_string()).await.unwrap();
    assert!(owner.list_tokens(None).await.unwrap().items.is_empty());
    let again = owner.delete_token(&token.id.to_string()).await.unwrap_err();
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.message(), "That API token was not found.");
    // It is kept as revoked, with why.
    let revoked = owner.tokens_page().await.unwrap().revoked;
    assert_eq!(revoked.items[0].token.revoked_reason, Some(tessera_core::domain::token::RevokeReason::Deleted));
}

async fn expiration_boundaries(app: TestApp) {
    let owner = app.setup_owner().await;
    for (days, expected) in [("1", 1), ("365", 365), ("", 30), (" 60 ", 60)] {
        let token = owner.create_token("t", days).await.unwrap();
        assert_eq!(lifetime(&token), expected * DAY_MS, "{days:?}");
    }
    // Absent altogether: 30 days (the organization's default).
    let token: app::tokens::CreatedToken = owner.call::<app::tokens::CreateToken>(&[]).await.unwrap();
    assert_eq!(lifetime(&token), 30 * DAY_MS);
    // Custom days come from their own field.
    let custom: app::tokens::CreatedToken =
        owner.call::<app::tokens::CreateToken>(&[("expires_in_days", "custom"), ("custom_days", "45")]).await.unwrap();
    assert_eq!(lifetime(&custom), 45 * DAY_MS);

    let before = app.count("api_tokens").await;
    for (days, message) in [
        ("0", "between 1 and 365 days; 0 is out of range"),
        ("366", "between 1 and 365 days; 366 is out of range"),
        ("-1", "between 1 and 365 days; -1 is out of range"),
        ("abc", "whole number of days between 1 and 365, not \u{201c}abc\u{201d}"),
        ("7.5", "whole number of days"),
    ] {
        let failure = owner.create_token("t", days).await.unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY, "{days}");
        assert_eq!(failure.field(), Some("expires_in_days"));
        assert!(failure.message().contains(message), "{days}: {failure:?}");
    }
    assert_eq!(app.count("api_tokens").await, before);
}

async fn bad_names_are_explained_and_store_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let failure = owner.create_token(&"x".repeat(10_000), "30").await.unwrap_err();
    assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(failure.field(), Some("name"));
    assert_eq!(failure.message(), "A token name has at most 100 characters; this one has 10000. Shorten it.");
    for (name, message) in [
        ("line\nbreak", "control characters"),
        ("evil\u{202E}gpj.exe", "invisible formatting"),
        ("a\u{200B}b", "invisible formatting"),
    ] {
        let failure = owner.create_token(name, "30").await.unwrap_err();
        assert!(failure.message().contains(message), "{name:?}: {failure:?}");
    }
    assert_eq!(app.count("api_tokens").await, 0);
    // 100 characters is fine, and an empty name means "no name".
    assert_eq!(owner.token(&"y".repeat(100)).await.name, Some("y".repeat(100)));
    assert_eq!(owner.token("   ").await.name, None);
}

async fn markup_in_a_name_is_shown_as_text(app: TestApp) {
    let owner = app.setup_owner().await;
    let name = "<script>alert(1)</script>";
    assert_eq!(owner.token(name).await.name.as_deref(), Some(name));
    let html = owner.get(TOKENS_URL).await.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the name is not escaped");
    assert!(!html.contains(name));
}

async fn secrets_are_stored_nowhere(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut secrets = Vec::new();
    for i in 0..20 {
        secrets.push(owner.token(&format!("token {i}")).await.secret);
    }
    // The body (without the well-known prefix) is what must not appear anywhere.
    let bodies: Vec<&str> = secrets.iter().map(|s| &s[4..]).collect();
    app.server.log.flush();
    let mut haystacks: Vec<(String, Vec<u8>)> = vec![("logs".into(), captured_logs().into_bytes())];
    match app.db.backend {
        Backend::Sqlite => {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(app.core.db.pool()).await.unwrap();
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{}{suffix}", app.db.sqlite_path().display());
                if let Ok(bytes) = std::fs::read(&path) {
                    haystacks.push((path, bytes));
                }
            }
            assert!(haystacks.len() >= 2, "the database file was not found");
        }
        Backend::Postgres => {
            for table in ["api_tokens", "audit_events"] {
                let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
                    .fetch_all(app.core.db.pool())
                    .await
                    .unwrap();
                assert!(rows.len() >= 20, "{table}");
                haystacks.push((table.into(), rows.join("\n").into_bytes()));
            }
        }
    }
    for (name, bytes) in &haystacks {
        for body in &bodies {
            assert!(!contains(bytes, body.as_bytes()), "a token secret is in {name}");
        }
    }
    // What is stored is the HMAC under the server key, not a plain digest of the secret.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT secret_hash FROM api_tokens").fetch_all(app.core.db.pool()).await.unwrap();
    let plain_digests: Vec<String> = secrets.iter().map(|s| tessera_core::crypto::sha256_hex(s.as_bytes())).collect();
    assert_eq!(stored.len(), 20);
    assert!(stored.iter().all(|h| h.len() == 64 && !plain_digests.contains(h)));
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn who_may_delete_what(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let member = app.member("member@example.com", "member").await;
    let other_member = app.member("other@example.com", "member").await;
    let viewer = app.member("viewer@example.com", "viewer").await;

    // Everyone can create, viewers included.
    let viewers = viewer.token("viewer's").await.id.to_string();
    let members_token = member.token("member's").await.id.to_string();
    let owners = owner.token("owner's").await.id.to_string();

    // A member can't delete another member's token, and the list says so.
    let refused = other_member.delete_token(&members_token).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.message(), "Only admins and owners can delete other people's API tokens.");
    assert!(other_member.list_tokens(None).await.unwrap().items.iter().all(|t| !t.can_delete));
    // A viewer can't delete others' tokens, but may delete their own (it only takes access away).
    assert_eq!(viewer.delete_token(&members_token).await.unwrap_err().status, StatusCode::FORBIDDEN);
    let viewers_second = viewer.token("viewer's second").await.id.to_string();
    viewer.delete_token(&viewers_second).await.unwrap();
    // A member deletes their own; an admin deletes anyone's, the owner's included.
    member.delete_token(&members_token).await.unwrap();
    admin.delete_token(&viewers).await.unwrap();
    admin.delete_token(&owners).await.unwrap();
    assert_eq!(app.count("api_tokens").await, 4, "deleted tokens are kept, marked revoked");
    assert!(owner.list_tokens(None).await.unwrap().items.is_empty());
}

async fn another_organization_sees_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let id = owner.token("acme's").await.id.to_string();
    let outsider = app.person("outsider@example.com").await;
    app.org_owned_by("Umbrella", "outsider@example.com").await;

    assert!(outsider.list_tokens(None).await.unwrap().items.is_empty());
    // Not found, not forbidden: the token's existence is not revealed.
    let theirs = outsider.delete_token(&id).await.unwrap_err();
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let unknown = outsider.delete_token(&uuid::Uuid::new_v4().to_string()).await.unwrap_err();
    assert_eq!(theirs, unknown);
    let rotated = outsider.rotate_token(&id, "24h").await.unwrap_err();
    assert_eq!(rotated.status, StatusCode::NOT_FOUND);
    assert_eq!(
        owner.list_tokens(None).await.unwrap().items.iter().map(|t| t.token.id.to_string()).collect::<Vec<_>>(),
        [id]
    );
}

async fn the_list_pages_newest_first(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut made = Vec::new();
    for i in 0..60 {
        // Some share a creation instant; the id breaks the tie.
        if i % 3 == 0 {
            app.clock.advance_ms(1_000);
        }
        made.push(owner.token(&format!("token {i}")).await.id);
    }
    let first = owner.list_tokens(None).await.unwrap();
    let second = owner.list_tokens(first.next.as_deref()).await.unwrap();
    let third = owner.list_tokens(second.next.as_deref()).await.unwrap();
    assert_eq!((first.items.len(), second.items.len(), third.items.len()), (25, 25, 10));
    assert_eq!(third.next, None);
    let all: Vec<_> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p.items.iter().map(|t| (t.token.id, t.token.created_at)))
        .collect();
    let mut unique: Vec<_> = all.iter().map(|(id, _)| *id).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 60, "a token appeared twice or went missing");
    assert!(all.windows(2).all(|w| w[0].1 >= w[1].1), "newest first");
    // The first row is from the latest instant (three tokens share it; the id orders ties).
    assert!(made[57..].contains(&all[0].0), "the newest tokens are not first");

    let failure = owner.list_tokens(Some("garbage")).await.unwrap_err();
    assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(failure.message().contains("page link is not valid"));
}

async fn expired_tokens_leave_the_active_list(app: TestApp) {
    let owner = app.setup_owner().await;
    let short = owner.create_token("short", "1").await.unwrap().id;
    let long = owner.create_token("long", "30").await.unwrap().id;
    app.clock.advance_ms(DAY_MS - 1);
    assert_eq!(owner.list_tokens(None).await.unwrap().items.len(), 2);
    app.clock.advance_ms(1);
    let active = owner.list_tokens(None).await.unwrap();
    assert_eq!(active.items.iter().map(|t| t.token.id).collect::<Vec<_>>(), [long]);
    let expired = owner.tokens_page().await.unwrap().expired;
    assert_eq!(expired.items.iter().map(|t| t.token.id).collect::<Vec<_>>(), [short]);
    // Expired tokens can be cleaned up.
    owner.delete_token(&short.to_string()).await.unwrap();
}

/// Without JavaScript: the form opens through the URL, the post answers 303 back to the page, which
/// shows the secret once (never cached), deletion asks on its own page.
async fn the_token_page_works_without_javascript(app: TestApp) {
    let owner = app.setup_owner().await;
    let form = owner.get("/app/settings/api?new=1").await.text().await.unwrap();
    assert!(form.contains("data-testid=\"create-token-form\""));
    assert!(form.contains("action=\"/rpc/tokens/create\""), "the form posts to its server function");
    let created = owner
        .submit(
            "/app/settings/api?new=1",
            app::tokens::CreateToken::PATH,
            &[("name", "No JS"), ("expires_in_days", "7")],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(created.headers()[header::LOCATION], TOKENS_URL);
    let page = owner.follow(&created).await;
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    let secret_at = html.find("tsr_").expect("the secret is in the page");
    let secret = &html[secret_at..secret_at + 53];
    assert!(secret[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{secret}");
    // The reload shows it nowhere.
    assert!(!owner.get(TOKENS_URL).await.text().await.unwrap().contains(secret));
    let id = owner.list_tokens(None).await.unwrap().items[0].token.id.to_string();
    let dialog = owner.get(&format!("/app/settings/api?delete={id}")).await.text().await.unwrap();
    assert!(dialog.contains("<dialog") && dialog.contains(" open"), "the dialog is open in the page");
    let deleted =
        owner.submit(&format!("/app/settings/api?delete={id}"), app::tokens::DeleteToken::PATH, &[("id", &id)]).await;
    assert_eq!(deleted.headers()[header::LOCATION], TOKENS_URL);
    assert!(owner.follow(&deleted).await.text().await.unwrap().contains("The token was deleted"));
    assert!(owner.list_tokens(None).await.unwrap().items.is_empty());
    // Errors come back in the page too.
    let refused = owner.submit(TOKENS_URL, app::tokens::CreateToken::PATH, &[("expires_in_days", "400")]).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert!(owner.follow(&refused).await.text().await.unwrap().contains("between 1 and 365 days"));
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
    let other = tessera_core::crypto::ServerKey::generate().to_hex().to_string();
    let error = start(&db, Some(other)).await.err().expect("started with another key").to_string();
    assert!(error.contains("not the key this database was set up with"), "{error}");
    let error = start(&db, Some("not hex".into())).await.err().expect("started with a malformed key").to_string();
    assert!(error.contains("64 hexadecimal characters"), "{error}");
    // The right key, from the environment or from the restored file.
    assert!(start(&db, Some(saved.trim().to_owned())).await.is_ok());
    std::fs::write(&key_file, &saved).unwrap();
    assert!(start(&db, None).await.is_ok());
}
