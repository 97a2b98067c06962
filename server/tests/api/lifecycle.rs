//! The token lifecycle: the audit trail, rotation with a grace period and token families, the
//! organization's token policy, and the incident tools.

use crate::helpers::{Api, Backend, OWNER, PASSWORD, TestApp, code_of, tessera_cli};
use reqwest::{Method, StatusCode};
use std::collections::HashMap;
use tessera::http::api::json::{AuditPage, RevokedJson, RotatedTokenJson};
use tessera_core::{
    ErrorKind,
    domain::{audit::EventType, token::RevokeReason},
    services::housekeeping,
    time::{DAY_MS, HOUR_MS},
};

tessera_core::on_each_engine!(crate::helpers::on_app =>
    every_event_is_recorded_once_with_who_and_from_where,
    a_change_that_rolls_back_leaves_no_event,
    events_never_contain_a_secret,
    the_audit_log_pages_filters_and_exports,
    the_audit_log_is_for_admins_and_owners,
    expired_and_policy_refusals_are_recorded_once,
    old_events_are_pruned_after_the_retention_period,
    rotation_keeps_the_old_secret_for_the_grace_period_exactly,
    reuse_of_a_rotated_away_secret_revokes_the_family,
    rotating_twice_is_refused_and_changes_nothing,
    rotation_through_the_api_is_a_policy,
    creation_beyond_the_policy_is_refused_and_stores_nothing,
    lowering_the_maximum_refuses_longer_tokens_at_once,
    the_unused_token_sweep_revokes_idle_tokens,
    a_members_tokens_are_revoked_at_once,
    all_tokens_of_the_organization_are_revoked_with_a_typed_confirmation,
);

async fn event_counts(app: &TestApp) -> HashMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT event_type, COUNT(*) FROM audit_events GROUP BY event_type")
        .fetch_all(app.core.db.pool())
        .await
        .unwrap();
    rows.into_iter().collect()
}

async fn every_event_is_recorded_once_with_who_and_from_where(app: TestApp) {
    let owner = app.setup_owner().await;
    // Members: invited, added (by accepting), role changed, removed.
    let invited = owner.invite("new@example.com", "member").await.unwrap();
    let newcomer = app.browser();
    newcomer.accept(&code_of(&invited), PASSWORD).await.unwrap();
    let new_id = app.user_id("new@example.com").await;
    owner.change_role(new_id, "admin").await.unwrap();
    let revoked_invitation = owner.invite("later@example.com", "viewer").await.unwrap();
    let id = owner.members().await.unwrap().invitations[0].id.to_string();
    owner.post::<app::orgs::RevokeInvitation>(&[("id", &id)]).await;
    let _ = revoked_invitation;
    // Tokens: created, rotated, deleted (by its creator, and by the token itself).
    let token = owner.token("ci").await;
    owner.rotate_token(&token.id.to_string(), "none").await.unwrap();
    let doomed = owner.token("doomed").await;
    owner.delete_token(&doomed.id.to_string()).await.unwrap();
    let selfish = app.api(&owner.token("self").await);
    assert_eq!(selfish.status(Method::DELETE, "/api/v1/tokens/current").await, StatusCode::NO_CONTENT);
    // Sign-ins, a policy change, a removal.
    app.browser().login(OWNER, "wrong password").await.unwrap_err();
    app.browser().login(OWNER, PASSWORD).await.unwrap();
    owner.set_policy("180", "30", "", false).await.unwrap();
    owner.remove_member(new_id).await.unwrap();

    let counts = event_counts(&app).await;
    let expected = [
        ("member.added", 2), // the owner at setup, the newcomer
        ("member.invited", 2),
        ("member.invitation_revoked", 1),
        ("member.role_changed", 1),
        ("member.removed", 1),
        ("token.created", 4), // three created, and the successor of the rotated one
        ("token.rotated", 1),
        ("token.deleted", 2),
        ("auth.sign_in_succeeded", 1),
        ("auth.sign_in_failed", 1),
        ("org.policy_changed", 1),
    ];
    for (event, n) in expected {
        assert_eq!(counts.get(event).copied().unwrap_or(0), n, "{event}: {counts:?}");
    }
    // Who, what, from where.
    let page = owner.audit(&[("type", "token.deleted")]).await.unwrap().events.items;
    let by_token = page
        .iter()
        .find(|e| e.actor_kind == tessera_core::domain::audit::ActorKind::Token)
        .expect("the token deleted itself");
    assert_eq!(by_token.client_ip.as_deref(), Some("127.0.0.1"));
    assert!(by_token.detail.contains("the token itself"), "{}", by_token.detail);
    let by_user = page.iter().find(|e| e.actor_kind == tessera_core::domain::audit::ActorKind::User).unwrap();
    assert_eq!(by_user.actor_label, OWNER);
    assert_eq!(by_user.subject_id, doomed.id.to_string());
}

