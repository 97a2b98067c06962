//! Members, roles and invitations, through the dashboard's server functions and the operator's CLI.

use crate::helpers::{Browser, OWNER, PASSWORD, TestApp, code_of, tessera_cli};
use reqwest::StatusCode;
use tessera_core::{
    domain::{account::Email, org::Role},
    services::{accounts, members},
};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    two_organizations_invite_the_same_new_email_at_once,
    admins_manage_members_and_members_cannot,
    only_owners_touch_owners,
    the_last_owner_can_neither_leave_nor_be_demoted_or_removed,
    an_invitation_link_creates_the_account_once,
    an_existing_account_joins_only_by_accepting_while_signed_in,
    invitations_are_listed_replaced_and_revoked,
    bad_member_input_is_explained_and_changes_nothing,
    people_switch_between_their_organizations,
    the_admin_cli_creates_accounts_and_memberships,
);

fn emails(roster: &app::orgs::Roster) -> Vec<(String, Role)> {
    roster.members.iter().map(|m| (m.email.clone(), m.role)).collect()
}

async fn admins_manage_members_and_members_cannot(app: TestApp) {
    app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let member = app.member("member@example.com", "member").await;
    let viewer = app.member("viewer@example.com", "viewer").await;

    // Everyone in the organization sees its members; only those who manage them see invitations.
    for person in [&admin, &member, &viewer] {
        assert_eq!(person.members().await.unwrap().members.len(), 4);
    }
    // A member can't invite, re-role or remove anyone.
    let refused = member.invite("x@example.com", "viewer").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.message(), "Only admins and owners can manage members.");
    let viewer_id = app.user_id("viewer@example.com").await;
    assert_eq!(member.change_role(viewer_id, "admin").await.unwrap_err().status, StatusCode::FORBIDDEN);
    assert_eq!(member.remove_member(viewer_id).await.unwrap_err().status, StatusCode::FORBIDDEN);

    // An admin can.
    admin.change_role(viewer_id, "member").await.unwrap();
    admin.remove_member(viewer_id).await.unwrap();
    assert!(!emails(&admin.members().await.unwrap()).iter().any(|(e, _)| e == "viewer@example.com"));
    // The removed person's session no longer reaches the organization.
    assert_eq!(viewer.members().await.unwrap_err().status, StatusCode::FORBIDDEN);
    // Anyone may leave.
    member.remove_member(app.user_id("member@example.com").await).await.unwrap();
}

async fn only_owners_touch_owners(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    app.member("member@example.com", "member").await;
    let owner_id = app.user_id(OWNER).await;
    let member_id = app.user_id("member@example.com").await;

    let refused = admin.change_role(owner_id, "member").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.message(), "Only owners can add, remove, promote or demote owners.");
    assert_eq!(admin.change_role(member_id, "owner").await.unwrap_err().status, StatusCode::FORBIDDEN);
    assert_eq!(admin.invite("o2@example.com", "owner").await.unwrap_err().status, StatusCode::FORBIDDEN);
    assert_eq!(admin.remove_member(owner_id).await.unwrap_err().status, StatusCode::FORBIDDEN);

    owner.change_role(member_id, "owner").await.unwrap();
    assert!(emails(&owner.members().await.unwrap()).contains(&("member@example.com".into(), Role::Owner)));
}

async fn the_last_owner_can_neither_leave_nor_be_demoted_or_removed(app: TestApp) {
    let owner = app.setup_owner().await;
    let owner_id = app.user_id(OWNER).await;
    let demoted = owner.change_role(owner_id, "admin").await.unwrap_err();
    assert_eq!(demoted.status, StatusCode::CONFLICT);
    assert!(demoted.message().starts_with("The last owner can't be demoted"), "{demoted:?}");
    let left = owner.remove_member(owner_id).await.unwrap_err();
    assert_eq!(left.status, StatusCode::CONFLICT);
    assert!(left.message().starts_with("The last owner can't leave"), "{left:?}");
    // With a second owner, the first may step down...
    let second = app.member("second@example.com", "owner").await;
    second.change_role(owner_id, "admin").await.unwrap();
    // ...and now the second is the last one.
    let last = second.remove_member(app.user_id("second@example.com").await).await.unwrap_err();
    assert_eq!(last.status, StatusCode::CONFLICT);
    let owners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE role = 'owner'")
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(owners, 1);
}

