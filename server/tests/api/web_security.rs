//! What protects the dashboard: every server function checks the session itself, cross-site and
//! other-host posts are refused, no input panics a handler, and every response carries the security
//! headers and the right caching.

use crate::helpers::{OWNER, PASSWORD, TestApp, client};
use app::routes::{LOGIN_URL, MEMBERS_URL, TOKENS_URL};
use leptos::server_fn::ServerFn;
use reqwest::{StatusCode, header};
use tessera_core::{ErrorBody, ErrorKind};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    every_server_function_needs_a_session_except_the_public_ones,
    cross_site_posts_are_refused,
    security_headers_on_every_response,
    authenticated_responses_are_never_stored,
    cookies_are_secure_and_host_only_behind_https,
    control_bytes_in_any_parameter_of_any_route_never_panic,
);

/// Called before anyone is signed in: first run, sign-in, invitation links (the link is the credential),
/// and "who is signed in", which answers `null` for nobody.
const PUBLIC: [&str; 5] = [
    app::auth::Setup::PATH,
    app::auth::Login::PATH,
    app::auth::GetInvitation::PATH,
    app::auth::AcceptInvitation::PATH,
    app::session::GetSession::PATH,
];

fn server_functions() -> Vec<&'static str> {
    leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect()
}

async fn every_server_function_needs_a_session_except_the_public_ones(app: TestApp) {
    app.setup_owner().await;
    let paths = server_functions();
    assert!(paths.len() >= 20, "server functions found: {paths:?}");
    for public in PUBLIC {
        assert!(paths.contains(&public), "{public} is not a server function any more: update this test");
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        assert_eq!(method, axum::http::Method::POST, "{path} is not POST-only");
        let response = client().post(app.at(path)).form(&[("x", "1")]).send().await.unwrap();
        if PUBLIC.contains(&path) {
            assert_ne!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path} answered without a session");
            assert_eq!(response.json::<ErrorBody>().await.unwrap().error, ErrorKind::Unauthorized, "{path}");
        }
    }
    // And GET never reaches a server function.
    let get = client().get(app.at(app::orgs::ListMembers::PATH)).send().await.unwrap();
    assert!(matches!(get.status(), StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND), "{}", get.status());
}

async fn cross_site_posts_are_refused(app: TestApp) {
    let owner = app.setup_owner().await;
    let url = app.at(app::orgs::InviteMember::PATH);
    let form = [("email", "mallory@example.com"), ("role", "admin")];
    for site in ["cross-site", "same-site", "none"] {
        let refused = owner.client.post(&url).header("sec-fetch-site", site).form(&form).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "Sec-Fetch-Site: {site}");
        assert_eq!(refused.json::<ErrorBody>().await.unwrap().error, ErrorKind::CrossSiteRequest);
    }
    let foreign_origin =
        owner.client.post(&url).header(header::ORIGIN, "https://evil.example").form(&form).send().await;
    assert_eq!(foreign_origin.unwrap().status(), StatusCode::FORBIDDEN);
    // A plain HTML form on another site, submitted (a navigation, as a browser without JavaScript
    // sends it): refused before anything runs, not answered with a redirect.
    for (site, origin) in [("cross-site", "https://evil.example"), ("same-site", "https://sub.localhost")] {
        let navigation = owner
            .client
            .post(&url)
            .header("sec-fetch-site", site)
            .header("sec-fetch-mode", "navigate")
            .header("accept", crate::helpers::NAVIGATION_ACCEPT)
            .header(header::ORIGIN, origin)
            .header(header::REFERER, format!("{origin}/page"))
            .form(&form);
        let refused = navigation.send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{site}");
        assert!(!refused.headers().contains_key(header::SET_COOKIE), "{site}");
        assert_eq!(refused.json::<ErrorBody>().await.unwrap().error, ErrorKind::CrossSiteRequest);
    }
    // Browsers without Fetch Metadata: the Origin decides.
    let old_browser = owner
        .client
        .post(&url)
        .header("accept", crate::helpers::NAVIGATION_ACCEPT)
        .header(header::ORIGIN, "https://evil.example")
        .form(&form);
    assert_eq!(old_browser.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    // Pages take no posts at all any more (forms post to their functions); cross-site, refused first.
    let page = owner.client.post(app.at(MEMBERS_URL)).header("sec-fetch-site", "cross-site").form(&form);
    assert_eq!(page.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let page = owner.client.post(app.at(MEMBERS_URL)).header("sec-fetch-site", "same-origin").form(&form);
    assert_eq!(page.send().await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.count("org_invitations").await, 0, "a refused request changed something");

    // The same request from the dashboard itself goes through.
    let same_origin = owner.client.post(&url).header("sec-fetch-site", "same-origin").form(&form).send().await.unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
    let own_origin = owner
        .client
        .post(&url)
        .header(header::ORIGIN, &app.url)
        .form(&[("email", "b@example.com"), ("role", "member")]);
    assert_eq!(own_origin.send().await.unwrap().status(), StatusCode::OK);
}

async fn security_headers_on_every_response(app: TestApp) {
    app.setup_owner().await;
    for path in ["/", LOGIN_URL, "/healthz", "/nope", "/api/v1/whoami", "/favicon.ico"] {
        let response = client().get(app.at(path)).send().await.unwrap();
        let h = response.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert!(h.contains_key(header::REFERRER_POLICY), "{path}");
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY), "{path}: HSTS over plain HTTP");
    }
    let page = client().get(app.at(LOGIN_URL)).send().await.unwrap();
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "inline scripts carry the CSP nonce");
}

