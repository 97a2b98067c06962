//! Two-factor authentication (TOTP and recovery codes), sign-in's second step and sudo mode, over real
//! HTTP, with codes computed here from the setup key the page shows.

use crate::{
    helpers::{Browser, OWNER, PASSWORD, TestApp, TestDatabase, all, captured_logs},
    support::{SmtpSink, eventually, notifying},
};
use app::{
    account::{BeginTotp, ConfirmIdentity, ConfirmTotp, PendingSetup},
    auth::{Login, SecondFactor},
    routes::{ACCOUNT_SECURITY_URL, CONFIRM_IDENTITY_URL, TOKENS_URL},
    tokens::CreateToken,
};
use reqwest::{StatusCode, header};
use tessera_core::{
    ErrorKind,
    services::two_factor::{ACCOUNT_ATTEMPTS_ALLOWED, RECOVERY_CODES},
    time::MINUTE_MS,
};
use totp_rs::{Algorithm, Secret, TOTP};

tessera_core::on_each_engine!(crate::helpers::on_database =>
    enrolment_shows_the_key_and_needs_a_right_code,
    a_code_works_once,
    one_step_of_drift_is_accepted_and_two_are_not,
    the_password_alone_opens_nothing,
    pending_sign_ins_are_bound_sealed_and_needed,
    a_recovery_code_works_once_and_emails_the_person,
    second_factor_attempts_are_limited_and_counted_before_checking,
    sudo_mode_asks_again_after_its_window,
    sudo_mode_without_javascript_asks_on_its_own_page,
);

async fn spawn(db: TestDatabase, sink: Option<&SmtpSink>) -> TestApp {
    TestApp::spawn_on(db, |c| {
        c.core.sudo_ms = 15 * MINUTE_MS;
        if sink.is_some() {
            notifying(c, sink, 1_000);
        }
    })
    .await
}

/// The code an authenticator app shows for `key` at `offset_steps` steps from the server's now.
fn code(app: &TestApp, key: &str, offset_steps: i64) -> String {
    let bytes = Secret::Encoded(key.to_owned()).to_bytes().expect("a base32 key");
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes).expect("a valid key");
    let secs = app.clock.now().millis() / 1_000 + offset_steps * 30;
    totp.generate(secs as u64)
}

/// A code that is not the right one now (nor one step either side).
fn wrong_code(app: &TestApp, key: &str) -> String {
    let right: Vec<String> = (-1..=1).map(|o| code(app, key, o)).collect();
    (0..10).map(|d| format!("{d}{d}{d}{d}{d}{d}")).find(|c| !right.contains(c)).unwrap()
}

/// Turns 2FA on for the signed-in `browser`: the setup key read off the security page, the first code
/// computed from it. Answers the key and the recovery codes.
async fn enrol(app: &TestApp, browser: &Browser) -> (String, Vec<String>) {
    let pending: PendingSetup = browser.call::<BeginTotp>(&[]).await.expect("begin");
    let page = browser.get(ACCOUNT_SECURITY_URL).await.text().await.unwrap();
    let key = between(&page, "data-testid=\"totp-secret\">", "<").expect("the setup key on the page");
    assert_eq!(key, pending.setup_key);
    assert!(page.contains("data:image/svg+xml;base64,"), "the QR code, rendered on the server");
    assert!(page.contains(">Authentication code<"));
    let codes = browser.call::<ConfirmTotp>(&[("code", &code(app, &key, 0))]).await.expect("confirm");
    (key, codes)
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_owned())
}

/// Signs out, then in with the password: the browser is at the second step.
async fn password_step(app: &TestApp, browser: &Browser) {
    let _ = browser.logout().await;
    browser.login(OWNER, PASSWORD).await.expect("the password is right");
    assert_eq!(browser.session().await.unwrap(), None, "no session after the password alone");
    let _ = app;
}

async fn second_step(browser: &Browser, code: &str) -> Result<(), crate::helpers::Failure> {
    browser.call::<SecondFactor>(&[("code", code)]).await
}

