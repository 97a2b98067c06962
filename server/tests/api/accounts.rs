//! First-run setup, sign-in and sessions, as a browser (or an attacker) would meet them.

use crate::helpers::{OWNER, PASSWORD, TestApp, all, client};
use app::routes::{AUDIT_URL, LOGIN_URL, MEMBERS_URL, SETUP_URL, TOKENS_URL};
use leptos::server_fn::ServerFn;
use reqwest::{StatusCode, header};
use tessera_core::{
    ErrorKind,
    services::accounts::{ACCOUNT_FAILURES_ALLOWED, IP_FAILURES_ALLOWED},
    time::{HOUR_MS, MINUTE_MS},
};

tessera_core::on_each_engine!(crate::helpers::on_app =>
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
    sign_in_and_setup_work_without_javascript,
);

async fn every_page_leads_to_setup_until_it_is_done(app: TestApp) {
    for path in ["/", LOGIN_URL, TOKENS_URL, MEMBERS_URL, AUDIT_URL] {
        let response = app.browser().get(path).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert_eq!(response.headers()[header::LOCATION], SETUP_URL, "{path}");
    }
    let setup_page = app.browser().get(SETUP_URL).await;
    assert_eq!(setup_page.status(), StatusCode::OK);
    let html = setup_page.text().await.unwrap();
    for label in ["Email", "Password", "Organization name"] {
        assert!(html.contains(&format!(">{label}<")), "setup form lacks {label}");
    }
    assert!(!html.contains("Setup code"), "on loopback, setup needs no code");

    app.setup_owner().await;
    let after = app.browser().get(SETUP_URL).await;
    assert_eq!(after.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(after.headers()[header::LOCATION], LOGIN_URL);
    assert_eq!(app.browser().get("/").await.status(), StatusCode::OK);
}

async fn setup_happens_once_even_when_two_requests_race(app: TestApp) {
    let attempts = (0..4).map(|i| {
        let browser = app.browser();
        async move { browser.setup(&format!("first{i}@example.com"), PASSWORD, "Race").await.map_err(|f| f.status) }
    });
    let outcomes = all(attempts).await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o.is_ok() || *o == Err(StatusCode::CONFLICT)), "{outcomes:?}");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("organizations").await, 1);

    let late = app.browser().setup("late@example.com", PASSWORD, "Late").await.unwrap_err();
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.message(), "Tessera is already set up. Sign in instead.");
}

async fn bad_setup_input_is_explained_and_stores_nothing(app: TestApp) {
    let long = "x".repeat(2000);
    let cases: [(&str, &str, &str, &str, &str); 6] = [
        ("not-an-email", PASSWORD, "Acme", "email", "is not an email address"),
        ("ada@example.com", "short", "Acme", "password", "at least 8 characters"),
        ("ada@example.com", &long, "Acme", "password", "at most 1024 bytes"),
        ("ada@example.com", PASSWORD, "   ", "organization", "Enter an organization name"),
        ("", PASSWORD, "Acme", "email", "Enter an email address"),
        ("ada@example.com", PASSWORD, "Ac\u{202E}me", "organization", "invisible formatting characters"),
    ];
    for (email, password, org, field, message) in cases {
        let failure = app.browser().setup(email, password, org).await.unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY, "{email} {org}");
        assert_eq!(failure.field(), Some(field), "{failure:?}");
        assert!(failure.message().contains(message), "{failure:?}");
    }
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("sessions").await, 0);
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

async fn login_response(browser: &crate::helpers::Browser, email: &str, password: &str) -> reqwest::Response {
    browser.post::<app::auth::Login>(&[("email", email), ("password", password)]).await
}