/// Signed-in pages list emails, token ids and client addresses: no browser or proxy may keep them.
async fn authenticated_responses_are_never_stored(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = app.api(&owner.token("t").await);
    for page in app::PAGES.iter().filter(|p| !p.contains('{')) {
        let response = owner.get(page).await;
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store", "{page}");
    }
    for answer in [
        owner.post::<app::tokens::TokensOverview>(&[]).await,
        owner.post::<app::orgs::ListMembers>(&[]).await,
        owner.post::<app::session::GetSession>(&[]).await,
    ] {
        assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store", "{}", answer.url());
    }
    let api = token.send(reqwest::Method::GET, "/api/v1/whoami").await;
    assert_eq!(api.headers()[header::CACHE_CONTROL], "no-store");
}

async fn cookies_are_secure_and_host_only_behind_https(app: TestApp) {
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| c.web.public_origin = Some("https://tessera.example.com".into())).await;
    let response = client()
        .post(app.at(app::auth::Setup::PATH))
        .header(header::HOST, "tessera.example.com")
        .header("accept", "application/json")
        .form(&[("email", OWNER), ("password", PASSWORD), ("organization", "Acme"), ("setup_code", &app.setup_code())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> =
        response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("__Host-tessera_session=")).expect("__Host- cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Domain="), "{session}");
    // A form's flash cookie: `__Secure-`, Secure, HttpOnly, SameSite=Strict, scoped to its page.
    let session = session.split(';').next().unwrap().to_owned();
    let posted = client()
        .post(app.at(app::tokens::CreateToken::PATH))
        .header(header::HOST, "tessera.example.com")
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .header("accept", crate::helpers::NAVIGATION_ACCEPT)
        .header(header::REFERER, "https://tessera.example.com/app/settings/members")
        .header(header::COOKIE, &session)
        .form(&[("name", "https")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(posted.headers()[header::LOCATION], TOKENS_URL);
    let flash = posted
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Secure-tessera_flash="))
        .expect("a __Secure- flash cookie");
    for flag in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/app/settings/api;", "; Max-Age=60"] {
        assert!(flash.contains(flag), "{flash}");
    }
    let flash = flash.split(';').next().unwrap();
    let page = client()
        .get(app.at(TOKENS_URL))
        .header(header::HOST, "tessera.example.com")
        .header(header::COOKIE, format!("{session}; {flash}"))
        .send()
        .await
        .unwrap();
    let cleared = page.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cleared.starts_with("__Secure-tessera_flash=;")
            && cleared.contains("Max-Age=0; ")
            && cleared.contains("Secure")
    );
    assert!(page.text().await.unwrap().contains("tsr_"), "the secret is shown");
    let hsts = client().get(app.at("/healthz")).send().await.unwrap();
    assert!(hsts.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));
}

