//! Where people land and what the frame offers them: the start page, creating an organization from the
//! organization menu, and the page for someone who belongs to no organization.

use crate::helpers::{OWNER, TestApp};
use app::{orgs::CreateOrg, routes};
use leptos::server_fn::ServerFn;
use reqwest::{StatusCode, header};
use tessera_core::{domain::org::Role, error::ErrorKind};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    the_start_page_sends_the_signed_in_to_their_tokens_and_shows_this_servers_address,
    a_signed_in_person_creates_an_organization_and_owns_it,
    a_bad_organization_name_is_explained_beside_its_field_and_creates_nothing,
    someone_removed_from_their_only_organization_lands_on_a_page_with_a_way_out,
);

fn location(response: &reqwest::Response) -> &str {
    response.headers()[header::LOCATION].to_str().unwrap()
}

/// The `href`s of the page's links.
fn links(html: &str) -> Vec<String> {
    html.split("<a ")
        .skip(1)
        .filter_map(|a| a.split('>').next()?.split("href=\"").nth(1)?.split('"').next().map(str::to_owned))
        .collect()
}

async fn the_start_page_sends_the_signed_in_to_their_tokens_and_shows_this_servers_address(app: TestApp) {
    // Before setup there is nobody to sign in: the setup page offers no "Sign in".
    let anonymous = app.browser();
    let home = anonymous.get(routes::HOME_URL).await;
    assert_eq!(location(&home), routes::SETUP_URL);
    let setup = anonymous.get(routes::SETUP_URL).await.text().await.unwrap();
    assert!(!links(&setup).iter().any(|l| l.starts_with(routes::LOGIN_URL)), "{:?}", links(&setup));
    assert!(!setup.contains(">Sign in<"));

    let owner = app.setup_owner().await;
    // Signed in: straight to the tokens, as after a form (303).
    let home = owner.get(routes::HOME_URL).await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&home), routes::TOKENS_URL);

    // Not signed in: every example calls this server, with the variables `tessera api` reads.
    let html = anonymous.get(routes::HOME_URL).await.text().await.unwrap();
    assert!(!html.contains("tessera.example.com"));
    let whoami = format!("{}/api/v1/whoami", app.url);
    let cli = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/cli.rs")).unwrap();
    for client in ["curl", "python", "node"] {
        let marker = format!("data-testid=\"quickstart-code-{client}\"");
        let code = html.split(&marker).nth(1).and_then(|c| c.split("</pre>").next()).expect(&marker);
        assert!(code.contains(&whoami), "{client} calls {whoami}: {code}");
        for name in ["TESSERA_TOKEN_ID", "TESSERA_TOKEN_SECRET"] {
            assert!(code.contains(name), "{client} reads {name}: {code}");
            assert!(cli.contains(&format!("std::env::var(\"{name}\")")), "the CLI reads {name}");
        }
    }
    assert!(!html.contains("$TOKEN_ID") && !html.contains("\"TOKEN_SECRET\""));
}