/// Changes and their events commit together: if the transaction fails after the events were written,
/// they disappear with the change.
async fn a_change_that_rolls_back_leaves_no_event(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    admin.token("one").await;
    admin.token("two").await;
    admin.invite("pending@example.com", "viewer").await.unwrap();
    let before = event_counts(&app).await;
    // Removing the admin revokes their tokens (events), then deletes the invitations they issued:
    // make that last step fail.
    let (create, drop) = match app.db.backend {
        Backend::Sqlite => (
            "CREATE TRIGGER boom BEFORE DELETE ON org_invitations BEGIN SELECT RAISE(ABORT, 'boom'); END",
            "DROP TRIGGER boom",
        ),
        Backend::Postgres => (
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER boom BEFORE DELETE ON org_invitations FOR EACH ROW EXECUTE FUNCTION boom()",
            "DROP TRIGGER boom ON org_invitations",
        ),
    };
    sqlx::raw_sql(create).execute(app.core.db.pool()).await.unwrap();
    let failed = owner.remove_member(app.user_id("admin@example.com").await).await.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::Internal);
    assert!(!failed.message().contains("boom"), "internal text reached the user: {failed:?}");
    assert_eq!(event_counts(&app).await, before, "events of a rolled-back change remained");
    assert_eq!(owner.members().await.unwrap().members.len(), 2, "the change itself rolled back too");
    assert_eq!(owner.list_tokens(None).await.unwrap().items.len(), 2);
    sqlx::raw_sql(drop).execute(app.core.db.pool()).await.unwrap();
    owner.remove_member(app.user_id("admin@example.com").await).await.unwrap();
    let after = event_counts(&app).await;
    assert_eq!(after["token.revoked"], 2);
    assert_eq!(after["member.removed"], 1);
}

async fn events_never_contain_a_secret(app: TestApp) {
    let owner = app.setup_owner().await;
    let invited = owner.invite("new@example.com", "member").await.unwrap();
    let code = code_of(&invited);
    app.browser().accept(&code, "the newcomer's password").await.unwrap();
    let token = owner.token("ci").await;
    let rotated = owner.rotate_token(&token.id.to_string(), "1h").await.unwrap();
    app.browser().login(OWNER, "a mistyped password").await.unwrap_err();
    let rows: Vec<String> = match app.db.backend {
        Backend::Sqlite => {
            let rows: Vec<(String, String, Option<String>, String)> =
                sqlx::query_as("SELECT actor_label, subject_id, subject_label, detail FROM audit_events")
                    .fetch_all(app.core.db.pool())
                    .await
                    .unwrap();
            rows.into_iter().map(|r| format!("{r:?}")).collect()
        }
        Backend::Postgres => {
            sqlx::query_scalar("SELECT e::text FROM audit_events e").fetch_all(app.core.db.pool()).await.unwrap()
        }
    };
    assert!(rows.len() >= 6);
    let everything = rows.join("\n");
    for secret in [
        &token.secret[4..],
        &rotated.successor.secret[4..],
        code.as_str(),
        "the newcomer's password",
        "a mistyped password",
        PASSWORD,
    ] {
        assert!(!everything.contains(secret), "a secret is in the audit trail");
    }
}

