//! The attacks of the outside attack run, one test each, named after the attack. Each failed on the
//! code before the fix; each passes now. Keep them: a regression here is a hole.
//!
//! The attacks whose test needs another harness live beside it:
//! - the client's own `X-Forwarded-For` through nginx: `proxy.rs` (a real nginx running deploy/nginx.conf),
//!   `server/src/http/client.rs` (trusted-proxy parsing) and `core/src/identity.rs` (IPv6 grouped by /64);
//! - flooding the failure limiter with distinct addresses: `server/src/http/limiter.rs`;
//! - control bytes in every parameter of every route: `web_security.rs`
//!   (`control_bytes_in_any_parameter_of_any_route_never_panic`);
//! - `Sec-Fetch-Site: none` on a POST and `Cache-Control` of signed-in pages: `web_security.rs`;
//! - bidi and zero-width characters: `core/src/domain/text.rs`, and over HTTP in `tokens.rs`, `members.rs`
//!   and `accounts.rs` (`bad_*_input_is_explained_and_*`);
//! - a dropped PostgreSQL listener with the token cache on: `scale_out.rs`
//!   (`a_lost_notification_leaves_a_bounded_staleness`);
//! - `limit=abc` and values the OpenAPI document forbids: `rest.rs`; the whole API against its document:
//!   `scripts/api-fuzz.sh` (schemathesis), and every parser under cargo-fuzz: `fuzz/`.

use crate::helpers::{
    Api, Browser, OWNER, PASSWORD, ServerProcess, TestApp, TestDatabase, all, captured_logs, client, code_of,
    tessera_cli,
};
use reqwest::{Method, StatusCode, header};
use tessera_core::{
    ErrorKind,
    domain::token::RevokeReason,
    identity::{Caller, Origin},
    services::members,
};

on_both_backends!(
    cross_org_takeover_through_an_old_invitation_link,
    an_invitation_dies_with_the_membership_that_issued_it,
    open_redirect_after_sign_in,
    invitation_codes_in_the_logs,
    session_ids_and_passwords_in_the_logs,
    removing_a_member_only_suspended_their_tokens,
    others_failures_lock_a_valid_token_out,
    dns_rebinding_claims_first_run_setup,
    concurrent_sign_in_guesses_slip_past_the_limit,
    admins_learn_which_emails_have_accounts,
    an_error_message_injected_through_the_url,
    a_stale_role_authorises_a_member_change,
    first_run_setup_behind_a_reverse_proxy_needs_no_code,
    sign_in_limits_dodged_by_rotating_ipv6_addresses,
    sign_in_attempts_exhaust_the_servers_memory,
);
on_postgres!(removed_members_tokens_stay_dead_on_every_instance);