async fn enrolment_shows_the_key_and_needs_a_right_code(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    let page = owner.get(ACCOUNT_SECURITY_URL).await.text().await.unwrap();
    assert!(page.contains("Set up authenticator app") && page.contains("Two-factor authentication is off."));

    let pending: PendingSetup = owner.call::<BeginTotp>(&[]).await.unwrap();
    let key = pending.setup_key.clone();
    let wrong = owner.call::<ConfirmTotp>(&[("code", &wrong_code(&app, &key))]).await.unwrap_err();
    assert_eq!((wrong.kind(), wrong.field()), (ErrorKind::Invalid, Some("code")));
    let malformed = owner.call::<ConfirmTotp>(&[("code", "12ab")]).await.unwrap_err();
    assert_eq!(malformed.field(), Some("code"));

    let codes = owner.call::<ConfirmTotp>(&[("code", &code(&app, &key, 0))]).await.unwrap();
    assert_eq!(codes.len(), RECOVERY_CODES);
    let page = owner.get(ACCOUNT_SECURITY_URL).await.text().await.unwrap();
    assert!(page.contains("Two-factor authentication is on."));
    assert!(!page.contains(&key), "the key is not shown once 2FA is on");
    // Stored sealed and hashed: neither the key nor a recovery code is in the database or the logs.
    let sealed: String =
        sqlx::query_scalar("SELECT sealed_key FROM totp_authenticators").fetch_one(app.core.db.pool()).await.unwrap();
    assert!(!sealed.contains(&key));
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(app.core.db.pool()).await.unwrap();
    assert_eq!(hashes.len(), RECOVERY_CODES);
    let logs = captured_logs();
    assert!(!logs.contains(&key));
    for c in &codes {
        assert!(!hashes.iter().any(|h| h.contains(c.as_str())));
        assert!(!logs.contains(c.as_str()));
    }
}

async fn a_code_works_once(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    let (key, _) = enrol(&app, &owner).await;
    password_step(&app, &owner).await;
    // The code that confirmed enrolment, again in its window: refused.
    let replay = second_step(&owner, &code(&app, &key, 0)).await.unwrap_err();
    assert_eq!((replay.kind(), replay.field()), (ErrorKind::Invalid, Some("code")));
    assert!(replay.message().contains("used already"), "{}", replay.message());
    app.clock.advance_ms(30_000);
    let fresh = code(&app, &key, 0);
    // Two browsers race with the same fresh code: exactly one signs in.
    let other = app.browser();
    other.login(OWNER, PASSWORD).await.unwrap();
    let racers = [owner.clone(), other].map(|b| {
        let fresh = fresh.clone();
        async move { second_step(&b, &fresh).await }
    });
    let outcomes = all(racers).await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
}

async fn one_step_of_drift_is_accepted_and_two_are_not(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    let (key, _) = enrol(&app, &owner).await;
    app.clock.advance_ms(10 * 30_000);
    password_step(&app, &owner).await;
    for offset in [-2, 2] {
        let refused = second_step(&owner, &code(&app, &key, offset)).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Invalid, "{offset} steps");
    }
    second_step(&owner, &code(&app, &key, -1)).await.expect("one step behind");
    assert!(owner.session().await.unwrap().is_some());
    password_step(&app, &owner).await;
    second_step(&owner, &code(&app, &key, 1)).await.expect("one step ahead");
    assert!(owner.session().await.unwrap().is_some());
}

async fn the_password_alone_opens_nothing(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    enrol(&app, &owner).await;
    let browser = app.browser();
    let answer = browser.post::<Login>(&[("email", OWNER), ("password", PASSWORD)]).await;
    assert!(answer.status().is_success() || answer.status().is_redirection());
    let cookies: Vec<String> =
        answer.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().all(|c| !c.starts_with("tessera_session=")), "{cookies:?}");
    let pending = cookies.iter().find(|c| c.starts_with("tessera_pending_sign_in=")).expect("a pending sign-in");
    assert!(pending.contains("HttpOnly") && pending.contains("SameSite=Strict") && pending.contains("Max-Age=300"));

    let page = browser.get(TOKENS_URL).await;
    assert_eq!(page.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(page.headers()[header::LOCATION].to_str().unwrap().starts_with("/login"));
    assert_eq!(browser.session().await.unwrap(), None);
    let refused = browser.call::<CreateToken>(&[("name", "x"), ("expires_in_days", "")]).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // The second step's page asks for the code.
    let step = browser.get(app::routes::LOGIN_SECOND_STEP_URL).await.text().await.unwrap();
    assert!(step.contains(">Authentication code<") && step.contains("Use a recovery code"));
}