async fn a_signed_in_person_creates_an_organization_and_owns_it(app: TestApp) {
    let owner = app.setup_owner().await;
    let before = app.count("organizations").await;
    let id = owner.call::<CreateOrg>(&[("name", "  Beta  ")]).await.unwrap();
    assert_eq!(app.count("organizations").await, before + 1);

    // They own it, and the dashboard now acts in it.
    let session = owner.session().await.unwrap().unwrap();
    let current = session.current.unwrap();
    assert_eq!((current.id.to_string(), current.name.as_str(), current.role), (id, "Beta", Role::Owner));
    assert_eq!(session.orgs.len(), 2);
    assert_eq!(owner.members().await.unwrap().members.len(), 1);
    // The organization's audit log starts with its creation, by the person, from their browser.
    let events = owner.audit(&[]).await.unwrap().events.items;
    let [created] = events.as_slice() else { panic!("{events:?}") };
    assert_eq!(created.event.as_str(), "member.added");
    assert_eq!(created.actor_label, OWNER);
    assert_eq!(created.subject_label.as_deref(), Some(OWNER));
    let detail: serde_json::Value = serde_json::from_str(&created.detail).unwrap();
    assert_eq!((detail["role"].as_str(), detail["how"].as_str()), (Some("owner"), Some("created")));
    assert!(created.client_ip.is_some());

    // Without JavaScript: the form on the new-organization page posts, and the tokens page follows.
    let (answer, html) = owner.submit_and_follow(routes::NEW_ORG_URL, CreateOrg::PATH, &[("name", "Gamma")]).await;
    assert_eq!(location(&answer), routes::TOKENS_URL);
    assert!(html.contains(">Gamma<"), "the organization menu names the new organization");
    assert_eq!(owner.session().await.unwrap().unwrap().current.unwrap().name, "Gamma");

    // Nobody signed in creates nothing.
    let refused = app.browser().call::<CreateOrg>(&[("name", "Delta")]).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unauthorized);
    assert_eq!(app.count("organizations").await, before + 2);
}

async fn a_bad_organization_name_is_explained_beside_its_field_and_creates_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let before = app.count("organizations").await;
    let long = "x".repeat(101);
    for (name, message) in [
        ("", "Enter an organization name."),
        ("   ", "Enter an organization name."),
        (long.as_str(), "An organization name has at most 100 characters."),
    ] {
        let refused = owner.call::<CreateOrg>(&[("name", name)]).await.unwrap_err();
        assert_eq!(
            (refused.status, refused.field(), refused.message()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("name"), message)
        );
    }
    // Without JavaScript the page comes back with the error beside the field, and what was typed.
    let (answer, html) = owner.submit_and_follow(routes::NEW_ORG_URL, CreateOrg::PATH, &[("name", &long)]).await;
    assert_eq!(location(&answer), routes::NEW_ORG_URL);
    let field = html.split("id=\"field-name\"").nth(1).expect("the name field");
    assert!(field.contains(&format!("value=\"{long}\"")), "what was typed is kept");
    assert!(field.contains("aria-invalid=\"true\""));
    let beside = field.split("</div>").next().unwrap();
    assert!(beside.contains("An organization name has at most 100 characters."), "{beside}");
    assert_eq!(app.count("organizations").await, before);
    assert_eq!(owner.session().await.unwrap().unwrap().current.unwrap().name, "Acme");
}

async fn someone_removed_from_their_only_organization_lands_on_a_page_with_a_way_out(app: TestApp) {
    let owner = app.setup_owner().await;
    let bob = app.member("bob@example.com", "member").await;
    owner.remove_member(app.user_id("bob@example.com").await).await.unwrap();

    // Every page of the dashboard, and the start page, send them to the one page that helps them.
    for page in [routes::HOME_URL, routes::LOGIN_URL, routes::TOKENS_URL, routes::MEMBERS_URL, routes::AUDIT_URL] {
        let answer = bob.get(page).await;
        assert_eq!((answer.status(), location(&answer)), (StatusCode::SEE_OTHER, routes::NEW_ORG_URL), "{page}");
    }
    let page = bob.get(routes::NEW_ORG_URL).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("You are not a member of any organization"));
    assert!(html.contains("Ask an administrator"));
    assert!(html.contains("data-testid=\"sign-out\""));
    // No link leads back here (through a redirect or not): only the skip link, within the page.
    assert_eq!(links(&html), vec!["#main".to_owned()]);

    // Creating an organization is the way out.
    bob.call::<CreateOrg>(&[("name", "Bob's")]).await.unwrap();
    let home = bob.get(routes::HOME_URL).await;
    assert_eq!(location(&home), routes::TOKENS_URL);
    assert_eq!(bob.get(routes::TOKENS_URL).await.status(), StatusCode::OK);
}