/// An admin of A invites an email with no account and keeps the link. Later B invites the same email
/// as admin. Before: B's membership attached to the account A's admin could claim with the old link.
/// Now: A's link creates an account that is a member of A only; B's invitation needs B's own link, and
/// holding the account's password is not enough to see B's.
async fn cross_org_takeover_through_an_old_invitation_link(app: TestApp) {
    let a_owner = app.setup_owner().await;
    let a_link = a_owner.invite("victim@example.com", "member").await.unwrap();
    let b_owner = app.person("b-owner@example.com").await;
    let b = app.org_owned_by("Beta", "b-owner@example.com").await;
    b_owner.switch_org(b).await.unwrap();
    let b_link = b_owner.invite("victim@example.com", "admin").await.unwrap();
    assert_ne!(code_of(&a_link), code_of(&b_link));
    // B sees its invitation pending: nothing was granted silently.
    assert_eq!(b_owner.members().await.unwrap().invitations.len(), 1);

    // A's admin claims the account through A's old link...
    let attacker = app.browser();
    attacker.accept(&code_of(&a_link), "attacker password").await.unwrap();
    // ...and has A, and only A.
    let session = attacker.session().await.unwrap().unwrap();
    assert_eq!(session.orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Acme"]);
    assert_eq!(attacker.switch_org(b).await.unwrap_err().status, StatusCode::NOT_FOUND);
    // Without B's link there is nothing to accept; A's used link is dead.
    assert_eq!(attacker.accept(&code_of(&a_link), "").await.unwrap_err().status, StatusCode::NOT_FOUND);
    // B's invitation still waits for the email's owner (who needs B's link, sent to them).
    assert_eq!(b_owner.members().await.unwrap().members.len(), 1);
}

/// An invitation was still valid after the person who issued it was removed (or demoted).
async fn an_invitation_dies_with_the_membership_that_issued_it(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let removed_later = admin.invite("one@example.com", "member").await.unwrap();
    let demoted_later = {
        let other_admin = app.member("admin2@example.com", "admin").await;
        other_admin.invite("two@example.com", "member").await.unwrap()
    };
    owner.remove_member(app.user_id("admin@example.com").await).await.unwrap();
    owner.change_role(app.user_id("admin2@example.com").await, "member").await.unwrap();
    for link in [&removed_later, &demoted_later] {
        let dead = app.browser().accept(&code_of(link), PASSWORD).await.unwrap_err();
        assert_eq!(dead.status, StatusCode::NOT_FOUND, "{}", link.email);
    }
    assert_eq!(app.count("org_invitations").await, 0);
}

/// `/login?next=/%09/evil.example/` answered `Location: /\t/evil.example/`, which browsers read as
/// `//evil.example`.
async fn open_redirect_after_sign_in(app: TestApp) {
    app.setup_owner().await;
    for next in [
        "/\t/evil.example/",
        "/%09/evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "https://evil.example",
        "/%252F/evil.example",
        " /\t/evil.example",
        "/\r\n/evil.example",
    ] {
        for browser in [app.browser()] {
            let js = browser.post("/rpc/auth/login", &[("email", OWNER), ("password", PASSWORD), ("next", next)]).await;
            assert_eq!(js.headers()[header::LOCATION], "/app/settings/api", "{next:?}");
            let form = browser
                .submit("/login", "/rpc/auth/login", &[("email", OWNER), ("password", PASSWORD), ("next", next)])
                .await;
            assert_eq!(form.headers()[header::LOCATION], "/app/settings/api", "{next:?}");
        }
    }
    // A same-site path survives.
    let kept = app
        .browser()
        .submit(
            "/login",
            "/rpc/auth/login",
            &[("email", OWNER), ("password", PASSWORD), ("next", "/app/settings/members")],
        )
        .await;
    assert_eq!(kept.headers()[header::LOCATION], "/app/settings/members");
}

/// Every request's log line carried its path, and the invitation is `/invite/{code}`.
async fn invitation_codes_in_the_logs(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut codes = Vec::new();
    for i in 0..4 {
        let invited = owner.invite(&format!("p{i}@example.com"), "member").await.unwrap();
        let code = code_of(&invited);
        let browser = app.browser();
        assert_eq!(browser.get(&format!("/invite/{code}")).await.status(), StatusCode::OK);
        browser
            .submit(
                &format!("/invite/{code}"),
                "/rpc/auth/accept-invitation",
                &[("code", &code), ("password", "short")],
            )
            .await;
        browser.accept(&code, PASSWORD).await.unwrap();
        codes.push(code);
    }
    let unknown = "A".repeat(43);
    app.browser().get(&format!("/invite/{unknown}")).await;
    codes.push(unknown);
    let metrics = client().get(app.at("/metrics")).send().await.unwrap().text().await.unwrap();
    app.server.log.flush();
    let logs = captured_logs();
    for code in &codes {
        assert!(!logs.contains(code.as_str()), "an invitation code is in the logs");
        assert!(!metrics.contains(code.as_str()), "an invitation code is in a metric label");
    }
    assert!(logs.contains("path=/invite/[redacted]"), "invitation visits are logged, redacted");
}

/// The other secrets a request carries: the session cookie, the password of a sign-in (right or wrong)
/// and a token secret. None may reach a log line or a metric, whatever the request does with them.
async fn session_ids_and_passwords_in_the_logs(app: TestApp) {
    let owner = app.setup_owner().await;
    let secret = owner.token("ci").await.secret;
    let browser = app.browser();
    let wrong = "wrong-guess-Zq81xT";
    browser.post("/rpc/auth/login", &[("email", OWNER), ("password", wrong)]).await;
    let signed_in = browser.post("/rpc/auth/login", &[("email", OWNER), ("password", PASSWORD)]).await;
    let session = signed_in
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("tessera_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|v| !v.is_empty())
        .expect("a session cookie");
    // The session used for a page, a server function, a refused cross-site post, and a page that fails.
    for path in ["/app/settings/api", "/app/settings/members", "/app/settings/nowhere"] {
        browser.get(path).await;
    }
    browser.post("/rpc/tokens/list", &[]).await;
    client()
        .post(app.at("/rpc/tokens/create"))
        .header(header::COOKIE, format!("tessera_session={session}"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    // The token secret sent where it doesn't belong, and with a wrong id.
    client().get(app.at(&format!("/app/settings/api?secret={secret}"))).send().await.unwrap();
    client()
        .get(app.at("/api/v1/whoami"))
        .header("X-ZeroPath-API-Token-Id", uuid::Uuid::new_v4().to_string())
        .header("X-ZeroPath-API-Token-Secret", &secret)
        .send()
        .await
        .unwrap();
    let metrics = client().get(app.at("/metrics")).send().await.unwrap().text().await.unwrap();
    app.server.log.flush();
    let logs = captured_logs();
    for (what, value) in [("session id", session.as_str()), ("password", PASSWORD), ("password", wrong)] {
        assert!(!logs.contains(value), "a {what} is in the logs");
        assert!(!metrics.contains(value), "a {what} is in a metric label");
    }
    let body = &secret[secret.len() - 20..];
    assert!(!metrics.contains(body), "a token secret is in a metric label");
    assert!(!logs.contains(body), "a token secret is in the logs (even one put in a query string)");
}

/// Removing a member suspended their tokens; adding them back revived every one (stolen ones too).
async fn removing_a_member_only_suspended_their_tokens(app: TestApp) {
    let owner = app.setup_owner().await;
    let member = app.member("member@example.com", "member").await;
    let token = app.api(&member.token("laptop").await);
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    let member_id = app.user_id("member@example.com").await;
    owner.remove_member(member_id).await.unwrap();
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // Back in the organization: the old token stays dead.
    members::operator_add_member(&app.core, app.org("Acme").await, member_id, "member".parse().unwrap()).await.unwrap();
    assert_eq!(token.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // The list says what happened to it.
    let revoked = owner.tokens_page().await.unwrap().revoked.items;
    let row = revoked.iter().find(|t| t.token.id.to_string() == token.id).expect("listed as revoked");
    assert_eq!(row.token.revoked_reason, Some(RevokeReason::MemberRemoved));
    assert_eq!(RevokeReason::MemberRemoved.explanation(), "Its creator was removed from the organization");
}

/// The same across two instances on PostgreSQL, with the token cached on the other one.
async fn removed_members_tokens_stay_dead_on_every_instance() {
    let db = TestDatabase::create(crate::helpers::Backend::Postgres).await.unwrap();
    let a = TestApp::spawn_on(db, |c| c.token_cache = tessera::config::TokenCache::On).await;
    let key = std::fs::read_to_string(a.db.data_dir.path().join("secret.key")).unwrap();
    let b = TestApp::spawn_on(a.db.shared_view(), |c| {
        c.secret_key = Some(key.trim().to_owned());
        c.token_cache = tessera::config::TokenCache::On;
    })
    .await;
    let owner = a.setup_owner().await;
    let member = a.member("member@example.com", "member").await;
    assert!(crate::helpers::soon(async || a.core.verifier.cache_live() && b.core.verifier.cache_live()).await);
    let on_b = Api { url: b.url.clone(), ..a.api(&member.token("t").await) };
    assert_eq!(on_b.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "cached on B");
    let id = a.user_id("member@example.com").await;
    owner.remove_member(id).await.unwrap();
    assert!(
        crate::helpers::soon(async || on_b.status(Method::GET, "/api/v1/whoami").await == StatusCode::UNAUTHORIZED)
            .await
    );
    members::operator_add_member(&a.core, a.org("Acme").await, id, "member".parse().unwrap()).await.unwrap();
    assert_eq!(on_b.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

/// 30 failures a minute from a shared address (NAT, CI egress, one proxy) made every valid token from
/// there get 429; failures naming a token's (public) id could lock its integration out.
async fn others_failures_lock_a_valid_token_out(app: TestApp) {
    let owner = app.setup_owner().await;
    let victim = app.api(&owner.token("ci").await);
    let other_secret = owner.token("other").await.secret;
    // Others behind the same address fail, and someone sends wrong secrets with the victim's id.
    let forged = Api { secret: other_secret, ..victim.clone() };
    let stranger = Api { id: uuid::Uuid::new_v4().to_string(), ..forged.clone() };
    for _ in 0..40 {
        forged.status(Method::GET, "/api/v1/whoami").await;
        stranger.status(Method::GET, "/api/v1/whoami").await;
    }
    assert_eq!(
        forged.status(Method::GET, "/api/v1/whoami").await,
        StatusCode::TOO_MANY_REQUESTS,
        "failures are limited"
    );
    // The valid token is served, every time.
    for _ in 0..20 {
        assert_eq!(victim.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
}

/// Setup with `Host: rebind.attacker.example` and `Sec-Fetch-Site: same-origin` succeeded; and on a
/// non-loopback address, whoever found the server first became its owner.
async fn dns_rebinding_claims_first_run_setup(app: TestApp) {
    let rebound = client()
        .post(app.at("/rpc/auth/setup"))
        .header(header::HOST, "rebind.attacker.example")
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "attacker@example.com"), ("password", PASSWORD), ("organization", "Pwned")])
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("users").await, 0);

    // Listening beyond loopback: setup needs the operator's one-time code.
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| c.listen = "0.0.0.0:0".parse().unwrap()).await;
    let url = app.url.replace("0.0.0.0", "127.0.0.1");
    let browser = Browser { url: url.clone(), client: client() };
    let page = browser.get("/setup").await.text().await.unwrap();
    assert!(page.contains("Setup code"), "the form asks for the code");
    let refused = browser.setup("attacker@example.com", PASSWORD, "Pwned").await.unwrap_err();
    assert_eq!(refused.field(), Some("setup_code"));
    assert!(refused.message().contains("tessera setup-code"));
    let wrong = browser
        .call::<()>(
            "/rpc/auth/setup",
            &[("email", "a@example.com"), ("password", PASSWORD), ("organization", "X"), ("setup_code", "guess")],
        )
        .await;
    assert_eq!(wrong.unwrap_err().field(), Some("setup_code"));
    assert_eq!(app.count("users").await, 0);
    // The operator prints the code; the file holding it is private.
    let out = tessera_cli(&app.db, &["setup-code"], "", &[]);
    assert!(out.status.success());
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.db.data_dir.path().join("setup-code")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    browser
        .call::<()>(
            "/rpc/auth/setup",
            &[("email", OWNER), ("password", PASSWORD), ("organization", "Acme"), ("setup_code", &code)],
        )
        .await
        .unwrap();
    app.server.log.flush();
    assert!(!captured_logs().contains(&code), "the setup code is in the logs");
}

/// 36 concurrent wrong guesses: 34 were checked, none refused (counted after hashing).
async fn concurrent_sign_in_guesses_slip_past_the_limit(app: TestApp) {
    app.setup_owner().await;
    let attempts = (0..36).map(|_| {
        let browser = app.browser();
        async move { browser.login(OWNER, "a wrong guess").await.unwrap_err().kind() }
    });
    let outcomes = all(attempts).await;
    let checked = outcomes.iter().filter(|k| **k == ErrorKind::Invalid).count() as i64;
    let refused = outcomes.iter().filter(|k| **k == ErrorKind::RateLimited).count();
    assert!(checked <= tessera_core::services::accounts::IP_FAILURES_ALLOWED, "{checked} guesses were checked");
    assert_eq!(checked as usize + refused, 36);
}

/// An invitation answered with a link for unknown emails and with nothing for known ones.
async fn admins_learn_which_emails_have_accounts(app: TestApp) {
    let owner = app.setup_owner().await;
    app.person("known@example.com").await;
    let known = owner.invite("known@example.com", "member").await.unwrap();
    let unknown = owner.invite("unknown@example.com", "member").await.unwrap();
    assert_eq!(known.link.as_ref().map(String::len), unknown.link.as_ref().map(String::len));
    let (known_page, unknown_page) = (owner.members().await.unwrap(), owner.members().await.unwrap());
    assert_eq!(known_page, unknown_page);
    assert_eq!(known_page.invitations.len(), 2, "both pending, alike");
}

/// `?__path=…&__err=<base64 JSON>` on any URL rendered attacker-chosen text in an error alert.
async fn an_error_message_injected_through_the_url(app: TestApp) {
    app.setup_owner().await;
    let injected = "Your account is locked. Call +1 555 0100 to unlock it.";
    let json = format!("{{\"error\":\"invalid\",\"message\":\"{injected}\",\"field\":\"password\"}}");
    use base64_url_encode as b64;
    for page in ["/login", "/setup", "/app/settings/api"] {
        let url = format!("{page}?__path=/rpc/auth/login&__err={}&__path2=x", b64(&json));
        let html = app.browser().get(&url).await.text().await.unwrap();
        assert!(!html.contains("Call +1 555"), "{page} shows text from the URL");
    }
}

fn base64_url_encode(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Role checks for member changes used the actor's role as read before the transaction: an admin
/// demoted a moment ago could still act as one.
async fn a_stale_role_authorises_a_member_change(app: TestApp) {
    let owner = app.setup_owner().await;
    app.member("admin@example.com", "admin").await;
    app.member("target@example.com", "member").await;
    let acme = app.org("Acme").await;
    let admin = members::member_of(&app.core, acme, app.user_id("admin@example.com").await).await.unwrap().unwrap();
    let stale = Caller::dashboard(admin, Origin::default());
    owner.change_role(app.user_id("admin@example.com").await, "member").await.unwrap();
    let target = app.user_id("target@example.com").await;
    let refused = members::remove(&app.core, &stale, target).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    let refused = members::invite(
        &app.core,
        &stale,
        &tessera_core::domain::account::Email::parse("x@example.com").unwrap(),
        "viewer".parse().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert_eq!(owner.members().await.unwrap().members.len(), 3, "nothing changed");
}

/// Types holding secrets derived `Debug`; a future log line could have printed them.
#[test]
fn secret_holding_types_print_no_secret() {
    let secret = tessera_core::secret::TokenSecret::generate(&Default::default());
    assert!(!format!("{secret:?}").contains(&secret.expose()[4..]));
    let password = tessera_core::domain::account::Password::parse("hunter2hunter2".into()).unwrap();
    assert!(!format!("{password:?}").contains("hunter2"));
    let created = app::tokens::CreatedToken {
        id: tessera_core::ids::TokenId::new_random(),
        name: None,
        secret: "tsr_SECRETSECRET".into(),
        created_at: tessera_core::time::Timestamp(0),
        expires_at: tessera_core::time::Timestamp(0),
        base_url: String::new(),
        id_header: String::new(),
        secret_header: String::new(),
    };
    assert!(!format!("{created:?}").contains("SECRETSECRET"));
    let invited = app::orgs::Invited {
        email: "a@example.com".into(),
        role: "member".parse().unwrap(),
        link: Some("https://x/invite/CODECODE".into()),
    };
    assert!(!format!("{invited:?}").contains("CODECODE"));
    let mut config = tessera::startup::ServerConfig::local("/tmp".into(), "postgres://u:dbpassword@h/db".into());
    config.secret_key = Some("ab".repeat(32));
    let printed = format!("{config:?}");
    assert!(!printed.contains("dbpassword") && !printed.contains(&"ab".repeat(32)), "{printed}");
    let key = tessera_core::crypto::ServerKey::generate();
    assert!(!format!("{key:?}").contains(key.to_hex().as_str()));
    assert!(!format!("{:?}", app::state::SetupGate::with_code("opensesame")).contains("opensesame"));
}

/// The usual nginx-on-the-same-host layout: Tessera on 127.0.0.1, `TESSERA_PUBLIC_URL` elsewhere and the
/// proxy trusted. Every request arrived from loopback and setup asked for no code, so the first visitor
/// on the internet became owner in one click. Now setup asks for the operator's code unless the listen
/// address, the public URL and the trusted proxies all say that only this machine can reach the server:
/// any one of them alone is enough to ask.
async fn first_run_setup_behind_a_reverse_proxy_needs_no_code(app: TestApp) {
    type Layout = fn(&mut tessera::startup::ServerConfig);
    let public_url: Layout = |c| c.web.public_origin = Some("https://tessera.example.com".into());
    let proxy: Layout = |c| c.proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let layouts: [(&str, Layout); 4] = [
        ("public URL alone", public_url),
        ("trusted proxy alone", proxy),
        ("listening beyond loopback", |c| c.listen = "0.0.0.0:0".parse().unwrap()),
        ("public URL and trusted proxy (the nginx layout)", |c| {
            c.web.public_origin = Some("https://tessera.example.com".into());
            c.proxies = vec!["127.0.0.1/32".parse().unwrap()];
        }),
    ];
    let mut db = app.stop().await;
    for (layout, configure) in layouts {
        let app = TestApp::spawn_on(db, configure).await;
        let url = app.url.replace("0.0.0.0", "127.0.0.1");
        // The Host a browser sends: the public URL's, or the address it was given.
        let public_host = app.server.app.web.public_origin.as_deref().map(|o| o.trim_start_matches("https://"));
        let host = public_host.unwrap_or(url.trim_start_matches("http://")).to_owned();
        let setup = |code: &str| {
            let form =
                [("email", "first@example.com"), ("password", PASSWORD), ("organization", "X"), ("setup_code", code)];
            let request = client().post(format!("{url}/rpc/auth/setup")).header(header::HOST, &host);
            request.header("accept", "application/json").form(&form).send()
        };
        let refused = setup("").await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{layout}");
        let body: tessera_core::ErrorBody = refused.json().await.unwrap();
        assert_eq!(body.field.as_deref(), Some("setup_code"), "{layout}: {body:?}");
        assert_eq!(app.count("users").await, 0, "{layout}");
        // The operator's code opens it (through the proxy too).
        let code = app.setup_code();
        assert!(!code.is_empty(), "{layout}");
        if layout.contains("nginx") {
            assert_eq!(setup(&code).await.unwrap().status(), StatusCode::OK, "{layout}");
            assert_eq!(app.count("users").await, 1);
        }
        db = app.stop().await;
    }
}

/// One IPv6 subscriber holds a whole /64: a new address for every guess dodged the sign-in limit of 20
/// failures per address, which was keyed on the exact address (the API's limits already grouped by /64).
/// The addresses are `X-Forwarded-For` values from the trusted proxy on loopback, never contacted.
async fn sign_in_limits_dodged_by_rotating_ipv6_addresses(app: TestApp) {
    use tessera_core::services::accounts::IP_FAILURES_ALLOWED;
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| c.proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    app.setup_owner().await;
    let attempt = |from: String, email: &'static str, password: &'static str| {
        let request = client().post(app.at("/rpc/auth/login")).header("x-forwarded-for", from);
        async move { request.form(&[("email", email), ("password", password)]).send().await.unwrap().status() }
    };
    for i in 0..IP_FAILURES_ALLOWED {
        let from = format!("2001:db8:1:2:{i:x}::{i:x}");
        assert_eq!(attempt(from, "nobody@example.com", "guess").await, StatusCode::UNPROCESSABLE_ENTITY, "{i}");
    }
    // The next address of the same /64 is limited, even with the right password.
    assert_eq!(attempt("2001:db8:1:2:ffff::1".into(), OWNER, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    // Another /64 is someone else.
    assert_eq!(attempt("2001:db8:1:3::1".into(), OWNER, PASSWORD).await, StatusCode::OK);
}

/// Each sign-in attempt's 19 MiB of argon2 working memory stayed in the process (RSS 20 MiB idle, 418 MiB
/// after 25 failed attempts, 574 MiB after about 60, never given back): 20 attempts per address every 15
/// minutes run a small VM out of memory. Now a fixed set of hashing threads reuses its memory. A server
/// process of its own (its memory is its own), read from `/proc`; 60 attempts for emails without an
/// account (each hashed against the dummy hash), 10 at a time, from addresses of their own behind the
/// trusted proxy. `make bench-memory` measures 1,000 on a release build.
async fn sign_in_attempts_exhaust_the_servers_memory(app: TestApp) {
    const BOUND_KIB: u64 = 200 * 1024;
    let db = app.stop().await;
    let server = ServerProcess::start_with(&db, &[("TESSERA_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let rss_kib = |pid: u32| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().to_owned();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    let pid = server.child.id().unwrap();
    for round in 0..6 {
        let attempts = (0..10).map(|i| {
            let request = client()
                .post(format!("{}/rpc/auth/login", server.url))
                .header("x-forwarded-for", format!("127.66.{round}.{}", i + 1))
                .form(&[("email", format!("nobody{round}-{i}@example.com")), ("password", "a wrong password".into())]);
            async move { request.send().await.unwrap().status() }
        });
        assert!(all(attempts).await.iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY));
    }
    let rss = rss_kib(pid);
    assert!(rss < BOUND_KIB, "the server holds {} MiB after 60 sign-in attempts", rss / 1024);
    server.kill().await;
}
