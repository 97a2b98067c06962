//! Organizations, members and roles over HTTP: who may do what, the last-owner rule, invitations,
//! switching organizations, and the admin CLI.

use crate::helpers::{OWNER, PASSWORD, TestApp, client, error_of, rpc_with};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    admins_manage_members_and_members_cannot,
    only_owners_touch_owners,
    the_last_owner_can_neither_leave_nor_be_demoted_or_removed,
    adding_someone_new_gives_a_one_time_invitation_link,
    bad_member_input_is_explained_and_changes_nothing,
    people_switch_between_their_organizations,
    the_admin_cli_creates_accounts_and_memberships,
);

async fn members_of(client: &reqwest::Client, app: &TestApp) -> Vec<(String, String)> {
    let response = rpc_with(client, &app.at("/rpc/orgs/members"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let data: Value = response.json().await.unwrap();
    data["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap().to_owned(), m["role"].as_str().unwrap().to_owned()))
        .collect()
}

async fn admins_manage_members_and_members_cannot(app: TestApp) {
    app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let member = app.member("member@example.com", "member").await;
    let viewer = app.member("viewer@example.com", "viewer").await;

    // Everyone in the organization sees its members.
    for person in [&admin, &member, &viewer] {
        assert_eq!(members_of(&person.client, &app).await.len(), 4);
    }
    // A member can't add, re-role or remove anyone.
    let add =
        rpc_with(&member.client, &app.at("/rpc/orgs/members/add"), &[("email", "x@example.com"), ("role", "viewer")]);
    let (status, body) = error_of(add.await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["message"], "Only admins and owners can manage members.");
    let viewer_id = app.user_id("viewer@example.com").await;
    let promote =
        rpc_with(&member.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &viewer_id), ("role", "admin")]);
    assert_eq!(promote.await.status(), StatusCode::FORBIDDEN);
    let remove = rpc_with(&member.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &viewer_id)]);
    assert_eq!(remove.await.status(), StatusCode::FORBIDDEN);

    // An admin can.
    let promote =
        rpc_with(&admin.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &viewer_id), ("role", "member")]);
    assert_eq!(promote.await.status(), StatusCode::OK);
    let remove = rpc_with(&admin.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &viewer_id)]);
    assert_eq!(remove.await.status(), StatusCode::OK);
    let members = members_of(&admin.client, &app).await;
    assert!(!members.iter().any(|(e, _)| e == "viewer@example.com"));
    // The removed person's session no longer reaches the organization.
    let (status, _) = error_of(rpc_with(&viewer.client, &app.at("/rpc/orgs/members"), &[]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Anyone may leave.
    let me = app.user_id("member@example.com").await;
    assert_eq!(
        rpc_with(&member.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &me)]).await.status(),
        StatusCode::OK
    );
}

async fn only_owners_touch_owners(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    app.member("member@example.com", "member").await;
    let owner_id = app.user_id(OWNER).await;
    let member_id = app.user_id("member@example.com").await;

    let demote_owner =
        rpc_with(&admin.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &owner_id), ("role", "member")]);
    let (status, body) = error_of(demote_owner.await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["message"], "Only owners can add, remove, promote or demote owners.");
    let make_owner =
        rpc_with(&admin.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &member_id), ("role", "owner")]);
    assert_eq!(make_owner.await.status(), StatusCode::FORBIDDEN);
    let add_owner =
        rpc_with(&admin.client, &app.at("/rpc/orgs/members/add"), &[("email", "o2@example.com"), ("role", "owner")]);
    assert_eq!(add_owner.await.status(), StatusCode::FORBIDDEN);
    let remove_owner = rpc_with(&admin.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &owner_id)]);
    assert_eq!(remove_owner.await.status(), StatusCode::FORBIDDEN);

    let make_owner =
        rpc_with(&owner.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &member_id), ("role", "owner")]);
    assert_eq!(make_owner.await.status(), StatusCode::OK);
    let members = members_of(&owner.client, &app).await;
    assert!(members.contains(&("member@example.com".into(), "owner".into())));
}

