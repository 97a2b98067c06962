//! First-run setup, sign-in and sessions, as a browser (or an attacker) would meet them.

use crate::helpers::{OWNER, PASSWORD, TestApp, client, error_of, rpc_with};
use app::time::{HOUR_MS, MINUTE_MS};
use reqwest::{StatusCode, header};

on_both_backends!(
    every_page_leads_to_setup_until_it_is_done,
    setup_happens_once_even_when_two_requests_race,
    bad_setup_input_is_explained_and_stores_nothing,
    sign_in_and_sign_out,
    wrong_password_and_unknown_email_get_the_same_answer,
    a_new_session_id_at_every_sign_in,
    sessions_are_stored_hashed,
    idle_and_absolute_timeouts,
    failed_sign_ins_are_limited_per_client_address,
    failed_sign_ins_are_limited_per_account_but_not_for_its_own_browser,
    sign_in_refuses_oversized_passwords_before_hashing,
);

async fn every_page_leads_to_setup_until_it_is_done(app: TestApp) {
    for path in ["/", "/login", "/app/settings/api", "/app/settings/members"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[header::LOCATION], "/setup", "{path}");
    }
    let setup_page = app.get("/setup").await;
    assert_eq!(setup_page.status(), StatusCode::OK);
    let html = setup_page.text().await.unwrap();
    for label in ["Email", "Password", "Organization name"] {
        assert!(html.contains(&format!(">{label}<")), "setup form lacks {label}");
    }

    app.setup_owner().await;
    let after = client().get(app.at("/setup")).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[header::LOCATION], "/login");
    // The home page is reachable once set up.
    assert_eq!(client().get(app.at("/")).send().await.unwrap().status(), StatusCode::OK);
}

async fn setup_happens_once_even_when_two_requests_race(app: TestApp) {
    let attempts = (0..4).map(|i| {
        let (url, email) = (app.at("/rpc/auth/setup"), format!("first{i}@example.com"));
        async move {
            let browser = client();
            rpc_with(&browser, &url, &[("email", &email), ("password", PASSWORD), ("organization", "Race")])
                .await
                .status()
        }
    });
    let statuses = futures_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("organizations").await, 1);

    let (status, body) = error_of(app.setup("late@example.com", PASSWORD, "Late").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["message"], "Tessera is already set up. Sign in instead.");
}

async fn futures_all<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<T> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn bad_setup_input_is_explained_and_stores_nothing(app: TestApp) {
    let long = "x".repeat(2000);
    let cases: [(&str, &str, &str, &str, &str); 5] = [
        ("not-an-email", PASSWORD, "Acme", "email", "is not an email address"),
        ("ada@example.com", "short", "Acme", "password", "at least 8 characters"),
        ("ada@example.com", &long, "Acme", "password", "at most 1024 bytes"),
        ("ada@example.com", PASSWORD, "   ", "organization", "Enter an organization name"),
        ("", PASSWORD, "Acme", "email", "Enter an email address"),
    ];
    for (email, password, org, field, message) in cases {
        let (status, body) = error_of(app.setup(email, password, org).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email} {org}");
        assert_eq!(body["field"], field, "{body}");
        assert!(body["message"].as_str().unwrap().contains(message), "{body}");
    }
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("sessions").await, 0);
}

