//! What protects the dashboard: every server function checks the session itself, cross-site posts are
//! refused, and every response carries the security headers.

use crate::helpers::{TestApp, client};
use reqwest::{StatusCode, header};

on_both_backends!(
    every_server_function_needs_a_session_except_the_public_ones,
    cross_site_posts_are_refused,
    security_headers_on_every_response,
    cookies_are_secure_and_host_only_behind_https,
);

/// Called before anyone is signed in: first run, sign-in, invitation links (the link is the credential),
/// and "who is signed in", which answers `null` for nobody.
const PUBLIC: [&str; 5] =
    ["/rpc/auth/setup", "/rpc/auth/login", "/rpc/auth/invitation", "/rpc/auth/accept-invitation", "/rpc/auth/session"];

async fn every_server_function_needs_a_session_except_the_public_ones(app: TestApp) {
    app.setup_owner().await;
    let paths: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    assert!(paths.len() >= 10, "server functions found: {paths:?}");
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
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized", "{path}");
        }
    }
    // And GET never reaches a server function.
    let get = client().get(app.at("/rpc/orgs/members")).send().await.unwrap();
    assert!(
        get.status() == StatusCode::METHOD_NOT_ALLOWED || get.status() == StatusCode::NOT_FOUND,
        "{}",
        get.status()
    );
}

async fn cross_site_posts_are_refused(app: TestApp) {
    let owner = app.setup_owner().await;
    let url = app.at("/rpc/orgs/members/add");
    let form = [("email", "mallory@example.com"), ("role", "admin")];
    let cross_site = owner.client.post(&url).header("sec-fetch-site", "cross-site").form(&form).send().await.unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let same_site = owner.client.post(&url).header("sec-fetch-site", "same-site").form(&form).send().await.unwrap();
    assert_eq!(same_site.status(), StatusCode::FORBIDDEN);
    let foreign_origin =
        owner.client.post(&url).header(header::ORIGIN, "https://evil.example").form(&form).send().await;
    assert_eq!(foreign_origin.unwrap().status(), StatusCode::FORBIDDEN);
    // A plain cross-site form post to a page is refused too.
    let page = owner.client.post(app.at("/app/settings/members")).header("sec-fetch-site", "cross-site").form(&form);
    assert_eq!(page.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("users").await, 1, "a refused request changed something");

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
    for path in ["/", "/login", "/healthz", "/nope"] {
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
    let page = client().get(app.at("/login")).send().await.unwrap();
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "inline scripts carry the CSP nonce");
}

async fn cookies_are_secure_and_host_only_behind_https(app: TestApp) {
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |c| c.settings.public_origin = Some("https://tessera.example.com".into())).await;
    let response = app.setup("owner@example.com", crate::helpers::PASSWORD, "Acme").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> =
        response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("__Host-tessera_session=")).expect("__Host- cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Domain="), "{session}");
    let hsts = client().get(app.at("/healthz")).send().await.unwrap();
    assert!(hsts.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));
}
