//! The dashboard's forms in a browser without JavaScript: each posts to its server function's URL and
//! is answered `303 See Other` (Post/Redirect/Get); the page after it shows the outcome once, carried by
//! a one-time, encrypted, page-scoped cookie; a reload repeats nothing and shows nothing; the secret is
//! never in a URL or a log line.

use crate::helpers::{NAVIGATION_ACCEPT, OWNER, PASSWORD, TestApp, captured_logs, client};
use app::routes::{AUDIT_URL, LOGIN_URL, MEMBERS_URL, POLICY_URL, TOKENS_URL, WEBHOOKS_URL};
use leptos::server_fn::ServerFn;
use reqwest::{StatusCode, header};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    every_form_answers_see_other_back_to_its_page,
    a_created_secret_is_shown_once_and_a_reload_creates_nothing,
    reloading_after_delete_rotate_invite_and_policy_repeats_nothing,
    a_failed_form_comes_back_with_its_input_and_the_error_beside_the_field,
    a_tampered_expired_or_foreign_flash_is_ignored_and_cleared,
    a_flash_for_one_page_is_not_shown_on_another,
    a_secret_revealing_form_posted_from_another_page_shows_its_secret_on_its_own_page,
    javascript_calls_are_not_redirected,
);

/// A form: the page it is on, its function, its fields, and what the page shows after it.
type Form<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);

fn location(answer: &reqwest::Response) -> &str {
    answer.headers()[header::LOCATION].to_str().unwrap()
}