async fn sign_in_and_sign_out(app: TestApp) {
    app.setup_owner().await;
    let browser = client();
    let unauthenticated = browser.post(app.at("/rpc/orgs/members")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let nobody = browser.post(app.at("/rpc/auth/session")).send().await.unwrap();
    assert_eq!(nobody.json::<serde_json::Value>().await.unwrap(), serde_json::Value::Null);

    let login = app.login(&browser, OWNER, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = session_cookie(&login);
    let session = browser.post(app.at("/rpc/auth/session")).send().await.unwrap();
    assert_eq!(session.status(), StatusCode::OK);
    let info: serde_json::Value = session.json().await.unwrap();
    assert_eq!(info["email"], OWNER);
    assert_eq!(info["current"]["name"], "Acme");
    assert_eq!(info["current"]["role"], "owner");

    let logout = browser.post(app.at("/rpc/auth/logout")).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(set_cookies(&logout).iter().any(|c| c.starts_with("tessera_session=;") && c.contains("Max-Age=0")));
    // The old id is dead everywhere, even if a copy of the cookie is replayed.
    let replay =
        client().post(app.at("/rpc/orgs/members")).header(header::COOKIE, format!("tessera_session={cookie}")).send();
    assert_eq!(replay.await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let hash = app::platform::crypto::sha256_hex(cookie.as_bytes());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id_hash = $1")
        .bind(hash)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The session cookie's value, after checking its flags.
fn session_cookie(response: &reqwest::Response) -> String {
    let cookie = set_cookies(response).into_iter().find(|c| c.starts_with("tessera_session=")).expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    let value = cookie.trim_start_matches("tessera_session=").split(';').next().unwrap().to_owned();
    assert!(value.len() >= 43, "session id of {} characters is shorter than 256 bits", value.len());
    value
}

async fn wrong_password_and_unknown_email_get_the_same_answer(app: TestApp) {
    app.setup_owner().await;
    let wrong = error_of(app.login(&client(), OWNER, "not the password").await).await;
    let unknown = error_of(app.login(&client(), "nobody@example.com", PASSWORD).await).await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.1["message"], "Incorrect email or password.");
}

async fn a_new_session_id_at_every_sign_in(app: TestApp) {
    app.setup_owner().await;
    let browser = client();
    let first = session_cookie(&app.login(&browser, OWNER, PASSWORD).await);
    let second = session_cookie(&app.login(&browser, OWNER, PASSWORD).await);
    assert_ne!(first, second);
    // Signing in again from the same browser ends the session it had.
    let old = client().post(app.at("/rpc/orgs/members")).header(header::COOKIE, format!("tessera_session={first}"));
    assert_eq!(old.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let new = client().post(app.at("/rpc/orgs/members")).header(header::COOKIE, format!("tessera_session={second}"));
    assert_eq!(new.send().await.unwrap().status(), StatusCode::OK);
}

async fn sessions_are_stored_hashed(app: TestApp) {
    app.setup_owner().await;
    let cookie = session_cookie(&app.login(&client(), OWNER, PASSWORD).await);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(app.state.db.pool()).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|h| h != &cookie && h.len() == 64));
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(app.state.db.pool()).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
}

async fn idle_and_absolute_timeouts(app: TestApp) {
    app.setup_owner().await;
    let browser = client();
    app.login(&browser, OWNER, PASSWORD).await;
    let alive = || async { browser.post(app.at("/rpc/orgs/members")).send().await.unwrap().status() };
    // Active every 23 hours (idle limit 24 h) keeps the session until the 7-day absolute limit.
    for _ in 0..7 {
        app.clock.advance_ms(23 * HOUR_MS);
        assert_eq!(alive().await, StatusCode::OK);
    }
    app.clock.advance_ms(23 * HOUR_MS);
    assert_eq!(alive().await, StatusCode::UNAUTHORIZED, "absolute timeout");

    let browser = client();
    app.login(&browser, OWNER, PASSWORD).await;
    app.clock.advance_ms(24 * HOUR_MS + MINUTE_MS);
    assert_eq!(browser.post(app.at("/rpc/orgs/members")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn failed_sign_ins_are_limited_per_client_address(app: TestApp) {
    app.setup_owner().await;
    for _ in 0..app::auth::service::IP_FAILURES_ALLOWED {
        let response = app.login(&client(), "someone@example.com", "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is refused from this address, with a clear wait.
    let limited = app.login(&client(), OWNER, PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let (_, body) = error_of(limited).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many attempts. Try again in"), "{body}");
    // The window passes.
    app.clock.advance_ms(15 * MINUTE_MS + 1);
    assert_eq!(app.login(&client(), OWNER, PASSWORD).await.status(), StatusCode::OK);
}

async fn failed_sign_ins_are_limited_per_account_but_not_for_its_own_browser(app: TestApp) {
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| c.settings.trusted_proxy_hops = 1).await;
    app.setup_owner().await;
    // The owner's own browser has signed in before and holds a device cookie.
    let own_browser = client();
    assert_eq!(app.login(&own_browser, OWNER, PASSWORD).await.status(), StatusCode::OK);

    // An attacker spreads guesses over many addresses to dodge the per-address limit.
    let attempt = |i: i64, password: &'static str| {
        let url = app.at("/rpc/auth/login");
        async move {
            client()
                .post(url)
                .header("x-forwarded-for", format!("10.0.{}.{}", i / 250, i % 250))
                .form(&[("email", OWNER), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..app::auth::service::ACCOUNT_FAILURES_ALLOWED {
        assert_eq!(attempt(i, "guess").await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(attempt(1000, "guess").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(1001, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "new browsers wait");
    // The real person is not locked out on their own browser.
    assert_eq!(app.login(&own_browser, OWNER, PASSWORD).await.status(), StatusCode::OK);
}

async fn sign_in_refuses_oversized_passwords_before_hashing(app: TestApp) {
    app.setup_owner().await;
    let huge = "x".repeat(50_000);
    let (status, body) = error_of(app.login(&client(), OWNER, &huge).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "Incorrect email or password.");
}