async fn the_last_owner_can_neither_leave_nor_be_demoted_or_removed(app: TestApp) {
    let owner = app.setup_owner().await;
    let owner_id = app.user_id(OWNER).await;
    let cases = [
        (
            "/rpc/orgs/members/role",
            vec![("user_id", owner_id.as_str()), ("role", "admin")],
            "The last owner can't be demoted",
        ),
        ("/rpc/orgs/members/remove", vec![("user_id", owner_id.as_str())], "The last owner can't leave"),
    ];
    for (path, form, message) in cases {
        let (status, body) = error_of(rpc_with(&owner.client, &app.at(path), &form).await).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(body["message"].as_str().unwrap().starts_with(message), "{body}");
    }
    // With a second owner, the first may step down.
    let second = app.member("second@example.com", "owner").await;
    let demote =
        rpc_with(&second.client, &app.at("/rpc/orgs/members/role"), &[("user_id", &owner_id), ("role", "admin")]);
    assert_eq!(demote.await.status(), StatusCode::OK);
    // ...and now the second is the last one.
    let second_id = app.user_id("second@example.com").await;
    let (status, body) =
        error_of(rpc_with(&second.client, &app.at("/rpc/orgs/members/remove"), &[("user_id", &second_id)]).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let memberships: Vec<String> = sqlx::query_scalar("SELECT role FROM memberships WHERE role = 'owner'")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(memberships.len(), 1);
}

async fn adding_someone_new_gives_a_one_time_invitation_link(app: TestApp) {
    let owner = app.setup_owner().await;
    let added = rpc_with(
        &owner.client,
        &app.at("/rpc/orgs/members/add"),
        &[("email", " New.Person@Example.com "), ("role", "admin")],
    );
    let added: Value = added.await.json().await.unwrap();
    assert_eq!(added["email"], "new.person@example.com");
    let link = added["invitation_link"].as_str().unwrap().to_owned();
    let code = link.rsplit('/').next().unwrap().to_owned();
    assert!(link.starts_with(&format!("{}/invite/", app.url)), "{link}");
    // Only a hash of the code is stored.
    let stored: String =
        sqlx::query_scalar("SELECT code_hash FROM invitations").fetch_one(app.state.db.pool()).await.unwrap();
    assert_ne!(stored, code);

    // Before accepting, the person can't sign in.
    assert_eq!(
        app.login(&client(), "new.person@example.com", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = client().get(app.at(&format!("/invite/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Join Acme") && page.contains("new.person@example.com"), "{page}");

    let browser = client();
    let short =
        rpc_with(&browser, &app.at("/rpc/auth/accept-invitation"), &[("code", &code), ("password", "short")]).await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let accepted =
        rpc_with(&browser, &app.at("/rpc/auth/accept-invitation"), &[("code", &code), ("password", PASSWORD)]).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let info: Value = rpc_with(&browser, &app.at("/rpc/auth/session"), &[]).await.json().await.unwrap();
    assert_eq!(info["current"]["role"], "admin");

    // The link works once.
    let again = rpc_with(
        &client(),
        &app.at("/rpc/auth/accept-invitation"),
        &[("code", &code), ("password", "another password")],
    )
    .await;
    let (status, body) = error_of(again).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].as_str().unwrap().contains("invalid, already used or expired"));
    assert_eq!(app.login(&client(), "new.person@example.com", PASSWORD).await.status(), StatusCode::OK);
}

async fn bad_member_input_is_explained_and_changes_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    app.member("member@example.com", "member").await;
    let before = (app.count("users").await, app.count("memberships").await, app.count("invitations").await);
    let cases = [
        (vec![("email", "not an email"), ("role", "member")], "email", "is not an email address"),
        (vec![("email", "x@example.com"), ("role", "superuser")], "role", "is not a role"),
        (vec![("email", "member@example.com"), ("role", "admin")], "email", "is already a member of Acme"),
        (vec![("email", OWNER), ("role", "viewer")], "email", "is already a member"),
    ];
    for (form, field, message) in cases {
        let (status, body) = error_of(rpc_with(&owner.client, &app.at("/rpc/orgs/members/add"), &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], field, "{body}");
        assert!(body["message"].as_str().unwrap().contains(message), "{body}");
    }
    let bad_role =
        rpc_with(&owner.client, &app.at("/rpc/orgs/members/role"), &[("user_id", "not-a-uuid"), ("role", "admin")]);
    assert_eq!(bad_role.await.status(), StatusCode::NOT_FOUND);
    let after = (app.count("users").await, app.count("memberships").await, app.count("invitations").await);
    assert_eq!(before, after);
}

async fn people_switch_between_their_organizations(app: TestApp) {
    let owner = app.setup_owner().await;
    let other = app.person("other@example.com").await;
    let other_email = app::auth::domain::Email::parse("other@example.com").unwrap();
    let other_user = app::auth::service::find_user(&app.state, &other_email).await.unwrap();
    let beta_name = app::orgs::domain::OrgName::parse("Beta").unwrap();
    let beta = app::auth::service::create_org_for(&app.state, &beta_name, other_user).await.unwrap();
    let owner_id: app::ids::UserId = app.user_id(OWNER).await.parse().unwrap();
    app::orgs::service::add_member_as_admin(&app.state, beta, owner_id, "viewer".parse().unwrap()).await.unwrap();

    let session =
        || async { rpc_with(&owner.client, &app.at("/rpc/auth/session"), &[]).await.json::<Value>().await.unwrap() };
    assert_eq!(session().await["current"]["name"], "Acme");
    assert_eq!(session().await["orgs"].as_array().unwrap().len(), 2);
    let switched = rpc_with(&owner.client, &app.at("/rpc/orgs/switch"), &[("org_id", &beta.to_string())]).await;
    assert_eq!(switched.status(), StatusCode::OK);
    assert_eq!(session().await["current"]["name"], "Beta");
    assert_eq!(session().await["current"]["role"], "viewer");
    let members = members_of(&owner.client, &app).await;
    assert_eq!(members.len(), 2);

    // Someone outside an organization can't switch into it: same answer as for one that doesn't exist.
    let acme = app::orgs::service::find_org(&app.state, "Acme").await.unwrap();
    let (status, _) =
        error_of(rpc_with(&other.client, &app.at("/rpc/orgs/switch"), &[("org_id", &acme.to_string())]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = error_of(
        rpc_with(&other.client, &app.at("/rpc/orgs/switch"), &[("org_id", &uuid::Uuid::new_v4().to_string())]).await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_admin_cli_creates_accounts_and_memberships(app: TestApp) {
    app.setup_owner().await;
    let cli = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_DATABASE_URL", &app.db.url)
            .env("TESSERA_DATA_DIR", app.db.data_dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = cli(&["user", "create", "--email", "cli@example.com"], "cli password 123\n");
    assert!(ok, "{out}");
    let (ok, out) = cli(&["user", "create", "--email", "cli@example.com"], "cli password 123\n");
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = cli(&["user", "create", "--email", "short@example.com"], "short\n");
    assert!(!ok && out.contains("at least 8 characters"), "{out}");
    let (ok, out) = cli(&["org", "add-member", "--org", "Acme", "--email", "cli@example.com", "--role", "admin"], "");
    assert!(ok, "{out}");
    let (ok, out) = cli(&["org", "create", "--name", "Gamma", "--owner", "cli@example.com"], "");
    assert!(ok, "{out}");

    let browser = client();
    assert_eq!(app.login(&browser, "cli@example.com", "cli password 123").await.status(), StatusCode::OK);
    let info: Value = rpc_with(&browser, &app.at("/rpc/auth/session"), &[]).await.json().await.unwrap();
    let orgs: Vec<(&str, &str)> = info["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["role"].as_str().unwrap()))
        .collect();
    assert_eq!(orgs, [("Acme", "admin"), ("Gamma", "owner")]);

    let (ok, out) = cli(&["user", "reset-password", "--email", "cli@example.com"], "new cli password\n");
    assert!(ok, "{out}");
    assert_eq!(rpc_with(&browser, &app.at("/rpc/orgs/members"), &[]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&client(), "cli@example.com", "new cli password").await.status(), StatusCode::OK);
}