/// The pending-sign-in cookie's value from a password step.
async fn pending_cookie(app: &TestApp, email: &str) -> String {
    let answer = app.browser().post::<Login>(&[("email", email), ("password", PASSWORD)]).await;
    answer
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("tessera_pending_sign_in="))
        .and_then(|c| c.split(';').next())
        .expect("a pending sign-in")
        .to_owned()
}

async fn second_step_with_cookie(app: &TestApp, cookie: &str, code: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.at(<SecondFactor as leptos::server_fn::ServerFn>::PATH))
        .header("accept", "application/json")
        .header("cookie", format!("tessera_pending_sign_in={cookie}"))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn pending_sign_ins_are_bound_sealed_and_needed(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    let (owner_key, _) = enrol(&app, &owner).await;
    let bob = app.member("bob@example.com", "member").await;
    let (bob_key, _) = enrol(&app, &bob).await;
    app.clock.advance_ms(30_000);

    // The second step without the first.
    let alone = app.browser().call::<SecondFactor>(&[("code", &code(&app, &owner_key, 0))]).await.unwrap_err();
    assert_eq!(alone.status, StatusCode::UNAUTHORIZED);
    // Bob's pending sign-in with the owner's code: checked against Bob's key, so refused.
    let bobs = pending_cookie(&app, "bob@example.com").await;
    assert_eq!(
        second_step_with_cookie(&app, &bobs, &code(&app, &owner_key, 0)).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Tampered: refused as no pending sign-in at all.
    let mut tampered = bobs.clone().into_bytes();
    let at = tampered.len() / 2;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(second_step_with_cookie(&app, &tampered, &code(&app, &bob_key, 0)).await, StatusCode::UNAUTHORIZED);
    // Expired after five minutes.
    app.clock.advance_ms(5 * MINUTE_MS);
    assert_eq!(second_step_with_cookie(&app, &bobs, &code(&app, &bob_key, 0)).await, StatusCode::UNAUTHORIZED);
    let fresh = pending_cookie(&app, "bob@example.com").await;
    assert_eq!(second_step_with_cookie(&app, &fresh, &code(&app, &bob_key, 0)).await, StatusCode::OK);
}

async fn a_recovery_code_works_once_and_emails_the_person(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = spawn(db, Some(&sink)).await;
    let owner = app.setup_owner().await;
    let (_, codes) = enrol(&app, &owner).await;
    assert!(eventually(|| sink.to(OWNER).iter().any(|m| m.subject == "Two-factor authentication was turned on")).await);

    password_step(&app, &owner).await;
    owner.call::<SecondFactor>(&[("recovery_code", &codes[3].to_uppercase())]).await.expect("a recovery code");
    assert!(owner.session().await.unwrap().is_some());
    assert!(eventually(|| sink.to(OWNER).iter().any(|m| m.subject == "A recovery code was used to sign in")).await);
    for mail in sink.emails() {
        assert!(codes.iter().all(|c| !mail.body.contains(c.as_str())), "no recovery code in an email");
    }

    password_step(&app, &owner).await;
    let again = owner.call::<SecondFactor>(&[("recovery_code", &codes[3])]).await.unwrap_err();
    assert_eq!((again.kind(), again.field()), (ErrorKind::Invalid, Some("recovery_code")));
    owner.call::<SecondFactor>(&[("recovery_code", &codes[4])]).await.expect("another code works");
}

async fn second_factor_attempts_are_limited_and_counted_before_checking(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    let (key, _) = enrol(&app, &owner).await;
    app.clock.advance_ms(30_000);
    password_step(&app, &owner).await;
    let wrong = wrong_code(&app, &key);
    let guesses = (0..ACCOUNT_ATTEMPTS_ALLOWED + 6).map(|_| {
        let (browser, wrong) = (owner.clone(), wrong.clone());
        async move { second_step(&browser, &wrong).await }
    });
    let outcomes = all(guesses).await;
    let checked = outcomes.iter().filter(|o| matches!(o, Err(f) if f.kind() == ErrorKind::Invalid)).count() as i64;
    let limited = outcomes.iter().filter(|o| matches!(o, Err(f) if f.kind() == ErrorKind::RateLimited)).count() as i64;
    assert!(checked <= ACCOUNT_ATTEMPTS_ALLOWED, "{checked} guesses were checked");
    assert_eq!(checked + limited, ACCOUNT_ATTEMPTS_ALLOWED + 6);
    // One at a time, guesses are checked until the limit, never beyond it (a refused guess isn't counted,
    // so a concurrent burst may have been refused whole).
    let mut checked_total = checked;
    loop {
        match second_step(&owner, &wrong).await {
            Err(f) if f.kind() == ErrorKind::Invalid => checked_total += 1,
            Err(f) if f.kind() == ErrorKind::RateLimited => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(checked_total, ACCOUNT_ATTEMPTS_ALLOWED);
    // Even the right code waits now.
    let right = second_step(&owner, &code(&app, &key, 0)).await.unwrap_err();
    assert_eq!(right.kind(), ErrorKind::RateLimited);
    app.clock.advance_ms(15 * MINUTE_MS + 1_000);
    password_step(&app, &owner).await;
    second_step(&owner, &code(&app, &key, 0)).await.expect("after the window");
}

async fn sudo_mode_asks_again_after_its_window(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    let fresh = owner.create_token("fresh", "").await.expect("a fresh sign-in is never asked");
    app.clock.advance_ms(15 * MINUTE_MS);
    let asked = owner.create_token("later", "").await.unwrap_err();
    assert_eq!((asked.status, asked.kind()), (StatusCode::FORBIDDEN, ErrorKind::ReauthenticationRequired));
    let rotate = owner.rotate_token(&fresh.id.to_string(), "none").await.unwrap_err();
    assert_eq!(rotate.kind(), ErrorKind::ReauthenticationRequired);
    let wrong = owner.call::<ConfirmIdentity>(&[("password", "not the password")]).await.unwrap_err();
    assert_eq!(wrong.field(), Some("password"));
    owner.call::<ConfirmIdentity>(&[("password", PASSWORD)]).await.expect("confirmed");
    owner.create_token("later", "").await.expect("confirmed just now");

    // With 2FA on, the code too.
    let (key, _) = enrol(&app, &owner).await;
    app.clock.advance_ms(16 * MINUTE_MS);
    assert_eq!(owner.create_token("x", "").await.unwrap_err().kind(), ErrorKind::ReauthenticationRequired);
    let no_code = owner.call::<ConfirmIdentity>(&[("password", PASSWORD)]).await.unwrap_err();
    assert_eq!(no_code.field(), Some("code"));
    owner.call::<ConfirmIdentity>(&[("password", PASSWORD), ("code", &code(&app, &key, 0))]).await.unwrap();
    owner.create_token("x", "").await.expect("confirmed with the code");
}

async fn sudo_mode_without_javascript_asks_on_its_own_page(db: TestDatabase) {
    let app = spawn(db, None).await;
    let owner = app.setup_owner().await;
    app.clock.advance_ms(20 * MINUTE_MS);
    let action = <CreateToken as leptos::server_fn::ServerFn>::PATH;
    let answer = owner.submit(TOKENS_URL, action, &[("name", "kept name"), ("expires_in_days", "")]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{CONFIRM_IDENTITY_URL}?back=")), "{location}");
    let page = owner.follow(&answer).await.text().await.unwrap();
    assert!(page.contains("Confirm it is you") && page.contains(">Password<"));
    let confirmed = owner
        .submit(
            &location,
            <ConfirmIdentity as leptos::server_fn::ServerFn>::PATH,
            &[("password", PASSWORD), ("back", TOKENS_URL)],
        )
        .await;
    assert_eq!(confirmed.headers()[header::LOCATION], TOKENS_URL);
    let tokens_page = owner.follow(&confirmed).await.text().await.unwrap();
    assert!(tokens_page.contains("kept name"), "the form's input is kept");
    owner.create_token("now", "").await.expect("confirmed");
}