async fn the_audit_log_pages_filters_and_exports(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut ids = Vec::new();
    for i in 0..30 {
        app.clock.advance_ms(1_000);
        ids.push(owner.token(&format!("t{i}")).await.id);
    }
    app.clock.advance_ms(1_000);
    owner.delete_token(&ids[3].to_string()).await.unwrap();
    let first = owner.audit(&[]).await.unwrap().events;
    assert_eq!(first.items.len(), 25);
    assert_eq!(first.items[0].event, EventType::TokenDeleted, "newest first");
    let second = owner.audit(&[("after", first.next.as_deref().unwrap())]).await.unwrap().events;
    assert_eq!(second.items.len(), 7, "30 created, 1 deleted, 1 member added at setup");
    let about = owner.audit(&[("token_id", &ids[3].to_string())]).await.unwrap().events;
    assert_eq!(
        about.items.iter().map(|e| e.event).collect::<Vec<_>>(),
        [EventType::TokenDeleted, EventType::TokenCreated]
    );
    let only = owner.audit(&[("type", "token.deleted")]).await.unwrap().events;
    assert_eq!(only.items.len(), 1);
    let by_member = owner.audit(&[("member_id", &app.user_id(OWNER).await.to_string())]).await.unwrap().events;
    assert!(by_member.items.len() >= 25);
    assert_eq!(owner.audit(&[("type", "token.stolen")]).await.unwrap_err().field(), Some("type"));

    // The API, the same way.
    let api = app.api(&owner.token("auditor").await);
    let page: AuditPage = api.get(&format!("/api/v1/audit?type=token.deleted&token_id={}", ids[3])).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].r#type, "token.deleted");
    let limited: AuditPage = api.get("/api/v1/audit?limit=2").await.unwrap();
    assert_eq!(limited.events.len(), 2);
    assert!(limited.next.is_some());

    // Exported as JSON lines, oldest first, for log pipelines.
    let out = tessera_cli(&app.db, &["audit", "export", "--org", "Acme"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len() as i64, app.count("audit_events").await);
    assert_eq!(lines[0]["type"], "member.added");
    assert!(lines.windows(2).all(|w| w[0]["time_ms"].as_i64() <= w[1]["time_ms"].as_i64()), "oldest first");
    let since = tessera_cli(&app.db, &["audit", "export", "--org", "Acme", "--since", "2027-01-01T00:00:00Z"], "", &[]);
    assert!(since.stdout.is_empty());
    let bad = tessera_cli(&app.db, &["audit", "export", "--org", "Acme", "--since", "yesterday"], "", &[]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}

async fn the_audit_log_is_for_admins_and_owners(app: TestApp) {
    app.setup_owner().await;
    let member = app.member("member@example.com", "member").await;
    let admin = app.member("admin@example.com", "admin").await;
    assert_eq!(member.audit(&[]).await.unwrap_err().status, StatusCode::FORBIDDEN);
    assert!(admin.audit(&[]).await.is_ok());
    let members_token = app.api(&member.token("m").await);
    assert_eq!(members_token.status(Method::GET, "/api/v1/audit").await, StatusCode::FORBIDDEN);
    // Append-only through the product: no endpoint changes or deletes an event.
    let admins_token = app.api(&admin.token("a").await);
    assert_eq!(admins_token.status(Method::DELETE, "/api/v1/audit").await, StatusCode::METHOD_NOT_ALLOWED);
}

async fn expired_and_policy_refusals_are_recorded_once(app: TestApp) {
    let owner = app.setup_owner().await;
    let short = app.api(&owner.create_token("short", "1").await.unwrap());
    let long = app.api(&owner.create_token("long", "300").await.unwrap());
    app.clock.advance_ms(DAY_MS);
    for _ in 0..5 {
        assert_eq!(short.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    owner.login(OWNER, PASSWORD).await.unwrap();
    owner.set_policy("90", "30", "", false).await.unwrap();
    for _ in 0..5 {
        assert_eq!(long.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    let counts = event_counts(&app).await;
    assert_eq!(counts["token.expired"], 1);
    assert_eq!(counts["token.refused_by_policy"], 1);
    // A successful request writes no event.
    let fine = app.api(&owner.token("fine").await);
    let before = event_counts(&app).await;
    for _ in 0..10 {
        assert_eq!(fine.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    }
    assert_eq!(event_counts(&app).await, before);
}

async fn old_events_are_pruned_after_the_retention_period(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.token("old").await;
    app.clock.advance_ms(400 * DAY_MS);
    owner.login(OWNER, PASSWORD).await.unwrap();
    owner.token("recent").await;
    let swept = housekeeping::sweep(&app.core).await.unwrap();
    assert_eq!(swept.audit_events, 0, "exactly 400 days old: kept");
    app.clock.advance_ms(1);
    let swept = housekeeping::sweep(&app.core).await.unwrap();
    assert_eq!(swept.audit_events, 2, "the setup and the first token");
    assert_eq!(event_counts(&app).await["token.created"], 1);
}

async fn rotation_keeps_the_old_secret_for_the_grace_period_exactly(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.token("deploy").await;
    let old = app.api(&created);
    let rotated = owner.rotate_token(&created.id.to_string(), "24h").await.unwrap();
    let new = app.api(&rotated.successor);
    assert_eq!(rotated.successor.name.as_deref(), Some("deploy"), "the same name");
    assert_ne!(rotated.successor.secret, created.secret);
    assert_eq!(rotated.old_valid_until.millis() - app.clock.now().millis(), 24 * HOUR_MS);
    assert_eq!(new.whoami().await.unwrap().role, "owner", "the same creator and permissions");
    // The list shows it rotating.
    let listed = owner.list_tokens(None).await.unwrap().items;
    let row = listed.iter().find(|t| t.token.id == created.id).unwrap();
    assert_eq!(row.token.grace_until, Some(rotated.old_valid_until));
    assert!(!row.can_rotate, "a rotating token can't be rotated again from the list");

    app.clock.advance_ms(24 * HOUR_MS - 1);
    assert_eq!(old.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "one millisecond before the end");
    assert_eq!(new.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // With no grace at all, the old secret stops at once.
    let other = owner.token("other").await;
    owner.rotate_token(&other.id.to_string(), "none").await.unwrap();
    assert_eq!(app.api(&other).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    for grace in ["2h", "forever"] {
        assert_eq!(
            owner.rotate_token(&owner.token("x").await.id.to_string(), grace).await.unwrap_err().field(),
            Some("grace")
        );
    }
}

async fn reuse_of_a_rotated_away_secret_revokes_the_family(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.token("family").await;
    let first = owner.rotate_token(&created.id.to_string(), "1h").await.unwrap();
    let second = owner.rotate_token(&first.successor.id.to_string(), "1h").await.unwrap();
    let newest = app.api(&second.successor);
    app.clock.advance_ms(HOUR_MS);
    assert_eq!(newest.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // Someone presents the first secret after its grace period: one of its holders is not legitimate.
    assert_eq!(app.api(&created).status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    assert_eq!(newest.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "the family is revoked");
    let counts = event_counts(&app).await;
    assert_eq!(counts["token.exposed"], 1);
    let revoked = owner.tokens_page().await.unwrap().revoked.items;
    assert!(
        revoked
            .iter()
            .any(|t| t.token.id == second.successor.id && t.token.revoked_reason == Some(RevokeReason::ReuseDetected))
    );
    // A wrong secret for the old id does not trigger it (anyone can send an id).
    let owner2 = owner.token("another family").await;
    owner.rotate_token(&owner2.id.to_string(), "1h").await.unwrap();
    app.clock.advance_ms(HOUR_MS);
    let forged = Api { secret: owner.token("forger").await.secret, ..app.api(&owner2) };
    assert_eq!(forged.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    assert_eq!(event_counts(&app).await["token.exposed"], 1);
}

async fn rotating_twice_is_refused_and_changes_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.token("twice").await;
    let rotated = owner.rotate_token(&created.id.to_string(), "24h").await.unwrap();
    let again = owner.rotate_token(&created.id.to_string(), "24h").await.unwrap_err();
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.message().contains("already rotated"), "{again:?}");
    assert_eq!(app.api(&rotated.successor).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert_eq!(app.api(&created).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    assert!(!event_counts(&app).await.contains_key("token.exposed"));
}

async fn rotation_through_the_api_is_a_policy(app: TestApp) {
    let owner = app.setup_owner().await;
    let created = owner.token("integration").await;
    let api = app.api(&created);
    let refused =
        api.post_json::<RotatedTokenJson>("/api/v1/tokens/current/rotate", serde_json::json!({})).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.message().contains("Rotation through the API is off"));
    owner.set_policy("365", "30", "", true).await.unwrap();
    let rotated: RotatedTokenJson = api
        .post_json("/api/v1/tokens/current/rotate", serde_json::json!({"grace": "1h", "expires_in_days": 7}))
        .await
        .unwrap();
    assert_eq!(rotated.replaces, api.id);
    let successor = Api { id: rotated.id.clone(), secret: rotated.secret.clone(), ..api.clone() };
    assert_eq!(successor.whoami().await.unwrap().token.name.as_deref(), Some("integration"));
    // Rotation replaces; it never adds: the count of live tokens is the same.
    assert_eq!(owner.list_tokens(None).await.unwrap().items.len(), 2, "the old one is listed while its grace lasts");
    app.clock.advance_ms(HOUR_MS);
    assert_eq!(owner.list_tokens(None).await.unwrap().items.len(), 1);
    // Bad input is refused with the field to fix.
    let bad = successor
        .post_json::<RotatedTokenJson>("/api/v1/tokens/current/rotate", serde_json::json!({"expires_in_days": 0}))
        .await
        .unwrap_err();
    assert_eq!(bad.field(), Some("expires_in_days"));
    let fraction = successor
        .post_json::<RotatedTokenJson>("/api/v1/tokens/current/rotate", serde_json::json!({"expires_in_days": 7.5}))
        .await
        .unwrap_err();
    assert_eq!((fraction.status, fraction.field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_in_days")));
    // By id, with a whole number written as JSON Schema allows (`7.0`), and fields the API doesn't know.
    let by_id: RotatedTokenJson = successor
        .post_json(
            &format!("/api/v1/tokens/{}/rotate", successor.id),
            serde_json::json!({"expires_in_days": 7.0, "grace": "none", "comment": "ignored"}),
        )
        .await
        .unwrap();
    assert_eq!(by_id.replaces, successor.id);
    assert_eq!(successor.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "no grace asked");
}

async fn creation_beyond_the_policy_is_refused_and_stores_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("30", "14", "", false).await.unwrap();
    let before = app.count("api_tokens").await;
    let refused = owner.create_token("too long", "31").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.field(), Some("expires_in_days"));
    assert!(refused.message().contains("at most 30 days"), "{refused:?}");
    assert_eq!(app.count("api_tokens").await, before);
    // The default follows the policy; rotation stays within it.
    let token = owner.create_token("default", "").await.unwrap();
    assert_eq!(token.expires_at.millis() - token.created_at.millis(), 14 * DAY_MS);
    let rotation =
        owner.call::<app::tokens::RotateToken>(&[("id", &token.id.to_string()), ("expires_in_days", "60")]).await;
    assert_eq!(rotation.unwrap_err().field(), Some("expires_in_days"));
    // A bad policy is refused with its field.
    assert_eq!(owner.set_policy("30", "60", "", false).await.unwrap_err().field(), Some("default_lifetime_days"));
    assert_eq!(owner.set_policy("0", "1", "", false).await.unwrap_err().field(), Some("max_lifetime_days"));
    let admin = app.member("admin@example.com", "admin").await;
    assert_eq!(admin.set_policy("365", "30", "", false).await.unwrap_err().status, StatusCode::FORBIDDEN);
}

async fn lowering_the_maximum_refuses_longer_tokens_at_once(app: TestApp) {
    let owner = app.setup_owner().await;
    let long = app.api(&owner.create_token("long", "365").await.unwrap());
    let short = app.api(&owner.create_token("short", "30").await.unwrap());
    assert_eq!(long.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // The policy page says how many tokens a new maximum affects, before saving.
    let preview: i64 = owner.call::<app::policy::PreviewPolicy>(&[("max_lifetime_days", "90")]).await.unwrap();
    assert_eq!(preview, 1);
    assert_eq!(owner.set_policy("90", "30", "", false).await.unwrap(), 1);
    assert_eq!(
        long.status(Method::GET, "/api/v1/whoami").await,
        StatusCode::UNAUTHORIZED,
        "refused on its next request"
    );
    assert_eq!(short.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // The dashboard says so, on the token and above the list.
    let page = owner.tokens_page().await.unwrap();
    assert_eq!(page.over_policy, 1);
    assert!(page.active.items.iter().any(|t| t.over_policy && t.token.name.as_deref() == Some("long")));
    // Rotating it brings the successor within the policy (its lifetime, 365 days, cut to the maximum).
    let id = page.active.items.iter().find(|t| t.over_policy).unwrap().token.id.to_string();
    let rotated = owner.rotate_token(&id, "none").await.unwrap();
    assert_eq!(rotated.successor.expires_at.millis() - rotated.successor.created_at.millis(), 90 * DAY_MS);
    assert_eq!(app.api(&rotated.successor).status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    // New tokens made after the change may use the whole new maximum.
    app.clock.advance_ms(10 * DAY_MS);
    owner.login(OWNER, PASSWORD).await.unwrap();
    let later = app.api(&owner.create_token("later", "90").await.unwrap());
    assert_eq!(later.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
}

async fn the_unused_token_sweep_revokes_idle_tokens(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.set_policy("365", "90", "30", false).await.unwrap();
    let idle = app.api(&owner.token("idle").await);
    let busy = app.api(&owner.token("busy").await);
    for _ in 0..3 {
        app.clock.advance_ms(10 * DAY_MS);
        assert_eq!(busy.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
        assert!(crate::helpers::soon(async || app.core.verifier.usage.written() > 0).await);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let swept = housekeeping::sweep(&app.core).await.unwrap();
    assert_eq!(swept.unused_tokens, 1);
    assert_eq!(idle.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    assert_eq!(busy.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK);
    owner.login(OWNER, PASSWORD).await.unwrap();
    let revoked = owner.tokens_page().await.unwrap().revoked.items;
    assert_eq!(revoked[0].token.revoked_reason, Some(RevokeReason::Unused));
    assert_eq!(event_counts(&app).await["token.revoked"], 1);
}

async fn a_members_tokens_are_revoked_at_once(app: TestApp) {
    let owner = app.setup_owner().await;
    let member = app.member("member@example.com", "member").await;
    let member_id = app.user_id("member@example.com").await;
    let tokens: Vec<Api> = [member.token("a").await, member.token("b").await, member.token("c").await]
        .iter()
        .map(|t| app.api(t))
        .collect();
    let owners = app.api(&owner.token("owner's").await);
    // The dashboard.
    assert_eq!(owner.revoke_member_tokens(member_id).await.unwrap(), 3);
    for t in &tokens {
        assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(owners.status(Method::GET, "/api/v1/whoami").await, StatusCode::OK, "only that member's");
    assert_eq!(event_counts(&app).await["token.revoked"], 3, "one event per token");
    // The API.
    let more = app.api(&member.token("d").await);
    let revoked: RevokedJson =
        owners.post_json(&format!("/api/v1/members/{member_id}/revoke-tokens"), serde_json::json!({})).await.unwrap();
    assert_eq!((revoked.revoked, revoked.tokens), (1, vec![more.id.clone()]));
    assert_eq!(more.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // The CLI.
    let last = app.api(&member.token("e").await);
    let out =
        tessera_cli(&app.db, &["tokens", "revoke-member", "--org", "Acme", "--email", "member@example.com"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 token revoked"));
    assert_eq!(
        last.status(Method::GET, "/api/v1/whoami").await,
        StatusCode::UNAUTHORIZED,
        "immediately, through the CLI too"
    );
    // Members can't.
    assert_eq!(member.revoke_member_tokens(member_id).await.unwrap_err().status, StatusCode::FORBIDDEN);
}

async fn all_tokens_of_the_organization_are_revoked_with_a_typed_confirmation(app: TestApp) {
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let tokens: Vec<Api> = [owner.token("a").await, admin.token("b").await].iter().map(|t| app.api(t)).collect();
    let wrong = owner.revoke_all_tokens("acme").await.unwrap_err();
    assert_eq!((wrong.status, wrong.field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm")));
    assert!(wrong.message().contains("Type the organization's name, Acme"));
    assert_eq!(admin.revoke_all_tokens("Acme").await.unwrap_err().status, StatusCode::FORBIDDEN, "owners only");
    assert_eq!(owner.revoke_all_tokens("Acme").await.unwrap(), 2);
    for t in &tokens {
        assert_eq!(t.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(event_counts(&app).await["token.revoked"], 2);
    // Through the API (an owner's token revokes every token, itself included) and the CLI.
    let by_api = app.api(&owner.token("c").await);
    let refused = by_api
        .post_json::<RevokedJson>("/api/v1/tokens/revoke-all", serde_json::json!({"confirm": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(refused.field(), Some("confirm"));
    let revoked: RevokedJson =
        by_api.post_json("/api/v1/tokens/revoke-all", serde_json::json!({"confirm": "Acme"})).await.unwrap();
    assert_eq!(revoked.revoked, 1);
    assert_eq!(by_api.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    let cli_victim = app.api(&owner.token("d").await);
    let wrong = tessera_cli(&app.db, &["tokens", "revoke-all", "--org", "Acme", "--confirm", "acme"], "", &[]);
    assert!(!wrong.status.success());
    let out = tessera_cli(&app.db, &["tokens", "revoke-all", "--org", "Acme", "--confirm", "Acme"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(cli_victim.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
}
