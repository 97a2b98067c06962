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
    Api, Browser, OWNER, PASSWORD, ServerProcess, TestApp, TestDatabase, all, captured_logs, client, code_of, soon,
    tessera_cli,
};
use crate::support::{Receiver, Silent, SmtpSink, eventually, notifying};
use app::routes::{LOGIN_URL, MEMBERS_URL, SETUP_URL, TOKENS_URL, WEBHOOKS_URL};
use leptos::server_fn::ServerFn;
use reqwest::{Method, StatusCode, header};
use tessera_core::{
    ErrorKind,
    domain::token::RevokeReason,
    identity::{Caller, Origin},
    services::members,
    time::{DAY_MS, HOUR_MS},
};

tessera_core::on_each_engine!(crate::helpers::on_app =>
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
    an_admin_rotates_an_owners_token_and_acts_as_the_owner,
    a_leaked_token_mints_secrets_for_its_creators_other_tokens,
    a_rotated_away_secret_takes_over_its_successor,
    a_leaked_token_renews_itself_through_rotation,
    revoking_a_successor_leaves_its_predecessor_alive,
    rotating_without_grace_switches_reuse_detection_off,
    a_double_submitted_rotation_kills_the_new_secret,
    viewers_rotate_their_tokens_but_cannot_delete_them,
    rotation_in_the_dashboard_shortens_the_lifetime,
    the_openapi_document_calls_a_required_field_optional,
    a_token_rotating_in_a_loop_outlives_its_revocation,
    the_unused_token_sweep_leaves_a_predecessor_alive,
    webhook_ssrf_through_url_parser_differences,
    the_delivery_log_tells_open_ports_from_closed,
    a_removed_admins_webhook_keeps_receiving_events,
    a_slow_webhook_endpoint_delays_security_emails,
    invitation_email_flood,
    encoded_words_in_a_token_name_spoof_an_email_subject,
    a_retried_cli_rotation_kills_the_new_token,
    the_cli_revokes_a_members_tokens_without_telling_them,
    the_cli_creates_a_database_where_it_was_not_asked,
    the_cli_panics_on_a_closed_pipe,
    first_run_setup_behind_a_reverse_proxy_needs_no_code,
    sign_in_limits_dodged_by_rotating_ipv6_addresses,
    sign_in_attempts_exhaust_the_servers_memory,
);
tessera_core::on_each_engine!(postgres only, crate::helpers::on_database => removed_members_tokens_stay_dead_on_every_instance);

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
            let js =
                browser.post::<app::auth::Login>(&[("email", OWNER), ("password", PASSWORD), ("next", next)]).await;
            assert_eq!(js.headers()[header::LOCATION], TOKENS_URL, "{next:?}");
            let form = browser
                .submit(LOGIN_URL, app::auth::Login::PATH, &[("email", OWNER), ("password", PASSWORD), ("next", next)])
                .await;
            assert_eq!(form.headers()[header::LOCATION], TOKENS_URL, "{next:?}");
        }
    }
    // A same-site path survives.
    let kept = app
        .browser()
        .submit(LOGIN_URL, app::auth::Login::PATH, &[("email", OWNER), ("password", PASSWORD), ("next", MEMBERS_URL)])
        .await;
    assert_eq!(kept.headers()[header::LOCATION], MEMBERS_URL);
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
                app::auth::AcceptInvitation::PATH,
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
    browser.post::<app::auth::Login>(&[("email", OWNER), ("password", wrong)]).await;
    let signed_in = browser.post::<app::auth::Login>(&[("email", OWNER), ("password", PASSWORD)]).await;
    let session = signed_in
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("tessera_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|v| !v.is_empty())
        .expect("a session cookie");
    // The session used for a page, a server function, a refused cross-site post, and a page that fails.
    for path in [TOKENS_URL, MEMBERS_URL, "/app/settings/nowhere"] {
        browser.get(path).await;
    }
    browser.post::<app::tokens::TokensOverview>(&[]).await;
    client()
        .post(app.at(app::tokens::CreateToken::PATH))
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
async fn removed_members_tokens_stay_dead_on_every_instance(db: TestDatabase) {
    let a = TestApp::spawn_on(db, |c| c.token_cache = tessera::config::TokenCacheSetting::On).await;
    let key = std::fs::read_to_string(a.db.data_dir.path().join("secret.key")).unwrap();
    let b = TestApp::spawn_on(a.db.shared_view(), |c| {
        c.secret_key = Some(key.trim().to_owned());
        c.token_cache = tessera::config::TokenCacheSetting::On;
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
        .post(app.at(app::auth::Setup::PATH))
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
    let page = browser.get(SETUP_URL).await.text().await.unwrap();
    assert!(page.contains("Setup code"), "the form asks for the code");
    let refused = browser.setup("attacker@example.com", PASSWORD, "Pwned").await.unwrap_err();
    assert_eq!(refused.field(), Some("setup_code"));
    assert!(refused.message().contains("tessera setup-code"));
    let wrong = browser
        .call::<app::auth::Setup>(&[
            ("email", "a@example.com"),
            ("password", PASSWORD),
            ("organization", "X"),
            ("setup_code", "guess"),
        ])
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
        .call::<app::auth::Setup>(&[
            ("email", OWNER),
            ("password", PASSWORD),
            ("organization", "Acme"),
            ("setup_code", &code),
        ])
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
    for page in [LOGIN_URL, SETUP_URL, TOKENS_URL] {
        let url = format!("{page}?__path={}&__err={}&__path2=x", app::auth::Login::PATH, b64(&json));
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

async fn events_of(app: &TestApp, event_type: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(app.core.db.pool())
        .await
        .unwrap()
}

fn rotate_path(id: &impl std::fmt::Display) -> String {
    format!("/api/v1/tokens/{id}/rotate")
}

type Rotated = tessera::http::api::json::RotatedTokenJson;

/// Round 3, high: an admin pressed Rotate on an owner's token (or called the API with their own admin
/// token) and received a secret that answered as the owner. Now nobody but a token's creator obtains a
/// successor's secret, whatever their role; admins may still delete the token.
async fn an_admin_rotates_an_owners_token_and_acts_as_the_owner(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let owners_token = owner.token("owner's deploy key").await;
    let admin = app.member("admin@example.com", "admin").await;
    let member = app.member("dev@example.com", "member").await;
    let tokens_before = app.count("api_tokens").await;

    // Every other role, in the dashboard: refused, no secret, nothing changed.
    for other in [&admin, &member] {
        let refused = other.rotate_token(&owners_token.id.to_string(), "24h").await.unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
        assert!(refused.message().contains("Only a token's creator can rotate it"), "{refused:?}");
    }
    // The owner can't rotate an admin's token either: the rule is about whose identity, not rank.
    let admins_token = admin.token("admin's key").await;
    let refused = owner.rotate_token(&admins_token.id.to_string(), "24h").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Through the API, with the admin's own token, by the owner's token's id.
    let admin_api = app.api(&admins_token);
    let refused = admin_api.post_json::<Rotated>(&rotate_path(&owners_token.id), serde_json::json!({})).await;
    assert_eq!(refused.unwrap_err().status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("api_tokens").await, tokens_before + 1, "only the admin's own token was added");

    // The owner's token is untouched: no grace period, nobody else's secret acts as the owner.
    let owner_api = app.api(&owners_token);
    assert_eq!(owner_api.whoami().await.unwrap().role, "owner");
    let as_admin = admin.list_tokens(None).await.unwrap().items;
    let row = as_admin.iter().find(|t| t.token.id == owners_token.id).unwrap();
    assert!(row.token.grace_until.is_none() && row.token.replaced_by.is_none());
    assert!(!row.can_rotate && row.can_delete, "admins may delete anyone's token, never rotate it");
    let as_owner = owner.list_tokens(None).await.unwrap().items;
    assert!(as_owner.iter().find(|t| t.token.id == owners_token.id).unwrap().can_rotate);
    assert!(!as_owner.iter().find(|t| t.token.id == admins_token.id).unwrap().can_rotate);
    assert_eq!(events_of(&app, "token.rotated").await, 0);
    // Deleting it is still the admin's to do (the owner is told, as before).
    admin.delete_token(&owners_token.id.to_string()).await.unwrap();
    assert_eq!(owner_api.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

/// Round 3, medium: with API rotation on, a leaked member token rotated the member's other token and
/// kept the fresh secret, which outlived deleting the leaked one. Through the API a token rotates only
/// itself.
async fn a_leaked_token_mints_secrets_for_its_creators_other_tokens(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let member = app.member("dev@example.com", "member").await;
    let leaked = app.api(&member.token("leaked").await);
    let other = member.token("production").await;
    for path in [rotate_path(&other.id)] {
        let refused = leaked.post_json::<Rotated>(&path, serde_json::json!({"expires_in_days": 365})).await;
        let refused = refused.unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.message().contains("rotates only itself"), "{refused:?}");
    }
    let rows = member.list_tokens(None).await.unwrap().items;
    let production = rows.iter().find(|t| t.token.id == other.id).unwrap();
    assert!(production.token.replaced_by.is_none(), "the other token was not rotated");
    assert_eq!(member.list_tokens(None).await.unwrap().items.len(), 2, "no token was added");
    assert_eq!(app.api(&other).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
}

/// Round 3, medium: the holder of a rotated-away secret, during its grace period, read `replaced_by`
/// and rotated the successor, keeping a fresh secret while the legitimate one became a grace token. A
/// replaced token now works for plain use only.
async fn a_rotated_away_secret_takes_over_its_successor(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let member = app.member("dev@example.com", "member").await;
    let created = member.token("ci").await;
    let old = app.api(&created);
    let rotated: Rotated =
        old.post_json("/api/v1/tokens/current/rotate", serde_json::json!({"grace": "24h"})).await.unwrap();
    let successor = Api { id: rotated.id.clone(), secret: rotated.secret.clone(), ..old.clone() };

    // Plain use still works during the grace period...
    assert_eq!(old.whoami().await.unwrap().role, "member");
    // ...but the old secret can't read, rotate or end its family.
    let attempts = [
        (Method::GET, format!("/api/v1/tokens/{}", rotated.id)),
        (Method::GET, format!("/api/v1/tokens/{}", created.id)),
        (Method::GET, "/api/v1/tokens".to_owned()),
        (Method::POST, rotate_path(&rotated.id)),
        (Method::DELETE, format!("/api/v1/tokens/{}", rotated.id)),
    ];
    for (method, path) in attempts {
        assert_eq!(old.status(method.clone(), &path).await, StatusCode::FORBIDDEN, "{method} {path}");
    }
    for path in ["/api/v1/tokens/current/rotate".to_owned(), rotate_path(&created.id)] {
        let again = old.post_json::<Rotated>(&path, serde_json::json!({})).await.unwrap_err();
        assert_eq!(again.status, StatusCode::CONFLICT, "{path}");
    }
    // The successor is untouched and keeps its full rights.
    assert_eq!(successor.whoami().await.unwrap().role, "member");
    let listed = member.list_tokens(None).await.unwrap().items;
    let row = listed.iter().find(|t| t.token.id.to_string() == rotated.id).unwrap();
    assert!(row.token.replaced_by.is_none() && row.token.grace_until.is_none());
    assert_eq!(successor.status(Method::GET, &format!("/api/v1/tokens/{}", rotated.id)).await, StatusCode::OK);
    assert_eq!(events_of(&app, "token.rotated").await, 1);
    assert_eq!(events_of(&app, "token.exposed").await, 0, "refusing is not punishing");
}

/// Round 3, medium: a rotation through the API gave the successor a fresh lifetime, so a leaked token
/// could renew itself for ever despite "fixed expiration, no automatic renewal".
async fn a_leaked_token_renews_itself_through_rotation(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let created = owner.create_token("short-lived", "7").await.unwrap();
    app.clock.advance_ms(5 * DAY_MS);
    let api = app.api(&created);
    let asked_more: Rotated =
        api.post_json("/api/v1/tokens/current/rotate", serde_json::json!({"expires_in_days": 365})).await.unwrap();
    assert_eq!(
        tessera_core::time::Timestamp::parse_rfc3339(&asked_more.expires_at),
        Some(created.expires_at),
        "never past the rotated token's own expiry"
    );
    let next = Api { id: asked_more.id.clone(), secret: asked_more.secret.clone(), ..api.clone() };
    let by_default: Rotated = next.post_json("/api/v1/tokens/current/rotate", serde_json::json!({})).await.unwrap();
    assert_eq!(tessera_core::time::Timestamp::parse_rfc3339(&by_default.expires_at), Some(created.expires_at));
    // A shorter lifetime may be asked for.
    let last = Api { id: by_default.id.clone(), secret: by_default.secret.clone(), ..api.clone() };
    let shorter: Rotated =
        last.post_json("/api/v1/tokens/current/rotate", serde_json::json!({"expires_in_days": 1})).await.unwrap();
    assert_eq!(tessera_core::time::Timestamp::parse_rfc3339(&shorter.expires_at), Some(app.clock.now().plus_days(1)));
    app.clock.advance_ms(2 * DAY_MS);
    let newest = Api { id: shorter.id.clone(), secret: shorter.secret.clone(), ..api.clone() };
    assert_eq!(newest.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "the family expired");
}

/// Round 3, medium: after a leak, a person deleted the new token, but the rotated-away secret kept
/// answering until its grace period ended. Deleting any token of a family ends them all.
async fn revoking_a_successor_leaves_its_predecessor_alive(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    for (who_deletes, which) in [(&owner, "successor"), (&owner, "old"), (&admin, "successor")] {
        let created = owner.token(&format!("deleted {which}")).await;
        let rotated = owner.rotate_token(&created.id.to_string(), "7d").await.unwrap();
        let (old, new) = (app.api(&created), app.api(&rotated.successor));
        assert_eq!(old.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
        let target = if which == "old" { created.id } else { rotated.successor.id };
        who_deletes.delete_token(&target.to_string()).await.unwrap();
        assert_eq!(old.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "{which}");
        assert_eq!(new.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "{which}");
        let page = owner.tokens_page().await.unwrap();
        assert!(!page.active.items.iter().any(|t| t.token.id == created.id || t.token.id == rotated.successor.id));
    }
    // A token deleting itself through the API ends its family too.
    owner.set_policy("365", "30", "", true).await.unwrap();
    let created = owner.token("self-deleting").await;
    let api = app.api(&created);
    let rotated: Rotated =
        api.post_json("/api/v1/tokens/current/rotate", serde_json::json!({"grace": "7d"})).await.unwrap();
    let successor = Api { id: rotated.id.clone(), secret: rotated.secret.clone(), ..api.clone() };
    assert_eq!(successor.status(Method::DELETE, "/api/v1/tokens/current").await, StatusCode::NO_CONTENT);
    assert_eq!(api.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}

/// Round 3, low: rotating with grace "none" (what people choose when they suspect a leak) revoked the
/// old secret at once, and a later use of it was just "revoked": no exposure, no alert.
async fn rotating_without_grace_switches_reuse_detection_off(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.token("suspected leak").await;
    let rotated = owner.rotate_token(&created.id.to_string(), "none").await.unwrap();
    let new = app.api(&rotated.successor);
    assert_eq!(new.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // Someone else presents the old secret.
    for _ in 0..3 {
        assert_eq!(app.api(&created).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(events_of(&app, "token.exposed").await, 1, "recorded once, however often it is tried");
    assert_eq!(new.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "its family is revoked");
    let revoked = owner.tokens_page().await.unwrap().revoked.items;
    let successor = revoked.iter().find(|t| t.token.id == rotated.successor.id).unwrap();
    assert_eq!(successor.token.revoked_reason, Some(RevokeReason::ReuseDetected));
    // A wrong secret with the old id is not a use of it.
    let other = owner.token("other").await;
    owner.rotate_token(&other.id.to_string(), "none").await.unwrap();
    let forged = Api { secret: owner.token("forger").await.secret, ..app.api(&other) };
    assert_eq!(forged.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    assert_eq!(events_of(&app, "token.exposed").await, 1);
}

/// Round 3, low: a double-submitted Rotate (or two CI jobs) saw "already rotated", revoked the whole
/// family and killed the secret the first request had just returned. Now the second is refused and
/// changes nothing.
async fn a_double_submitted_rotation_kills_the_new_secret(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.token("twice").await;
    let id = created.id.to_string();
    let (first, second) = tokio::join!(owner.rotate_token(&id, "24h"), owner.rotate_token(&id, "24h"));
    let (won, lost) = match (first, second) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one rotation must win: {other:?}"),
    };
    assert_eq!(lost.status, StatusCode::CONFLICT, "{lost:?}");
    assert!(lost.message().contains("already rotated"), "{lost:?}");
    let again = owner.rotate_token(&id, "none").await.unwrap_err();
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(app.api(&won.successor).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert_eq!(app.api(&created).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "its grace goes on");
    assert_eq!(events_of(&app, "token.exposed").await, 0);
    assert_eq!(events_of(&app, "token.rotated").await, 1);
}

/// Round 3, low: viewers' tokens could rotate themselves while viewers could not delete their own
/// tokens, although deleting only takes access away. Everyone may rotate and delete their own tokens.
async fn viewers_rotate_their_tokens_but_cannot_delete_them(app: TestApp) {
    let _owner = app.setup_owner().await;
    let viewer = app.member("viewer@example.com", "viewer").await;
    let lost = viewer.token("lost laptop").await;
    let kept = viewer.token("kept").await;
    let listed = viewer.list_tokens(None).await.unwrap().items;
    assert!(listed.iter().all(|t| t.can_delete && t.can_rotate), "{listed:?}");
    viewer.delete_token(&lost.id.to_string()).await.unwrap();
    assert_eq!(app.api(&lost).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    let rotated = viewer.rotate_token(&kept.id.to_string(), "none").await.unwrap();
    assert_eq!(app.api(&rotated.successor).whoami().await.unwrap().role, "viewer", "never more than the viewer");
    // Others' tokens stay out of reach.
    let other = app.member("dev@example.com", "member").await.token("dev's").await;
    assert_eq!(viewer.delete_token(&other.id.to_string()).await.unwrap_err().status, StatusCode::FORBIDDEN);
}

/// Round 3, low: rotating in the dashboard gave the successor the organization's default lifetime (a
/// 90-day token became a 30-day one). The successor keeps the original's lifetime unless its creator
/// chooses another within the policy.
async fn rotation_in_the_dashboard_shortens_the_lifetime(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.create_token("quarterly", "90").await.unwrap();
    app.clock.advance_ms(10 * DAY_MS);
    owner.login(OWNER, PASSWORD).await.unwrap();
    let rotated = owner.rotate_token(&created.id.to_string(), "1h").await.unwrap();
    let successor = rotated.successor;
    assert_eq!(successor.expires_at.millis() - successor.created_at.millis(), 90 * DAY_MS);
    // Chosen explicitly, within the policy.
    let chosen = owner
        .call::<app::tokens::RotateToken>(&[
            ("id", &successor.id.to_string()),
            ("grace", "1h"),
            ("expires_in_days", "14"),
        ])
        .await
        .unwrap();
    assert_eq!(chosen.successor.expires_at.millis() - chosen.successor.created_at.millis(), 14 * DAY_MS);
    app.clock.advance_ms(HOUR_MS);
}

/// Round 3, low: the OpenAPI document said `confirm` of revoke-all was optional and nullable while the
/// server requires it, and an API fuzzer reported the mismatch. The document now says what the server does.
async fn the_openapi_document_calls_a_required_field_optional(app: TestApp) {
    let doc: serde_json::Value =
        client().get(app.at("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let schema = &doc["components"]["schemas"]["RevokeAllRequest"];
    assert!(schema["required"].as_array().is_some_and(|r| r.contains(&"confirm".into())), "{schema}");
    assert_eq!(schema["properties"]["confirm"]["type"], "string", "not nullable: {schema}");
    // And the server refuses what the document forbids, saying which field to fix.
    let owner = app.setup_owner().await;
    let api = app.api(&owner.token("owner's").await);
    for body in [serde_json::json!({}), serde_json::json!({"confirm": null}), serde_json::json!({"confirm": ""})] {
        let refused = api.post_json::<serde_json::Value>("/api/v1/tokens/revoke-all", body.clone()).await.unwrap_err();
        assert_eq!((refused.status, refused.field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm")), "{body}");
    }
    assert_eq!(api.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "nothing was revoked");
}

/// Rotates the token `api` holds, again and again with each successor, until refused; every token held.
async fn rotate_until_refused(api: Api) -> Vec<Api> {
    let mut held = vec![api];
    for _ in 0..500 {
        let current = held.last().unwrap().clone();
        let body = serde_json::json!({"grace": "24h"});
        match current.post_json::<Rotated>("/api/v1/tokens/current/rotate", body).await {
            Ok(next) => held.push(Api { id: next.id, secret: next.secret, ..current }),
            Err(_) => break,
        }
    }
    held
}

/// Found by the outside attack on round 3's fix: on PostgreSQL a leaked token rotating itself in a loop
/// outlived deleting it, revoking its creator's tokens and reuse detection (a revoking statement waited
/// for the rotation's row lock, then never saw the successor the rotation had inserted).
async fn a_token_rotating_in_a_loop_outlives_its_revocation(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let member = app.member("dev@example.com", "member").await;
    let dev = app.user_id("dev@example.com").await;
    for round in ["delete", "revoke the member's tokens"] {
        let created = member.token(round).await;
        let rotations_before = events_of(&app, "token.rotated").await;
        let attacker = tokio::spawn(rotate_until_refused(app.api(&created)));
        assert!(soon(async || events_of(&app, "token.rotated").await >= rotations_before + 3).await);
        match round {
            "delete" => member.delete_token(&created.id.to_string()).await.unwrap(),
            _ => drop(owner.revoke_member_tokens(dev).await.unwrap()),
        }
        let held = attacker.await.unwrap();
        assert!(held.len() > 3, "{round}: the loop ran");
        for api in &held {
            assert_eq!(api.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "{round}");
        }
        let live = member.list_tokens(None).await.unwrap().items;
        assert!(live.is_empty(), "{round}: {live:?}");
    }
}

/// Found by the outside attack: the unused-token sweep revoked a never-used successor and left its
/// rotated-away predecessor working (in use, in its grace period) with nothing left to manage it.
async fn the_unused_token_sweep_leaves_a_predecessor_alive(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "1", false).await.unwrap();
    let created = owner.token("in use").await;
    let rotated = owner.rotate_token(&created.id.to_string(), "7d").await.unwrap();
    let old = app.api(&created);
    app.clock.advance_ms(DAY_MS + HOUR_MS);
    assert_eq!(old.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "the old secret is in use");
    tessera_core::services::tokens::revoke_unused(&app.core).await.unwrap();
    assert_eq!(app.api(&rotated.successor).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    assert_eq!(old.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "the family goes together");
    assert_eq!(events_of(&app, "token.exposed").await, 0, "and no false alarm later");
}

/// The attacks that need email on (a real SMTP server), on both engines.
mod with_email {
    use super::{Rotated, rotate_path};
    use crate::{
        helpers::{Backend, TestApp, TestDatabase, captured_logs, soon},
        support::{SmtpSink, notifying},
    };
    use app::routes::{AUDIT_URL, MEMBERS_URL, TOKENS_URL, WEBHOOKS_URL};
    use reqwest::{Method, StatusCode};
    use tessera_core::store;

    tessera_core::on_each_engine!(crate::helpers::on_engine => every_path_that_reveals_a_secret_shows_it_once_to_whom_it_acts_as);

    /// Every way a secret comes into being (a token created, a token rotated, a webhook added, an
    /// invitation sent) shows it once, and only to the one it acts as: never again in any list, page,
    /// log line, metric, audit entry or email to anyone else, and never to another person by rotation.
    async fn every_path_that_reveals_a_secret_shows_it_once_to_whom_it_acts_as(backend: Backend) {
        let sink = SmtpSink::start().await;
        let db = TestDatabase::create(backend).await.expect("database");
        let app = TestApp::spawn_on(db, |c| notifying(c, Some(&sink), 1_000)).await;
        let owner = app.setup_owner().await;
        owner.set_policy("365", "30", "", true).await.unwrap();
        let admin = app.member("admin@example.com", "admin").await;
        let member = app.member("dev@example.com", "member").await;

        // Created: the creator sees it, once.
        let created = owner.token("created").await;
        // Rotated: only its creator (dashboard) or the token itself (API) sees the successor's secret.
        let rotated = owner.rotate_token(&owner.token("rotated").await.id.to_string(), "1h").await.unwrap();
        let admins = admin.token("admin's").await;
        let api_rotated: Rotated = app
            .api(&admins)
            .post_json("/api/v1/tokens/current/rotate", serde_json::json!({"grace": "none"}))
            .await
            .unwrap();
        for other in [&admin, &member] {
            assert_eq!(
                other.rotate_token(&created.id.to_string(), "1h").await.unwrap_err().status,
                StatusCode::FORBIDDEN
            );
        }
        let api_refused = app.api(&member.token("member's").await);
        let refused = api_refused.post_json::<Rotated>(&rotate_path(&created.id), serde_json::json!({})).await;
        assert_eq!(refused.unwrap_err().status, StatusCode::FORBIDDEN);
        // A webhook's signing secret: the admin who adds it, once.
        let webhook = admin.add_webhook("http://127.0.0.1:9/hook", "token.*").await.unwrap();
        // An invitation: emailed to the invitee; the admin never sees the link.
        let invited = admin.invite("new@example.com", "member").await.unwrap();
        assert!(invited.link.is_none(), "with email on, the inviter never sees the link");
        assert!(soon(async || store::outbox::pending(app.core.db.pool()).await.unwrap() == 0).await);
        let invitation = sink.to("new@example.com").into_iter().find(|e| e.subject.contains("invited")).unwrap();
        let code = invitation.body.split("/invite/").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
        assert!(code.len() >= 20, "{code}");

        let secrets = [
            ("created token", created.secret.clone()),
            ("rotated token", rotated.successor.secret.clone()),
            ("token rotated through the API", api_rotated.secret.clone()),
            ("webhook secret", webhook.secret.clone()),
        ];
        // Everything anyone can read afterwards.
        let mut seen = String::new();
        for person in [&owner, &admin, &member] {
            seen.push_str(&format!("{:?}", person.tokens_page().await));
            seen.push_str(&format!("{:?}", person.members().await));
            seen.push_str(&format!("{:?}", person.audit(&[]).await));
            seen.push_str(&format!("{:?}", person.webhooks().await));
            for page in [TOKENS_URL, WEBHOOKS_URL, AUDIT_URL, MEMBERS_URL] {
                seen.push_str(&person.get(page).await.text().await.unwrap());
            }
        }
        let owner_api = app.api(&created);
        for path in ["/api/v1/tokens", "/api/v1/audit", "/api/v1/members", &format!("/api/v1/tokens/{}", created.id)] {
            seen.push_str(&owner_api.send(Method::GET, path).await.text().await.unwrap());
        }
        seen.push_str(&app.browser().get("/metrics").await.text().await.unwrap());
        seen.push_str(&captured_logs());
        let emails = sink.emails();
        for email in &emails {
            seen.push_str(&format!("{} {:?} {}", email.subject, email.to, email.body));
        }
        for (what, secret) in &secrets {
            let body = secret.split('_').next_back().unwrap();
            assert!(!seen.contains(body), "the {what} appears again after it was shown");
        }
        // The invitation code reaches the invitee's email only.
        let holders: Vec<_> = emails.iter().filter(|e| e.body.contains(&code)).map(|e| e.to.clone()).collect();
        assert_eq!(holders, vec![vec!["new@example.com".to_owned()]]);
        let without_emails = seen.split(&invitation.body).collect::<String>();
        assert!(!without_emails.contains(&code), "the invitation code appears outside its email");
    }
}
/// The SSRF guard read the host with its own split of the authority while the HTTP client reads it by
/// the WHATWG rules: a backslash before a colon after the port, a percent-encoded IPv4 host, full-width
/// or IDNA-mapped digits passed the check and reached loopback. Now the URL is parsed once, with the
/// client's parser, and the host it yields is the one checked: every spelling of loopback is refused at
/// registration with a 422 that names the address, and nothing is stored. An endpoint that got in anyway
/// (a row written by hand) is refused when delivering: nothing connects. Only loopback is used.
async fn webhook_ssrf_through_url_parser_differences(app: TestApp) {
    let owner = app.setup_owner().await;
    let spellings = [
        "https://127.0.0.1/",
        "https://127.0.0.1\\@example.com/",
        "https://example.com:443\\:80@127.0.0.1/",
        "https://127.0.0.1:8443\\:443/",
        "https://127.0.0.1\\:443/",
        "https://127.0.0.1:8443\\.example.com/",
        "https:\\\\127.0.0.1/",
        "https://%31%32%37.0.0.1/",
        "https://%31%32%37%2e%30%2e%30%2e%31/",
        "https://127.1/",
        "https://127.0.1/",
        "https://0x7f.1/",
        "https://0x7F.0.0.1/",
        "https://0x7f000001/",
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://0177.1/",
        "https://017700000001/",
        "https://127.0.0.1./",
        "https://\u{ff11}\u{ff12}\u{ff17}.\u{ff10}.\u{ff10}.\u{ff11}/",
        "https://127\u{3002}0\u{3002}0\u{3002}1/",
        "https://127\u{ff0e}0\u{ff0e}0\u{ff0e}1/",
        "https://127\u{ff61}0\u{ff61}0\u{ff61}1/",
        "https://[::1]/",
        "https://[0:0:0:0:0:0:0:1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[0:0:0:0:0:ffff:7f00:1]/",
        "https://[::ffff:7f00:1]/",
        "https://[::127.0.0.1]/",
        "https://[64:ff9b::127.0.0.1]/",
        "https://[2002:7f00:1::]/",
        "https://0/",
        "https://0.0.0.0/",
        "https://[::]/",
        "https://localhost/",
        "https://localhost./",
        "https://LOCALHOST/",
        "https://LocalHost../",
        "https://localhost\u{3002}/",
        "https://l\u{ff4f}calhost/",
        "https://api.localhost/",
        "https://127.0.0.1:443/",
        "https://user@127.0.0.1/",
        "https://example.com@127.0.0.1/",
        "https://example.com%40127.0.0.1/",
        "https://127.0.0.1#@example.com/",
        "https://127.0.0.1?@example.com/",
        " https://127.0.0.1/ ",
        "HTTPS://127.0.0.1/",
    ];
    for url in spellings {
        let refused = owner.add_webhook(url, "*").await.expect_err(url);
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", refused.message());
        assert_eq!((refused.kind(), refused.field()), (ErrorKind::Invalid, Some("url")), "{url}");
        assert!(refused.message().len() > 20, "{url}: a message that says what to fix");
    }
    let named = owner.add_webhook("https://%31%32%37.0.0.1/", "*").await.unwrap_err();
    assert!(named.message().contains("127.0.0.1") && named.message().contains("own network"), "{}", named.message());
    assert_eq!(app.count("webhooks").await, 0, "refused input changes nothing");
    assert_eq!(app.count("audit_events WHERE event_type = 'webhook.created'").await, 0);

    // Rows that got in anyway, pointing at a loopback listener: delivery refuses them, nothing connects.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let org = app.org("Acme").await;
    for host in ["127.0.0.1", "0x7f.1", "2130706433", "[::ffff:127.0.0.1]", "%31%32%37.0.0.1", "localhost"] {
        for scheme in ["https", "http"] {
            sqlx::query(
                "INSERT INTO webhooks (id, org_id, url, events, salt, created_at) VALUES ($1, $2, $3, '*', 'salt', 0)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(org.to_string())
            .bind(format!("{scheme}://{host}:{port}/hooks"))
            .execute(app.core.db.pool())
            .await
            .unwrap();
        }
    }
    owner.create_token("ci", "30").await.unwrap();
    let attempts = async || app.count("webhook_attempts").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while attempts().await < 12 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(attempts().await, 12, "every endpoint was tried");
    let results: Vec<(Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT status, error FROM webhook_attempts").fetch_all(app.core.db.pool()).await.unwrap();
    for (status, error) in results {
        assert_eq!(status, None);
        let error = error.unwrap_or_default();
        assert!(error.contains("own network") || error.contains("https://"), "{error}");
    }
    let accepted = tokio::time::timeout(std::time::Duration::from_millis(300), listener.accept()).await;
    assert!(accepted.is_err(), "an internal address was called");
}

/// The delivery log said "could not connect: Connection refused" for a closed port and something else
/// ("request failed: invalid HTTP version", a timeout, an HTTP status) for an open one: with endpoints on
/// internal addresses (where the operator allows them) it was a port scanner. Now every attempt without
/// an HTTP answer reads the same, with no time taken.
async fn the_delivery_log_tells_open_ports_from_closed(app: TestApp) {
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| crate::support::notifying(c, None, 3_600_000)).await;
    let owner = app.setup_owner().await;
    let closed = {
        let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        gone.local_addr().unwrap().port()
    };
    // An open port that speaks another protocol (an SSH banner), and one that hangs up at once.
    let mut open = Vec::new();
    for banner in [&b"SSH-2.0-OpenSSH_9.6\r\n"[..], &b""[..]] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        open.push(listener.local_addr().unwrap().port());
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.write_all(banner).await;
                drop(socket);
            }
        });
    }
    for port in [closed, open[0], open[1]] {
        owner.add_webhook(&format!("http://127.0.0.1:{port}/hooks"), "token.*").await.unwrap();
    }
    owner.create_token("ci", "30").await.unwrap();
    let logs = async || {
        let endpoints = owner.webhooks().await.unwrap().endpoints.unwrap();
        endpoints.into_iter().map(|e| e.deliveries).collect::<Vec<_>>()
    };
    assert!(soon(async || logs().await.iter().all(|d| d.len() == 1)).await, "each endpoint was tried");
    for log in logs().await {
        let attempt = &log[0];
        assert_eq!(attempt.status, None);
        assert_eq!(attempt.error.as_deref(), Some(tessera_core::services::delivery::NO_ANSWER));
        assert_eq!(attempt.duration_ms, 0, "no timing either");
    }
}

/// An admin added a webhook endpoint, then was removed: the endpoint kept receiving the organization's
/// events (member emails, addresses, token names). Now the endpoints a member added are paused when they
/// are removed, leave or lose the admin role, in the same transaction (none of that change's events
/// reaches them), the owners are emailed, and one click on "Resume" (no JavaScript needed) starts the
/// deliveries again; events of the pause are not delivered.
async fn a_removed_admins_webhook_keeps_receiving_events(app: TestApp) {
    use crate::support::{Receiver, SmtpSink, eventually, notifying};
    let sink = SmtpSink::start().await;
    let receiver = Receiver::start().await;
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| notifying(c, Some(&sink), 1_000)).await;
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let added = admin.add_webhook(&receiver.url(), "*").await.unwrap();
    receiver.configure(&added.secret, 0).await;
    let before = owner.create_token("before", "30").await.unwrap();
    assert!(eventually(|| receiver.accepted().len() == 1).await, "delivered while the admin is a member");
    let settled =
        async || soon(async || tessera_core::services::delivery::pending(&app.core).await.unwrap() == 0).await;

    owner.remove_member(app.user_id("admin@example.com").await).await.unwrap();
    let during = owner.create_token("during", "30").await.unwrap();
    assert!(settled().await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let seen = receiver.deliveries();
    assert_eq!(seen.len(), 1, "nothing after the removal, not even the removal itself: {seen:?}");
    assert_eq!(seen[0].subject_id.as_deref(), Some(before.id.to_string().as_str()));

    // The owners are told, the page shows it paused with a Resume button, the audit log has it.
    assert!(
        eventually(|| sink.to(OWNER).iter().any(|e| e.subject == "Webhook endpoints paused in Acme"
            && e.body.contains(&receiver.url())
            && e.body.contains("admin@example.com was removed from Acme")))
        .await,
        "{:?}",
        sink.to(OWNER)
    );
    assert!(sink.to("admin@example.com").iter().all(|e| !e.subject.contains("paused")));
    let endpoint = owner.webhooks().await.unwrap().endpoints.unwrap().remove(0);
    assert!(endpoint.entry.paused_since.is_some());
    let page = owner.get(WEBHOOKS_URL).await.text().await.unwrap();
    assert!(page.contains(&format!("aria-label=\"Resume {}\"", receiver.url())), "a Resume button");
    assert!(page.contains("data-testid=\"webhook-paused\""));
    assert_eq!(app.count("audit_events WHERE event_type = 'webhook.paused'").await, 1);
    // Tokens can't resume endpoints; members can't either.
    let member = app.member("member@example.com", "member").await;
    let id = endpoint.entry.id.to_string();
    let refused = member.call::<app::webhooks::ResumeWebhook>(&[("id", &id)]).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // One click, without JavaScript: deliveries flow again; the pause's events stay undelivered.
    let (resumed, page) =
        owner.submit_and_follow(WEBHOOKS_URL, app::webhooks::ResumeWebhook::PATH, &[("id", &id)]).await;
    assert_eq!(resumed.status(), StatusCode::SEE_OTHER);
    assert!(page.contains("data-testid=\"webhook-resumed\""));
    assert!(owner.webhooks().await.unwrap().endpoints.unwrap()[0].entry.paused_since.is_none());
    assert_eq!(app.count("audit_events WHERE event_type = 'webhook.resumed'").await, 1);
    let after = owner.create_token("after", "30").await.unwrap();
    assert!(eventually(|| receiver.accepted().len() == 2).await, "delivered after Resume");
    let subjects: Vec<Option<String>> = receiver.deliveries().into_iter().map(|d| d.subject_id).collect();
    assert_eq!(subjects, [Some(before.id.to_string()), Some(after.id.to_string())]);
    assert!(!subjects.contains(&Some(during.id.to_string())));

    // Leaving and losing the admin role pause too.
    let demoted = app.member("admin2@example.com", "admin").await;
    demoted.add_webhook("http://127.0.0.1:9/demoted", "token.created").await.unwrap();
    let leaving = app.member("admin3@example.com", "admin").await;
    leaving.add_webhook("http://127.0.0.1:9/left", "token.created").await.unwrap();
    owner.change_role(app.user_id("admin2@example.com").await, "member").await.unwrap();
    leaving.remove_member(app.user_id("admin3@example.com").await).await.unwrap();
    let endpoints = owner.webhooks().await.unwrap().endpoints.unwrap();
    let mut paused: Vec<(&str, Option<&str>)> = endpoints
        .iter()
        .filter(|e| e.entry.paused_since.is_some())
        .map(|e| (e.entry.url.as_str(), e.entry.paused_reason.as_deref()))
        .collect();
    paused.sort();
    assert_eq!(
        paused,
        [
            ("http://127.0.0.1:9/demoted", Some("admin2@example.com is no longer an admin of Acme")),
            ("http://127.0.0.1:9/left", Some("admin3@example.com left Acme")),
        ]
    );
    assert!(eventually(|| sink.to(OWNER).iter().filter(|e| e.subject.contains("paused")).count() == 3).await);
}

/// Email and webhook deliveries shared one queue: on SQLite one worker delivered batches in order, so
/// two webhook endpoints that never answer (10 s each) held an invitation back for 20 s and more; on
/// PostgreSQL they held every worker. Now emails have their own lane, and deliveries to different
/// endpoints run side by side, a few at a time per endpoint.
async fn a_slow_webhook_endpoint_delays_security_emails(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_on(app.stop().await, |c| notifying(c, Some(&sink), 60_000)).await;
    let owner = app.setup_owner().await;
    let silent = [Silent::start().await, Silent::start().await];
    for endpoint in &silent {
        owner.add_webhook(&endpoint.url(), "*").await.unwrap();
    }
    // Events one after another, each waited for until a delivery of it hangs: in the old design every
    // worker ends up waiting on a silent endpoint.
    let hanging = || silent.iter().map(Silent::connections).sum::<usize>();
    for n in 0..2 {
        let before = hanging();
        owner.create_token(&format!("t{n}"), "30").await.unwrap();
        assert!(eventually(|| hanging() > before).await, "the deliveries of event {n} hang");
    }
    let quick = std::time::Duration::from_secs(2);
    let started = std::time::Instant::now();
    owner.invite("new@example.com", "member").await.unwrap();
    let took = waited(started, || sink.to("new@example.com").len() == 1).await;
    assert!(took < quick, "the invitation took {took:?} behind silent webhook endpoints");

    // One silent endpoint doesn't delay another endpoint.
    let receiver = Receiver::start().await;
    let added = owner.add_webhook(&receiver.url(), "token.created").await.unwrap();
    receiver.configure(&added.secret, 0).await;
    let started = std::time::Instant::now();
    owner.create_token("after", "30").await.unwrap();
    let took = waited(started, || !receiver.accepted().is_empty()).await;
    assert!(took < quick, "the healthy endpoint waited {took:?} behind silent ones");
    assert!(silent.iter().all(|s| s.connections() <= 4), "at most four deliveries at once per endpoint");
}

/// How long after `started` `check` first held (looked at for up to six seconds).
async fn waited(started: std::time::Instant, check: impl Fn() -> bool) -> std::time::Duration {
    while !check() && started.elapsed() < std::time::Duration::from_secs(6) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// An invitation and 12 resends within 10 ms delivered 13 emails to one address: an admin (or a stolen
/// session) could flood anyone's mailbox through Tessera. Now one address gets at most 3 invitation emails
/// an hour, an organization sends at most 50 a day, and every other kind of email has a per-recipient cap.
async fn invitation_email_flood(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_on(app.stop().await, |c| notifying(c, Some(&sink), 60_000)).await;
    let owner = app.setup_owner().await;
    owner.invite("victim@example.com", "member").await.unwrap();
    let id = owner.members().await.unwrap().invitations[0].id.to_string();
    let resends = all((0..12).map(|_| {
        let (owner, id) = (owner.clone(), id.clone());
        async move { owner.resend_invitation(&id).await }
    }))
    .await;
    let refused: Vec<_> = resends.into_iter().filter_map(Result::err).collect();
    assert_eq!(refused.len(), 10, "two resends pass, ten are refused");
    for r in &refused {
        assert_eq!((r.status, r.kind()), (StatusCode::TOO_MANY_REQUESTS, ErrorKind::RateLimited));
        assert_eq!(
            r.message(),
            "victim@example.com was sent 3 invitation emails in the last hour, the most one address gets. Try again in 60 minutes."
        );
        assert_eq!(r.body.retry_after_secs, Some(3_600));
    }
    // Inviting the address again (which would replace the link) is refused too, and changes nothing.
    let again = owner.invite("Victim@Example.com", "admin").await.unwrap_err();
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    let pending = owner.members().await.unwrap().invitations;
    assert_eq!((pending.len(), pending[0].id.to_string(), pending[0].role.as_str()), (1, id.clone(), "member"));
    assert!(eventually(|| sink.to("victim@example.com").len() == 3).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to("victim@example.com").len(), 3, "three emails, not thirteen");
    // An hour later the address may get one again.
    app.clock.advance_ms(tessera_core::time::HOUR_MS);
    owner.resend_invitation(&id).await.unwrap();

    // An organization sends at most 50 invitation emails a day (4 so far).
    for n in 4..50 {
        owner.invite(&format!("person{n}@example.com"), "viewer").await.unwrap();
    }
    let refused = owner.invite("one-too-many@example.com", "viewer").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.message(),
        "Acme sent 50 invitation emails in the last 24 hours, the most an organization may. Try again in 23 hours."
    );
    assert_eq!(owner.members().await.unwrap().invitations.len(), 47, "the refused invitation is not there");

    // Every other kind of email has a per-recipient cap too: an admin deleting 25 of a member's tokens
    // sends them 20 alerts an hour, not 25.
    let dev = app.member("dev@example.com", "member").await;
    let admin = app.member("admin@example.com", "admin").await;
    for n in 0..25 {
        let token = dev.create_token(&format!("t{n}"), "30").await.unwrap();
        admin.delete_token(&token.id.to_string()).await.unwrap();
    }
    assert!(eventually(|| sink.to("dev@example.com").len() == 20).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to("dev@example.com").len(), 20);
}

/// A token name holding an RFC 2047 encoded word went into an email's subject as plain ASCII, so mail
/// clients showed what it decodes to ("Urgent: sign in again at …") instead of the name. Now such a
/// subject is encoded throughout and decodes to exactly its text.
async fn encoded_words_in_a_token_name_spoof_an_email_subject(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_on(app.stop().await, |c| notifying(c, Some(&sink), 60_000)).await;
    app.setup_owner().await;
    let dev = app.member("dev@example.com", "member").await;
    let admin = app.member("admin@example.com", "admin").await;
    // "=?utf-8?b?VXJnZW50OiBzaWduIGluIGFnYWluIGF0IGV2aWwuZXhhbXBsZQ==?=" decodes to
    // "Urgent: sign in again at evil.example".
    let name = "ci =?utf-8?b?VXJnZW50OiBzaWduIGluIGFnYWluIGF0IGV2aWwuZXhhbXBsZQ==?= now";
    let token = dev.create_token(name, "30").await.unwrap();
    admin.delete_token(&token.id.to_string()).await.unwrap();
    assert!(eventually(|| sink.to("dev@example.com").len() == 1).await);
    let subject = sink.to("dev@example.com").remove(0).subject;
    assert_eq!(subject, format!("Your API token \u{201c}{name}\u{201d} was deleted"));
    assert!(!subject.contains("evil.example"), "{subject}");
}

/// `tessera api …` with a token pair in its environment, as a script runs it.
fn cli_api(app: &TestApp, (id, secret): (&str, &str), args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["api", "--url", &app.url])
        .args(args)
        .env("TESSERA_TOKEN_ID", id)
        .env("TESSERA_TOKEN_SECRET", secret)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Round 3, low: `tessera api rotate` run twice with the same environment (a retry) revoked the whole
/// family, the successor it had just printed included, and printed JSON a script could not use. Now it
/// prints `export` lines for the new pair (on standard output, the rest on standard error), and a second
/// run with the old pair is refused with the server's message and changes nothing.
async fn a_retried_cli_rotation_kills_the_new_token(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let member = app.member("dev@example.com", "member").await;
    let created = member.token("ci").await;
    let old = (created.id.to_string(), created.secret.clone());
    let pair = (old.0.as_str(), old.1.as_str());

    let first = cli_api(&app, pair, &["rotate", "--expires-in-days", "10"]);
    let (stdout, stderr) = (String::from_utf8(first.stdout).unwrap(), String::from_utf8_lossy(&first.stderr));
    assert!(first.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "only the export lines on standard output: {stdout}");
    let new_id = lines[0].strip_prefix("export TESSERA_TOKEN_ID=").expect("the id line").to_owned();
    let new_secret = lines[1].strip_prefix("export TESSERA_TOKEN_SECRET=").expect("the secret line").to_owned();
    assert!(new_id != old.0 && new_secret.starts_with("tsr_"), "{stdout}");
    assert!(stderr.contains("expires at") && stderr.contains("the old secret works until"), "{stderr}");
    assert!(!stderr.contains(&new_secret), "the secret only where eval reads it");
    let successor = Api { id: new_id.clone(), secret: new_secret.clone(), ..app.api(&created) };
    let expires = successor.get::<serde_json::Value>(&format!("/api/v1/tokens/{new_id}")).await.unwrap();
    let expires = tessera_core::time::Timestamp::parse_rfc3339(expires["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires, app.clock.now().plus_days(10), "--expires-in-days");

    // `eval` in a shell switches it to the new pair.
    let evaluated = std::process::Command::new("sh")
        .args(["-c", "eval \"$ROTATED\" && printf '%s %s' \"$TESSERA_TOKEN_ID\" \"$TESSERA_TOKEN_SECRET\""])
        .env("ROTATED", &stdout)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(evaluated.stdout).unwrap(), format!("{new_id} {new_secret}"));

    // The retry, with the old environment: refused with the server's message, nothing printed or changed.
    let retry = cli_api(&app, pair, &["rotate"]);
    let stderr = String::from_utf8_lossy(&retry.stderr);
    assert!(!retry.status.success());
    assert!(retry.stdout.is_empty(), "no export lines for a refused rotation");
    assert!(stderr.contains("409") && stderr.contains("already rotated"), "{stderr}");
    let whoami = cli_api(&app, (&new_id, &new_secret), &["whoami"]);
    assert!(whoami.status.success(), "{}", String::from_utf8_lossy(&whoami.stderr));
    assert_eq!(successor.whoami().await.unwrap().role, "member");
    assert_eq!(events_of(&app, "token.rotated").await, 1);
    assert_eq!(events_of(&app, "token.exposed").await, 0);
    assert_eq!(app.api(&created).whoami().await.unwrap().role, "member", "the old secret's grace goes on");
}

/// Round 3, low: `tessera tokens revoke-member` revoked a member's tokens without the email the
/// dashboard's "Revoke tokens" sends (the command line's core had email off). Both take one path now; the
/// command line queues the alert in the outbox with the revocation, and the running server sends it.
async fn the_cli_revokes_a_members_tokens_without_telling_them(app: TestApp) {
    use crate::support::{SmtpSink, eventually, notifying};
    let sink = SmtpSink::start().await;
    let db = app.stop().await;
    // The system clock, as the command line's: what it queues is due for the server at once.
    let clock = tessera_core::clock::Clock::system();
    let app = TestApp::spawn_with_clock(db, clock, |c| notifying(c, Some(&sink), 1_000)).await;
    let _owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let dev = app.member("dev@example.com", "member").await;
    let dev_id = app.user_id("dev@example.com").await;
    let alerts = || sink.to("dev@example.com");

    // The dashboard's "Revoke tokens".
    let _ = (dev.token("one").await, dev.token("two").await);
    assert_eq!(admin.revoke_member_tokens(dev_id).await.unwrap(), 2);
    assert!(eventually(|| alerts().len() == 1).await, "the dashboard's email");
    // The same action at the command line.
    let left = [dev.token("three").await, dev.token("four").await];
    let args = ["tokens", "revoke-member", "--org", "Acme", "--email", "dev@example.com"];
    let out = tessera_cli(&app.db, &args, "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for token in &left {
        assert_eq!(app.api(token).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    assert!(eventually(|| alerts().len() == 2).await, "the command line's email: {:?}", alerts());

    // The same email, but for the time it happened.
    let without_time = |body: &str| {
        let (before, rest) = body.split_once(" there at ").expect("the time of the revocation");
        format!("{before} there at <time>{}", &rest[rest.find(". ").expect("the end of the time")..])
    };
    let (dashboard, cli) = (&alerts()[0], &alerts()[1]);
    assert_eq!((&cli.from, &cli.to, &cli.subject), (&dashboard.from, &dashboard.to, &dashboard.subject));
    assert_eq!(cli.subject, "Your API tokens in Acme were revoked");
    assert_eq!(without_time(&cli.body), without_time(&dashboard.body));
    // The audit trail tells the two apart.
    assert_eq!(events_of(&app, "token.revoked").await, 4);
    let by_operator: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_type = 'token.revoked' AND actor_kind = 'operator'",
    )
    .fetch_one(app.core.db.pool())
    .await
    .unwrap();
    assert_eq!(by_operator, 2);
}

/// `tessera …` run in `dir` with only the given `TESSERA_*` variables (none inherited).
fn cli_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    use std::io::Write;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    command.current_dir(dir).args(args).env("RUST_LOG", "warn");
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("TESSERA_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(b"a password of some length\n");
    child.wait_with_output().unwrap()
}

/// Every entry under `dir`, recursively.
fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(entries(&path));
        }
        found.push(path);
    }
    found
}

/// Round 3, low: an administration command run from another directory silently created `./data` with a
/// new database and a new `secret.key` (and worked on them). Now every command but `serve` and `migrate`
/// needs an existing installation, says where it looked and how to point at the right one, and creates
/// nothing.
async fn the_cli_creates_a_database_where_it_was_not_asked(app: TestApp) {
    app.setup_owner().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let commands: [&[&str]; 7] = [
        &["user", "create", "--email", "new@example.com"],
        &["user", "reset-password", "--email", OWNER],
        &["org", "create", "--name", "Other", "--owner", OWNER],
        &["org", "add-member", "--org", "Acme", "--email", OWNER],
        &["tokens", "revoke-member", "--org", "Acme", "--email", OWNER],
        &["audit", "export", "--org", "Acme"],
        &["setup-code"],
    ];
    let refused = |out: &std::process::Output, says: &[&str]| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        for words in says {
            assert!(stderr.contains(words), "{words:?} not in {stderr}");
        }
    };
    // Nothing set: the default ./data does not exist here.
    let data = elsewhere.path().join("data");
    for args in commands {
        let out = cli_in(elsewhere.path(), args, &[]);
        refused(&out, &["data directory ./data", &data.display().to_string(), "--data-dir", "TESSERA_DATA_DIR"]);
        assert!(entries(elsewhere.path()).is_empty(), "{args:?} created {:?}", entries(elsewhere.path()));
    }
    // The right database, but the key would have been read from a data directory that isn't there.
    let url = app.db.url.as_str();
    let out = cli_in(elsewhere.path(), &["audit", "export", "--org", "Acme"], &[("TESSERA_DATABASE_URL", url)]);
    refused(&out, &["data directory ./data", "TESSERA_SECRET_KEY"]);
    // An existing directory without a database: not made into one.
    let empty = elsewhere.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let dir = empty.to_str().unwrap();
    for args in commands.iter().filter(|args| args[0] != "setup-code") {
        let out = cli_in(elsewhere.path(), args, &[("TESSERA_DATA_DIR", dir)]);
        refused(&out, &["no database at", &empty.join("tessera.db").display().to_string(), "--database-url"]);
        assert_eq!(entries(elsewhere.path()), vec![empty.clone()], "{args:?} created files");
    }
    // Pointed at the server's installation, it works, from anywhere, and still creates nothing here.
    let server_dir = app.db.data_dir.path().to_str().unwrap();
    let key = std::fs::read_to_string(app.db.data_dir.path().join("secret.key")).unwrap();
    let right: &[(&str, &str)] = match app.db.backend {
        crate::helpers::Backend::Sqlite => &[("TESSERA_DATA_DIR", server_dir)],
        crate::helpers::Backend::Postgres => &[("TESSERA_DATABASE_URL", url), ("TESSERA_SECRET_KEY", key.trim())],
    };
    let out = cli_in(elsewhere.path(), &["audit", "export", "--org", "Acme"], right);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(entries(elsewhere.path()), vec![empty.clone()]);
}

/// Round 3, low: `tessera api … | head` panicked when the reader had gone (`println!` on a closed pipe).
/// Every command now ends quietly and successfully when its standard output is closed, as `ls | head`
/// does; a rotation, whose new secret would be lost, says so instead. A closed standard error panics
/// nothing either.
async fn the_cli_panics_on_a_closed_pipe(app: TestApp) {
    use std::process::{Command, Stdio};
    let owner = app.setup_owner().await;
    owner.set_policy("365", "30", "", true).await.unwrap();
    let token = owner.token("piped").await;
    for i in 0..50 {
        owner.token(&format!("event {i}")).await;
    }
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Stdio::from(writer)
    };
    let (id, secret) = (token.id.to_string(), token.secret.clone());
    let run = |args: &[&str], stdout: Stdio, stderr: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_DATA_DIR", app.db.data_dir.path())
            .env("TESSERA_DATABASE_URL", &app.db.url)
            .env("TESSERA_TOKEN_ID", &id)
            .env("TESSERA_TOKEN_SECRET", &secret)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .output()
            .unwrap()
    };
    let url = app.url.as_str();
    let quiet_ends: [&[&str]; 7] = [
        &["api", "--url", url, "whoami"],
        &["audit", "export", "--org", "Acme"],
        &["setup-code"],
        &["migrate"],
        &["tokens", "revoke-member", "--org", "Acme", "--email", "nobody-here@example.com"],
        &["--help"],
        &["--version"],
    ];
    for args in quiet_ends {
        let out = run(args, closed(), Stdio::piped());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        if args[0] == "tokens" {
            assert_eq!(out.status.code(), Some(1), "{args:?}: a failure is still one: {stderr}");
            assert!(stderr.contains("An account with that email"), "{stderr}");
        } else {
            assert!(out.status.success(), "{args:?}: {stderr}");
        }
    }
    // Standard error closed as well: still no panic (exit status 101), the failure's status is kept.
    let out = run(&["api", "--url", url, "whoami"], closed(), closed());
    assert!(out.status.success(), "{:?}", out.status);
    let wrong = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["api", "--url", url, "whoami"])
        .env("TESSERA_TOKEN_ID", &id)
        .env("TESSERA_TOKEN_SECRET", "tsr_wrong")
        .stdout(closed())
        .stderr(closed())
        .status()
        .unwrap();
    assert_eq!(wrong.code(), Some(1));
    // A rotation whose new pair can't be printed: the secret is lost, and that is said, not hidden.
    let out = run(&["api", "--url", url, "rotate"], closed(), Stdio::piped());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not be printed") && stderr.contains("delete"), "{stderr}");
    assert!(!stderr.contains("tsr_"), "no secret on standard error: {stderr}");
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
            let request = client().post(format!("{url}{}", app::auth::Setup::PATH)).header(header::HOST, &host);
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
        let request = client().post(app.at(app::auth::Login::PATH)).header("x-forwarded-for", from);
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
                .post(format!("{}{}", server.url, app::auth::Login::PATH))
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