async fn an_invitation_link_creates_the_account_once(app: TestApp) {
    let owner = app.setup_owner().await;
    let invited = owner.invite(" New.Person@Example.com ", "admin").await.unwrap();
    assert_eq!((invited.email.as_str(), invited.role), ("new.person@example.com", Role::Admin));
    let link = invited.link.clone().unwrap();
    assert!(link.starts_with(&format!("{}/invite/", app.url)), "{link}");
    let code = code_of(&invited);
    // Only a hash of the code is stored, and no account or membership exists before it is accepted.
    let stored: String =
        sqlx::query_scalar("SELECT code_hash FROM org_invitations").fetch_one(app.core.db.pool()).await.unwrap();
    assert_ne!(stored, code);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(owner.members().await.unwrap().invitations.len(), 1, "listed as pending");
    assert!(app.browser().login("new.person@example.com", PASSWORD).await.is_err());

    let page = app.browser().get(&format!("/invite/{code}")).await.text().await.unwrap();
    assert!(page.contains("Join Acme") && page.contains("new.person@example.com"), "{page}");
    let browser = app.browser();
    let info = browser.invitation(&code).await.unwrap();
    assert!(!info.account_exists);
    assert_eq!(browser.accept(&code, "short").await.unwrap_err().field(), Some("password"));
    browser.accept(&code, PASSWORD).await.unwrap();
    let session = browser.session().await.unwrap().unwrap();
    assert_eq!(session.current.unwrap().role, Role::Admin);

    // The link works once.
    let again = app.browser().accept(&code, "another password").await.unwrap_err();
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.message().contains("invalid, already used or expired"));
    assert!(app.browser().login("new.person@example.com", PASSWORD).await.is_ok());
    assert!(owner.members().await.unwrap().invitations.is_empty());
}

async fn an_existing_account_joins_only_by_accepting_while_signed_in(app: TestApp) {
    let owner = app.setup_owner().await;
    let existing = app.person("existing@example.com").await;
    // Inviting an email with an account looks exactly like inviting one without: nobody learns which
    // emails have accounts.
    let invited = owner.invite("existing@example.com", "member").await.unwrap();
    let unknown = owner.invite("unknown@example.com", "member").await.unwrap();
    assert!(
        invited.link.as_deref().unwrap().contains("/invite/") && unknown.link.as_deref().unwrap().contains("/invite/")
    );
    assert_eq!(app.count("memberships").await, 1, "nobody joined silently");
    let code = code_of(&invited);

    // Holding the link is not enough: the account must be signed in.
    let stranger = app.browser();
    let refused = stranger.accept(&code, "a new password!").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.message().contains("Sign in as existing@example.com"), "{refused:?}");
    assert!(app.browser().login("existing@example.com", "a new password!").await.is_err(), "the password is unchanged");
    // Signed in as someone else: refused, and told why.
    let other = app.person("other@example.com").await;
    let wrong = other.accept(&code, "").await.unwrap_err();
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("memberships").await, 1);

    // The account itself accepts.
    assert!(existing.invitation(&code).await.unwrap().account_exists);
    existing.accept(&code, "").await.unwrap();
    assert_eq!(existing.session().await.unwrap().unwrap().current.unwrap().name, "Acme");
}

async fn invitations_are_listed_replaced_and_revoked(app: TestApp) {
    let owner = app.setup_owner().await;
    let first = owner.invite("new@example.com", "viewer").await.unwrap();
    let second = owner.invite("new@example.com", "member").await.unwrap();
    let pending = owner.members().await.unwrap().invitations;
    assert_eq!(pending.len(), 1, "inviting again replaces the invitation");
    assert_eq!(pending[0].role, Role::Member);
    assert_eq!(
        app.browser().invitation(&code_of(&first)).await.unwrap_err().status,
        StatusCode::NOT_FOUND,
        "the old link died"
    );
    let id = pending[0].id.to_string();
    let revoked = owner.post::<app::orgs::RevokeInvitation>(&[("id", &id)]).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert!(owner.members().await.unwrap().invitations.is_empty());
    assert_eq!(app.browser().accept(&code_of(&second), PASSWORD).await.unwrap_err().status, StatusCode::NOT_FOUND);
}