/// Control bytes (and other hostile text) in every parameter of every route: the server answers each
/// request (no handler panics, no connection dropped) and refuses bad input with a 4xx, never a 500.
async fn control_bytes_in_any_parameter_of_any_route_never_panic(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = app.api(&owner.token("t").await);
    let hostile = [
        "\u{0}",
        "\t",
        "\r\n",
        "\u{1b}[31m",
        "\u{7f}",
        "\u{202E}",
        "%00",
        "%0d%0a",
        "\\",
        "../../etc/passwd",
        "\u{FEFF}",
    ];
    // Every server function, every argument name it could take.
    let fields = [
        "email",
        "password",
        "organization",
        "setup_code",
        "next",
        "code",
        "name",
        "expires_in_days",
        "custom_days",
        "id",
        "grace",
        "confirm",
        "org_id",
        "back",
        "user_id",
        "role",
        "after",
        "expired_after",
        "revoked_after",
        "type",
        "token_id",
        "member_id",
        "max_lifetime_days",
        "default_lifetime_days",
        "revoke_unused_after_days",
        "api_rotation",
        "expiry_warning_days",
        "url",
        "events",
        "token_events",
        "member_events",
        "policy_events",
        "webhook_id",
        "message_id",
        "action",
    ];
    for path in server_functions() {
        for value in hostile {
            let form: Vec<(&str, &str)> = fields.iter().map(|f| (*f, value)).collect();
            let response =
                owner.client.post(app.at(path)).header("accept", "application/json").form(&form).send().await;
            let status = response.unwrap_or_else(|e| panic!("{path} with {value:?}: no answer: {e}")).status();
            assert!(
                status.is_client_error() || status.is_success() || status.is_redirection(),
                "{path} with {value:?}: {status}"
            );
            // And as a browser's form post without JavaScript (Post/Redirect/Get), hostile Referer too.
            let referer = format!("{}/app/settings/api?after={}", app.url, value.escape_default());
            let navigation = owner
                .client
                .post(app.at(path))
                .header("accept", crate::helpers::NAVIGATION_ACCEPT)
                .header("sec-fetch-mode", "navigate")
                .header(header::REFERER, referer)
                .form(&form)
                .send()
                .await;
            let answer = navigation.unwrap_or_else(|e| panic!("form {path} with {value:?}: no answer: {e}"));
            assert_eq!(answer.status(), StatusCode::SEE_OTHER, "form {path} with {value:?}");
            let to = answer.headers()[header::LOCATION].to_str().unwrap();
            assert!(to.starts_with('/') && !to.starts_with("//") && !to.contains('\\'), "{path}: {to}");
        }
    }
    // Pages and the API, with hostile query strings and paths.
    let encoded = ["%00", "%09", "%0d%0a", "%1b", "%7f", "%E2%80%AE", "%ff", "%", "%%", "\\"];
    for value in encoded {
        for page in [
            "/login?next=",
            "/app/settings/api?after=",
            "/app/settings/api?delete=",
            "/app/settings/audit?type=",
            "/app/settings/audit?token_id=",
            "/invite/",
            "/app/settings/members?remove=",
        ] {
            let status = owner.client.get(format!("{}{page}{value}", app.url)).send().await.unwrap().status();
            assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{page}{value}: {status}");
        }
        for api in [
            "/api/v1/tokens?limit=",
            "/api/v1/tokens?after=",
            "/api/v1/tokens/",
            "/api/v1/audit?type=",
            "/api/v1/members/",
        ] {
            let status = token.send(reqwest::Method::GET, &format!("{api}{value}")).await.status();
            assert!(status.is_client_error() || status.is_success(), "{api}{value}: {status}");
        }
    }
    // The sign-in redirect with control characters in `next` (it used to panic leptos_axum).
    for next in ["/%09/evil.example/", "/x%0d%0aSet-Cookie:%20a=b", "/\u{7f}"] {
        let response = app
            .browser()
            .submit(LOGIN_URL, app::auth::Login::PATH, &[("email", OWNER), ("password", PASSWORD), ("next", next)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(response.headers()[header::LOCATION], TOKENS_URL, "{next}");
    }
    // The server is still healthy after all that.
    assert_eq!(app.browser().get("/healthz").await.status(), StatusCode::OK);
}