async fn members_status(app: &TestApp, cookie: &str) -> StatusCode {
    client()
        .post(app.at(app::orgs::ListMembers::PATH))
        .header(header::COOKIE, format!("tessera_session={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
}

async fn sign_in_and_sign_out(app: TestApp) {
    app.setup_owner().await;
    let browser = app.browser();
    assert_eq!(browser.members().await.unwrap_err().status, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.session().await.unwrap(), None);

    let login = login_response(&browser, OWNER, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = session_cookie(&login);
    let info = browser.session().await.unwrap().expect("signed in");
    assert_eq!(info.email, OWNER);
    let current = info.current.unwrap();
    assert_eq!((current.name.as_str(), current.role.as_str()), ("Acme", "owner"));

    let logout = browser.post::<app::session::Logout>(&[]).await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(set_cookies(&logout).iter().any(|c| c.starts_with("tessera_session=;") && c.contains("Max-Age=0")));
    // The old id is dead everywhere, even if a copy of the cookie is replayed.
    assert_eq!(members_status(&app, &cookie).await, StatusCode::UNAUTHORIZED);
    let hash = tessera_core::crypto::sha256_hex(cookie.as_bytes());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id_hash = $1")
        .bind(hash)
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}

async fn wrong_password_and_unknown_email_get_the_same_answer(app: TestApp) {
    app.setup_owner().await;
    let wrong = app.browser().login(OWNER, "not the password").await.unwrap_err();
    let unknown = app.browser().login("nobody@example.com", PASSWORD).await.unwrap_err();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.message(), "Incorrect email or password.");
}

async fn a_new_session_id_at_every_sign_in(app: TestApp) {
    app.setup_owner().await;
    let browser = app.browser();
    let first = session_cookie(&login_response(&browser, OWNER, PASSWORD).await);
    let second = session_cookie(&login_response(&browser, OWNER, PASSWORD).await);
    assert_ne!(first, second);
    // Signing in again from the same browser ends the session it had.
    assert_eq!(members_status(&app, &first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(members_status(&app, &second).await, StatusCode::OK);
}

async fn sessions_are_stored_hashed(app: TestApp) {
    app.setup_owner().await;
    let cookie = session_cookie(&login_response(&app.browser(), OWNER, PASSWORD).await);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(app.core.db.pool()).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|h| h != &cookie && h.len() == 64));
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(app.core.db.pool()).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
}

async fn idle_and_absolute_timeouts(app: TestApp) {
    app.setup_owner().await;
    let browser = app.browser();
    browser.login(OWNER, PASSWORD).await.unwrap();
    // Active every 23 hours (idle limit 24 h) keeps the session until the 7-day absolute limit.
    for _ in 0..7 {
        app.clock.advance_ms(23 * HOUR_MS);
        assert!(browser.members().await.is_ok());
    }
    app.clock.advance_ms(23 * HOUR_MS);
    assert_eq!(browser.members().await.unwrap_err().status, StatusCode::UNAUTHORIZED, "absolute timeout");

    let browser = app.browser();
    browser.login(OWNER, PASSWORD).await.unwrap();
    app.clock.advance_ms(24 * HOUR_MS + MINUTE_MS);
    assert_eq!(browser.members().await.unwrap_err().status, StatusCode::UNAUTHORIZED, "idle timeout");
}

async fn failed_sign_ins_are_limited_per_client_address(app: TestApp) {
    app.setup_owner().await;
    for _ in 0..IP_FAILURES_ALLOWED {
        let failure = app.browser().login("someone@example.com", "wrong password").await.unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is refused from this address, with a clear wait.
    let limited = login_response(&app.browser(), OWNER, PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let body: tessera_core::ErrorBody = limited.json().await.unwrap();
    assert_eq!(body.error, ErrorKind::RateLimited);
    assert!(body.message.starts_with("Too many attempts. Try again in"), "{body:?}");
    // The window passes.
    app.clock.advance_ms(15 * MINUTE_MS + 1);
    assert!(app.browser().login(OWNER, PASSWORD).await.is_ok());
}

async fn failed_sign_ins_are_limited_per_account_but_not_for_its_own_browser(app: TestApp) {
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| c.proxies = tessera::config::parse_proxies("127.0.0.1").unwrap()).await;
    app.setup_owner().await;
    // The owner's own browser has signed in before and holds a device cookie.
    let own_browser = app.browser();
    own_browser.login(OWNER, PASSWORD).await.unwrap();

    // An attacker spreads guesses over many addresses to dodge the per-address limit.
    let attempt = |i: i64, password: &'static str| {
        let url = app.at(app::auth::Login::PATH);
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
    for i in 0..ACCOUNT_FAILURES_ALLOWED {
        assert_eq!(attempt(i, "guess").await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(attempt(1000, "guess").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(1001, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "new browsers wait");
    // The real person is not locked out on their own browser.
    assert!(own_browser.login(OWNER, PASSWORD).await.is_ok());
}

async fn sign_in_refuses_oversized_passwords_before_hashing(app: TestApp) {
    app.setup_owner().await;
    let failure = app.browser().login(OWNER, &"x".repeat(50_000)).await.unwrap_err();
    assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(failure.message(), "Incorrect email or password.");
}

/// The same flows as plain HTML forms posting to their server functions: redirects with cookies on
/// success; back to the page, with the error in it, on failure.
async fn sign_in_and_setup_work_without_javascript(app: TestApp) {
    let browser = app.browser();
    let bad = browser
        .submit(
            SETUP_URL,
            app::auth::Setup::PATH,
            &[("email", "nope"), ("password", PASSWORD), ("organization", "Acme")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::SEE_OTHER);
    assert_eq!(bad.headers()[header::LOCATION], SETUP_URL);
    let html = browser.follow(&bad).await.text().await.unwrap();
    assert!(html.contains("is not an email address"), "the error is shown in the page");
    assert!(html.contains("value=\"Acme\""), "what was typed is kept");
    assert!(!html.contains(PASSWORD), "but never the password");
    let done = browser
        .submit(
            SETUP_URL,
            app::auth::Setup::PATH,
            &[("email", OWNER), ("password", PASSWORD), ("organization", "Acme")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[header::LOCATION], TOKENS_URL);
    assert!(set_cookies(&done).iter().any(|c| c.starts_with("tessera_session=")));
    assert_eq!(browser.get(TOKENS_URL).await.status(), StatusCode::OK);

    let other = app.browser();
    let wrong =
        other.submit(LOGIN_URL, app::auth::Login::PATH, &[("email", OWNER), ("password", "wrong password")]).await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(wrong.headers()[header::LOCATION], LOGIN_URL);
    assert!(other.follow(&wrong).await.text().await.unwrap().contains("Incorrect email or password."));
    let right = other
        .submit(LOGIN_URL, app::auth::Login::PATH, &[("email", OWNER), ("password", PASSWORD), ("next", MEMBERS_URL)])
        .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(right.headers()[header::LOCATION], MEMBERS_URL);
}