async fn bad_member_input_is_explained_and_changes_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    app.member("member@example.com", "member").await;
    let before = (app.count("users").await, app.count("memberships").await, app.count("org_invitations").await);
    let cases = [
        ("not an email", "member", "email", "is not an email address"),
        ("x@example.com", "superuser", "role", "is not a role"),
        ("member@example.com", "admin", "email", "is already a member of Acme"),
        (OWNER, "viewer", "email", "is already a member"),
        ("zero\u{200B}width@example.com", "member", "email", "invisible formatting characters"),
    ];
    for (email, role, field, message) in cases {
        let failure = owner.invite(email, role).await.unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY, "{failure:?}");
        assert_eq!(failure.field(), Some(field), "{failure:?}");
        assert!(failure.message().contains(message), "{failure:?}");
    }
    let bad_id = owner.post::<app::orgs::ChangeRole>(&[("user_id", "not-a-uuid"), ("role", "admin")]).await;
    assert_eq!(bad_id.status(), StatusCode::NOT_FOUND);
    let after = (app.count("users").await, app.count("memberships").await, app.count("org_invitations").await);
    assert_eq!(before, after);
}

async fn people_switch_between_their_organizations(app: TestApp) {
    let owner = app.setup_owner().await;
    let other = app.person("other@example.com").await;
    let beta = app.org_owned_by("Beta", "other@example.com").await;
    members::operator_add_member(&app.core, beta, app.user_id(OWNER).await, Role::Viewer).await.unwrap();

    let current = |b: &Browser| {
        let b = b.clone();
        async move { b.session().await.unwrap().unwrap() }
    };
    assert_eq!(current(&owner).await.current.unwrap().name, "Acme");
    assert_eq!(current(&owner).await.orgs.len(), 2);
    owner.switch_org(beta).await.unwrap();
    let now = current(&owner).await.current.unwrap();
    assert_eq!((now.name.as_str(), now.role), ("Beta", Role::Viewer));
    assert_eq!(owner.members().await.unwrap().members.len(), 2);

    // Someone outside an organization can't switch into it: same answer as for one that doesn't exist.
    let acme = app.org("Acme").await;
    let outside = other.switch_org(acme).await.unwrap_err();
    let missing = other.switch_org(tessera_core::ids::OrgId::new_random()).await.unwrap_err();
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    assert_eq!(outside, missing);
}

async fn the_admin_cli_creates_accounts_and_memberships(app: TestApp) {
    app.setup_owner().await;
    let cli = |args: &[&str], stdin: &str| {
        let out = tessera_cli(&app.db, args, stdin, &[]);
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

    let browser = app.browser();
    browser.login("cli@example.com", "cli password 123").await.unwrap();
    let orgs: Vec<(String, Role)> =
        browser.session().await.unwrap().unwrap().orgs.into_iter().map(|o| (o.name, o.role)).collect();
    assert_eq!(orgs, [("Acme".to_owned(), Role::Admin), ("Gamma".to_owned(), Role::Owner)]);

    let (ok, out) = cli(&["user", "reset-password", "--email", "cli@example.com"], "new cli password\n");
    assert!(ok, "{out}");
    assert_eq!(browser.members().await.unwrap_err().status, StatusCode::UNAUTHORIZED, "its sessions ended");
    assert!(app.browser().login("cli@example.com", "new cli password").await.is_ok());
    let _ = accounts::find_user(&app.core, &Email::parse("cli@example.com").unwrap()).await.unwrap();
}

/// Two organizations invite the same new email at the same moment: both invitations are made (the
/// account the email gets is created once), neither admin sees a 500.
async fn two_organizations_invite_the_same_new_email_at_once(app: TestApp) {
    let a_owner = app.setup_owner().await;
    let b_owner = app.person("b-owner@example.com").await;
    let b = app.org_owned_by("Beta", "b-owner@example.com").await;
    b_owner.switch_org(b).await.unwrap();
    for i in 0..10 {
        let email = format!("new{i}@example.com");
        let (a, b) = tokio::join!(a_owner.invite(&email, "member"), b_owner.invite(&email, "admin"));
        assert!(a.is_ok() && b.is_ok(), "{email}: {:?} / {:?}", a.err(), b.err());
    }
    for owner in [&a_owner, &b_owner] {
        assert_eq!(owner.members().await.unwrap().invitations.len(), 10, "every invitation is pending");
    }
}