fn set_cookies(answer: &reqwest::Response) -> Vec<String> {
    answer.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The flash cookie an answer sets (`name=value`), with its attributes.
fn flash_of(answer: &reqwest::Response) -> String {
    set_cookies(answer).into_iter().find(|c| c.starts_with("tessera_flash=")).expect("a flash cookie")
}

/// The value of a `Set-Cookie`.
fn value_of(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1
}

/// A token secret in a page (`tsr_` and 49 characters).
fn token_secret_in(html: &str) -> Option<String> {
    let at = html.find("tsr_")?;
    Some(html[at..at + 53].to_owned())
}

/// A page's GET as a browser sends it with exactly these cookies (a signed-in session and anything else).
async fn get_with_cookies(app: &TestApp, page: &str, cookies: &str) -> reqwest::Response {
    client().get(app.at(page)).header("accept", NAVIGATION_ACCEPT).header(header::COOKIE, cookies).send().await.unwrap()
}

/// A form post as a browser without JavaScript sends it, with exactly these cookies.
async fn submit_with_cookies(
    app: &TestApp,
    cookies: &str,
    page: &str,
    function: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .post(app.at(function))
        .header("accept", NAVIGATION_ACCEPT)
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .header(header::REFERER, app.at(page))
        .header(header::COOKIE, cookies)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A new session for the owner, as its cookie (`tessera_session=…`).
async fn owner_session(app: &TestApp) -> String {
    let answer = client()
        .post(app.at(app::auth::Login::PATH))
        .header("accept", "application/json")
        .form(&[("email", OWNER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(&answer).into_iter().find(|c| c.starts_with("tessera_session=")).expect("signed in");
    cookie.split(';').next().unwrap().to_owned()
}

async fn every_form_answers_see_other_back_to_its_page(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = owner.token("to delete").await.id.to_string();
    let rotated = owner.token("to rotate").await.id.to_string();
    app.member("m@example.com", "member").await;
    let member_id = app.user_id("m@example.com").await.to_string();
    owner.invite("later@example.com", "member").await.unwrap();
    let invitation = owner.members().await.unwrap().invitations[0].id.to_string();
    // (page, function, fields, what the page shows afterwards)
    let forms: Vec<Form> = vec![
        (
            TOKENS_URL,
            app::tokens::CreateToken::PATH,
            vec![("name", "CI"), ("expires_in_days", "7")],
            "data-testid=\"token-reveal\"",
        ),
        (TOKENS_URL, app::tokens::DeleteToken::PATH, vec![("id", &token)], "data-testid=\"token-deleted\""),
        (
            TOKENS_URL,
            app::tokens::RotateToken::PATH,
            vec![("id", &rotated), ("grace", "none")],
            "data-testid=\"token-reveal\"",
        ),
        (
            MEMBERS_URL,
            app::orgs::InviteMember::PATH,
            vec![("email", "new@example.com"), ("role", "member")],
            "data-testid=\"invitation-link\"",
        ),
        // Email is off here: resending is refused, and the page says why.
        (
            MEMBERS_URL,
            app::orgs::ResendInvitation::PATH,
            vec![("id", &invitation)],
            "Email is not configured on this server",
        ),
        (
            MEMBERS_URL,
            app::orgs::RevokeMemberTokens::PATH,
            vec![("user_id", &member_id)],
            "data-testid=\"member-tokens-revoked\"",
        ),
        (
            MEMBERS_URL,
            app::orgs::ChangeRole::PATH,
            vec![("user_id", &member_id), ("role", "admin")],
            "data-testid=\"members-list\"",
        ),
        (MEMBERS_URL, app::orgs::RevokeInvitation::PATH, vec![("id", &invitation)], "data-testid=\"members-list\""),
        (MEMBERS_URL, app::orgs::RemoveMember::PATH, vec![("user_id", &member_id)], "data-testid=\"members-list\""),
        (
            POLICY_URL,
            app::policy::SetPolicy::PATH,
            vec![("max_lifetime_days", "90"), ("default_lifetime_days", "30"), ("revoke_unused_after_days", "")],
            "data-testid=\"policy-saved\"",
        ),
        (
            WEBHOOKS_URL,
            app::webhooks::AddWebhook::PATH,
            vec![("url", "https://hooks.example.com/tessera"), ("events", "*")],
            "data-testid=\"webhook-added\"",
        ),
        (TOKENS_URL, app::tokens::RevokeAllTokens::PATH, vec![("confirm", "Acme")], "data-testid=\"revoked-all\""),
    ];
    for (page, function, fields, shown) in forms {
        let answer = owner.submit(page, function, &fields).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{function}");
        assert_eq!(location(&answer), page, "{function}");
        assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store", "{function}");
        let flash = flash_of(&answer);
        for attribute in [&format!("; Path={page};") as &str, "Max-Age=60", "HttpOnly", "SameSite=Strict"] {
            assert!(flash.contains(attribute), "{function}: {flash}");
        }
        let after = owner.follow(&answer).await;
        assert_eq!(after.status(), StatusCode::OK, "{function}");
        let cleared = set_cookies(&after);
        assert!(cleared.iter().any(|c| c.starts_with("tessera_flash=;") && c.contains("Max-Age=0")), "{function}");
        let html = after.text().await.unwrap();
        assert!(html.contains(shown), "{function}: the page after it shows {shown}");
        if !shown.starts_with("Email") {
            assert!(!html.contains("data-testid=\"form-error\""), "{function} failed: {html}");
        }
    }
    // Each one ran once.
    assert_eq!(app.count("api_tokens").await, 4, "two tokens, one created, one successor");
    assert_eq!(app.count("webhooks").await, 1);

    // Sign out and switch organization go where the function sends the browser, with its cookies.
    let other = app.org_owned_by("Other", OWNER).await.to_string();
    let switched =
        owner.submit(TOKENS_URL, app::session::SwitchOrg::PATH, &[("org_id", &other), ("back", MEMBERS_URL)]).await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&switched), MEMBERS_URL);
    assert!(set_cookies(&switched).is_empty(), "nothing to carry");
    assert_eq!(owner.session().await.unwrap().unwrap().current.unwrap().name, "Other");
    let out = owner.submit(TOKENS_URL, app::session::Logout::PATH, &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), LOGIN_URL);
    assert!(set_cookies(&out).iter().any(|c| c.starts_with("tessera_session=;")), "{:?}", set_cookies(&out));
    assert_eq!(owner.session().await.unwrap(), None);
    // A signed-out form post returns to its page, which asks to sign in, with nothing carried.
    let expired = owner.submit(TOKENS_URL, app::tokens::CreateToken::PATH, &[("name", "late")]).await;
    assert_eq!(expired.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&expired), TOKENS_URL);
    assert!(set_cookies(&expired).is_empty());
    let login = owner.follow(&expired).await;
    assert_eq!(login.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(login.headers()[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
}

async fn a_created_secret_is_shown_once_and_a_reload_creates_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let form = [("name", "No JS"), ("expires_in_days", "7")];
    let answer = owner.submit(&format!("{TOKENS_URL}?new=1"), app::tokens::CreateToken::PATH, &form).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), TOKENS_URL, "to the page, without the form's ?new=1");
    let flash = flash_of(&answer);
    let page = owner.follow(&answer).await;
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    let secret = token_secret_in(&html).expect("the secret is in the page after the post");
    assert!(html.contains("Token “No JS” created"));
    let api = owner.list_tokens(None).await.unwrap().items;
    assert_eq!(api.len(), 1);
    assert!(html.contains(&api[0].token.id.to_string()));
    // Sealed: not in the cookie, nor in the URL.
    assert!(!flash.contains(&secret) && !flash.contains(&secret[4..20]), "the cookie is encrypted");
    assert!(!location(&answer).contains(&secret[4..]));

    // The reload (the browser GETs the page again; it never re-posts): no secret, no outcome, nothing new.
    let reload = owner.get(TOKENS_URL).await.text().await.unwrap();
    assert!(!reload.contains(&secret) && token_secret_in(&reload).is_none());
    assert!(!reload.contains("data-testid=\"token-reveal\""));
    assert_eq!(app.count("api_tokens").await, 1, "exactly one token");
    // Replaying the old cookie after it was shown, within its minute, shows it again only to the same
    // browser that had it (it is cleared, not remembered); after its minute it shows nothing.
    app.clock.advance_ms(61_000);
    let session = owner_session(&app).await;
    let late = get_with_cookies(&app, TOKENS_URL, &format!("{session}; tessera_flash={}", value_of(&flash))).await;
    assert!(!late.text().await.unwrap().contains(&secret), "an expired flash shows nothing");

    // Neither the secret nor any part of the cookie is in a log line.
    app.server.log.flush();
    let logs = captured_logs();
    assert!(!logs.contains(&secret[4..]), "the secret is in the logs");
    assert!(!logs.contains(value_of(&flash)), "the flash cookie is in the logs");
    assert!(logs.contains("path=/rpc/tokens/create status=303"), "the post is logged, as a 303");
}

async fn reloading_after_delete_rotate_invite_and_policy_repeats_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let first = owner.token("first").await;

    // Rotate: the successor's secret once; a reload neither shows it nor rotates again.
    let (answer, html) = owner
        .submit_and_follow(
            &format!("{TOKENS_URL}?rotate={}", first.id),
            app::tokens::RotateToken::PATH,
            &[("id", &first.id.to_string()), ("grace", "none")],
        )
        .await;
    assert_eq!(location(&answer), TOKENS_URL);
    let secret = token_secret_in(&html).expect("the new secret");
    assert_ne!(secret, first.secret);
    let reload = owner.get(TOKENS_URL).await.text().await.unwrap();
    assert!(!reload.contains(&secret) && !reload.contains("data-testid=\"token-reveal\""));
    assert_eq!(app.count("api_tokens").await, 2, "the old token and one successor");
    let successor = owner.list_tokens(None).await.unwrap().items[0].token.id.to_string();

    // Delete: said once; the reload deletes nothing else and says nothing.
    let second = owner.token("second").await;
    let (answer, html) = owner
        .submit_and_follow(
            &format!("{TOKENS_URL}?delete={successor}"),
            app::tokens::DeleteToken::PATH,
            &[("id", &successor)],
        )
        .await;
    assert_eq!(location(&answer), TOKENS_URL, "back to the list, not to the closed dialog");
    assert!(html.contains("data-testid=\"token-deleted\""));
    let reload = owner.get(TOKENS_URL).await.text().await.unwrap();
    assert!(!reload.contains("data-testid=\"token-deleted\""));
    let left: Vec<_> = owner.list_tokens(None).await.unwrap().items.into_iter().map(|t| t.token.id).collect();
    assert_eq!(left, [second.id]);

    // Invite: the one-time link once; the reload invites nobody again and shows no link.
    let (answer, html) = owner
        .submit_and_follow(
            MEMBERS_URL,
            app::orgs::InviteMember::PATH,
            &[("email", "new@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(location(&answer), MEMBERS_URL);
    let link = html.split("data-testid=\"invitation-link\"").nth(1).unwrap();
    let link = link[link.find('>').unwrap() + 1..].split('<').next().unwrap().to_owned();
    assert!(link.contains("/invite/"), "{link}");
    let code = link.rsplit('/').next().unwrap();
    assert!(!flash_of(&answer).contains(code) && !location(&answer).contains(code));
    let reload = owner.get(MEMBERS_URL).await.text().await.unwrap();
    assert!(!reload.contains(code) && !reload.contains("data-testid=\"invitation-link\""));
    assert_eq!(app.count("org_invitations").await, 1, "exactly one invitation");

    // Policy: saved once, said once.
    let policy = [("max_lifetime_days", "90"), ("default_lifetime_days", "30"), ("revoke_unused_after_days", "")];
    let (_, html) = owner.submit_and_follow(POLICY_URL, app::policy::SetPolicy::PATH, &policy).await;
    assert!(html.contains("data-testid=\"policy-saved\""));
    let reload = owner.get(POLICY_URL).await.text().await.unwrap();
    assert!(!reload.contains("data-testid=\"policy-saved\""));
    assert_eq!(app.count("audit_events WHERE event_type = 'org.policy_changed'").await, 1, "saved once");

    app.server.log.flush();
    let logs = captured_logs();
    assert!(!logs.contains(&secret[4..]) && !logs.contains(code), "a secret is in the logs");
}

async fn a_failed_form_comes_back_with_its_input_and_the_error_beside_the_field(app: TestApp) {
    let owner = app.setup_owner().await;
    // Too long a lifetime: back to the open form, the error beside its field.
    let from = format!("{TOKENS_URL}?new=1");
    let form = [("name", "Nightly build"), ("expires_in_days", "custom"), ("custom_days", "400")];
    let (answer, html) = owner.submit_and_follow(&from, app::tokens::CreateToken::PATH, &form).await;
    assert_eq!(location(&answer), TOKENS_URL);
    assert!(html.contains("data-testid=\"create-token-form\""), "the form is open again");
    assert!(html.contains("between 1 and 365 days"), "the error is shown");
    assert!(!html.contains("data-testid=\"form-error\""), "beside its field, not above the form");
    assert_eq!(app.count("api_tokens").await, 0);
    // What was typed travels with the error (the form reads it with `kept_value`).
    let session = owner_session(&app).await;
    let answer = submit_with_cookies(&app, &session, &from, app::tokens::CreateToken::PATH, &form).await;
    let mut headers = axum::http::HeaderMap::new();
    let cookies = format!("{session}; tessera_flash={}", value_of(&flash_of(&answer)));
    headers.insert(header::COOKIE, cookies.parse().unwrap());
    let outcome = tessera::http::forms::flash::take(&app.server, TOKENS_URL, &headers).expect("the flash opens");
    for kept in [("name", "Nightly build"), ("expires_in_days", "custom"), ("custom_days", "400")] {
        assert!(outcome.kept.contains(&(kept.0.to_owned(), kept.1.to_owned())), "{kept:?} kept");
    }
    assert!(outcome.failed());
    // Nothing is shown again on reload.
    assert!(!owner.get(TOKENS_URL).await.text().await.unwrap().contains("between 1 and 365 days"));

    // The invitation form keeps what was typed (the query of the page it was on too).
    let (answer, html) = owner
        .submit_and_follow(
            &format!("{MEMBERS_URL}?x=1"),
            app::orgs::InviteMember::PATH,
            &[("email", "not-an-email"), ("role", "member")],
        )
        .await;
    assert_eq!(location(&answer), MEMBERS_URL, "a secret-revealing form returns to its page");
    assert!(html.contains("value=\"not-an-email\""), "the email is kept");
    assert!(html.contains("is not an email address"));

    // The policy form shows what was typed beside the error, not the saved values.
    let policy = [
        ("max_lifetime_days", "60"),
        ("default_lifetime_days", "90"),
        ("revoke_unused_after_days", "45"),
        ("expiry_warning_days", "14, 2"),
        ("api_rotation", "on"),
    ];
    let (_, html) = owner.submit_and_follow(POLICY_URL, app::policy::SetPolicy::PATH, &policy).await;
    assert!(html.contains("error-text"), "the error is beside its field");
    for kept in ["value=\"60\"", "value=\"90\"", "value=\"45\"", "value=\"14, 2\""] {
        assert!(html.contains(kept), "{kept} is kept");
    }
    assert!(html.contains("name=\"api_rotation\" type=\"checkbox\" checked"), "the ticked box stays ticked");
    assert!(!html.contains("value=\"365\""), "not the saved maximum");

    // Sign-in: a wrong password comes back to the same sign-in page (with its ?next=), email kept,
    // password not.
    let browser = app.browser();
    let login = "/login?next=/app/settings/members";
    let (answer, html) = browser
        .submit_and_follow(
            login,
            app::auth::Login::PATH,
            &[("email", OWNER), ("password", "wrong password"), ("next", MEMBERS_URL)],
        )
        .await;
    assert_eq!(location(&answer), login);
    assert!(html.contains("Incorrect email or password."));
    assert!(html.contains(&format!("value=\"{OWNER}\"")), "the email is kept");
    assert!(!html.contains("wrong password") && !flash_of(&answer).contains("wrong"));
    assert!(html.contains("name=\"next\" value=\"/app/settings/members\""), "next survives");
}

async fn a_tampered_expired_or_foreign_flash_is_ignored_and_cleared(app: TestApp) {
    app.setup_owner().await;
    let session = owner_session(&app).await;
    let answer =
        submit_with_cookies(&app, &session, TOKENS_URL, app::tokens::CreateToken::PATH, &[("name", "CI")]).await;
    let value = value_of(&flash_of(&answer)).to_owned();
    // Every byte flipped in turn somewhere in the value: none is accepted.
    let mut tampered = Vec::new();
    for at in [0, 5, 16, value.len() / 2, value.len() - 1] {
        let mut bytes = value.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        tampered.push(String::from_utf8(bytes).unwrap());
    }
    tampered.push(value[..value.len() - 4].to_owned());
    tampered.push("not base64 at all!".to_owned());
    tampered.push(String::new());
    for bad in &tampered {
        let page = get_with_cookies(&app, TOKENS_URL, &format!("{session}; tessera_flash={bad}")).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(set_cookies(&page).iter().any(|c| c.starts_with("tessera_flash=;") && c.contains("Max-Age=0")));
        let html = page.text().await.unwrap();
        assert!(!html.contains("data-testid=\"token-reveal\"") && token_secret_in(&html).is_none(), "{bad}");
    }
    // Sealed by another server (another key): ignored.
    let other = TestApp::spawn(crate::helpers::Backend::Sqlite).await.unwrap();
    let foreign_owner = other.setup_owner().await;
    let foreign = foreign_owner.submit(TOKENS_URL, app::tokens::CreateToken::PATH, &[("name", "CI")]).await;
    let foreign = value_of(&flash_of(&foreign)).to_owned();
    let html =
        get_with_cookies(&app, TOKENS_URL, &format!("{session}; tessera_flash={foreign}")).await.text().await.unwrap();
    assert!(token_secret_in(&html).is_none(), "a flash from another server");
    // The genuine one, within its minute, is shown.
    let html =
        get_with_cookies(&app, TOKENS_URL, &format!("{session}; tessera_flash={value}")).await.text().await.unwrap();
    assert!(token_secret_in(&html).is_some(), "the genuine flash is shown");
    // Only in the session it was made in: signed in again (or as someone else), nothing.
    let another = owner_session(&app).await;
    let html =
        get_with_cookies(&app, TOKENS_URL, &format!("{another}; tessera_flash={value}")).await.text().await.unwrap();
    assert!(token_secret_in(&html).is_none(), "a flash of another session");
    // After its minute, not.
    app.clock.advance_ms(60_000);
    let html =
        get_with_cookies(&app, TOKENS_URL, &format!("{session}; tessera_flash={value}")).await.text().await.unwrap();
    assert!(token_secret_in(&html).is_none(), "an expired flash");
}

async fn a_flash_for_one_page_is_not_shown_on_another(app: TestApp) {
    app.setup_owner().await;
    let session = owner_session(&app).await;
    let created =
        submit_with_cookies(&app, &session, TOKENS_URL, app::tokens::CreateToken::PATH, &[("name", "CI")]).await;
    let created = value_of(&flash_of(&created)).to_owned();
    let policy = [("max_lifetime_days", "90"), ("default_lifetime_days", "30"), ("revoke_unused_after_days", "")];
    let saved = submit_with_cookies(&app, &session, POLICY_URL, app::policy::SetPolicy::PATH, &policy).await;
    let saved = value_of(&flash_of(&saved)).to_owned();
    for page in [MEMBERS_URL, POLICY_URL, WEBHOOKS_URL, AUDIT_URL, "/"] {
        let html =
            get_with_cookies(&app, page, &format!("{session}; tessera_flash={created}")).await.text().await.unwrap();
        assert!(token_secret_in(&html).is_none(), "the tokens page's flash shown on {page}");
    }
    let html =
        get_with_cookies(&app, TOKENS_URL, &format!("{session}; tessera_flash={saved}")).await.text().await.unwrap();
    assert!(!html.contains("The policy was saved"));
    let html =
        get_with_cookies(&app, MEMBERS_URL, &format!("{session}; tessera_flash={saved}")).await.text().await.unwrap();
    assert!(!html.contains("The policy was saved"));
    // Both, each on its own page (a browser sends every cookie whose path matches).
    let both = format!("{session}; tessera_flash={saved}; tessera_flash={created}");
    let html = get_with_cookies(&app, TOKENS_URL, &both).await.text().await.unwrap();
    assert!(token_secret_in(&html).is_some());
    let html = get_with_cookies(&app, POLICY_URL, &both).await.text().await.unwrap();
    assert!(html.contains("data-testid=\"policy-saved\"") && token_secret_in(&html).is_none());
}

/// Creating a token (or rotating one, or adding a webhook) from a page that doesn't show secrets would
/// make a credential whose secret nobody sees: the answer goes to the one page that shows it.
async fn a_secret_revealing_form_posted_from_another_page_shows_its_secret_on_its_own_page(app: TestApp) {
    let owner = app.setup_owner().await;
    for from in [MEMBERS_URL, POLICY_URL, LOGIN_URL, "/nope", ""] {
        let answer = owner.submit(from, app::tokens::CreateToken::PATH, &[("name", "elsewhere")]).await;
        assert_eq!(location(&answer), TOKENS_URL, "from {from:?}");
        let html = owner.follow(&answer).await.text().await.unwrap();
        assert!(token_secret_in(&html).is_some(), "from {from:?}: the secret is shown");
    }
    let answer = owner
        .submit(TOKENS_URL, app::webhooks::AddWebhook::PATH, &[("url", "https://hooks.example.com/x"), ("events", "*")])
        .await;
    assert_eq!(location(&answer), WEBHOOKS_URL);
    assert!(owner.follow(&answer).await.text().await.unwrap().contains("whsec_"));
    // A Referer of another site, or of no page, never leads away from this one.
    for referer in ["https://evil.example/app/settings/members", "http://evil.example", "//evil.example/x"] {
        let answer = owner
            .client
            .post(app.at(app::tokens::DeleteToken::PATH))
            .header("accept", NAVIGATION_ACCEPT)
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-mode", "navigate")
            .header(header::REFERER, referer)
            .form(&[("id", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&answer), TOKENS_URL, "{referer}");
    }
}

/// Leptos's client (and any program) asks for JSON: it gets the function's answer, as before.
async fn javascript_calls_are_not_redirected(app: TestApp) {
    let owner = app.setup_owner().await;
    for (accept, mode) in [("application/json", Some("cors")), ("application/json", None), ("*/*", None)] {
        let mut request = owner
            .client
            .post(app.at(app::tokens::CreateToken::PATH))
            .header("accept", accept)
            .header(header::REFERER, app.at(MEMBERS_URL))
            .form(&[("name", "js")]);
        if let Some(mode) = mode {
            request = request.header("sec-fetch-mode", mode);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{accept} {mode:?}");
        assert!(set_cookies(&answer).is_empty());
        let token: app::tokens::CreatedToken = answer.json().await.unwrap();
        assert!(token.secret.starts_with("tsr_"));
    }
    // A JSON call's redirect stays a header for the client to follow, not a 303.
    let js = app.browser().post::<app::auth::Login>(&[("email", OWNER), ("password", PASSWORD)]).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(js.headers()[header::LOCATION], TOKENS_URL);
}
