//! Notifications: expiry warnings and security alerts by email (through a real SMTP server), signed
//! webhooks (checked by the Standard Webhooks reference verifier), delivered from the outbox, durably.

use crate::{
    helpers::{Backend, OWNER, PASSWORD, ServerProcess, TestApp, TestDatabase, client, soon},
    support::{Receiver, SmtpSink, eventually, notifying},
};
use reqwest::{Method, StatusCode};
use std::collections::HashMap;
use tessera::startup::ServerConfig;
use tessera_core::{
    ErrorKind,
    clock::Clock,
    services::notify,
    store,
    time::{DAY_MS, HOUR_MS},
};

tessera_core::on_each_engine!(crate::helpers::on_engine =>
    expiry_warnings_are_sent_once_per_threshold_and_only_when_due,
    expiry_warnings_go_to_admins_when_the_creator_is_gone,
    security_alerts_reach_the_people_concerned,
    invitations_are_emailed_and_the_admin_never_sees_the_link,
    smtp_authentication_and_failures_are_retried,
    webhooks_are_signed_for_the_reference_verifier,
    failed_webhooks_are_retried_with_backoff_then_marked_failing,
    private_endpoints_are_refused_unless_allowed,
    deliveries_survive_a_kill_between_commit_and_delivery,
);

tessera_core::on_each_engine!(postgres only, crate::helpers::on_database => two_instances_deliver_every_notification_exactly_once);

async fn spawn(backend: Backend, configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let db = TestDatabase::create(backend).await.expect("database");
    TestApp::spawn_on(db, configure).await
}

fn subjects(sink: &SmtpSink, to: &str) -> Vec<String> {
    let mut subjects: Vec<String> = sink.to(to).into_iter().map(|e| e.subject).collect();
    subjects.sort();
    subjects
}

async fn delivered_everything(app: &TestApp) -> bool {
    soon(async || store::outbox::pending(app.core.db.pool()).await.unwrap() == 0).await
}

async fn expiry_warnings_are_sent_once_per_threshold_and_only_when_due(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| notifying(c, Some(&sink), 1_000)).await;
    let owner = app.setup_owner().await;
    // A: 30 days (the 30-day warning would come at creation: skipped). B: 60 days. C: 3 days (only the
    // 1-day warning and the expiry). D: deleted, never warned.
    let a = owner.create_token("thirty", "30").await.unwrap();
    let b = owner.create_token("sixty", "60").await.unwrap();
    let c = owner.create_token("three", "3").await.unwrap();
    let d = owner.create_token("deleted", "10").await.unwrap();
    owner.delete_token(&d.id.to_string()).await.unwrap();
    // Each sweep's emails go out before the (injected) clock jumps by days: a real clock never jumps
    // past a delivery's lease while it is being sent.
    let sweep = async || {
        let sent = notify::sweep_expiry(&app.core).await.unwrap();
        assert!(delivered_everything(&app).await);
        sent
    };

    assert_eq!(sweep().await, 0, "nothing is due at creation");
    app.clock.advance_ms(2 * DAY_MS + 1); // C: just under a day left
    assert_eq!(sweep().await, 1);
    assert_eq!(sweep().await, 0, "a threshold is sent once");
    app.clock.advance_ms(21 * DAY_MS); // day 23: A has under 7 days left; C expired 20 days ago (too late)
    assert_eq!(sweep().await, 1);
    app.clock.advance_ms(7 * DAY_MS); // day 30: A expired; B has under 30 days left
    assert_eq!(sweep().await, 2);
    app.clock.advance_ms(29 * DAY_MS + HOUR_MS); // day 59: B under a day left; B's 7 was skipped while "down"
    assert_eq!(sweep().await, 1);
    app.clock.advance_ms(DAY_MS);
    assert_eq!(sweep().await, 1, "B expired");
    for _ in 0..3 {
        assert_eq!(sweep().await, 0);
    }
    assert!(delivered_everything(&app).await);
    assert_eq!(
        subjects(&sink, OWNER),
        vec![
            "Your API token \u{201c}sixty\u{201d} in Acme expires in 22 hours".to_owned(),
            "Your API token \u{201c}sixty\u{201d} in Acme expires in 30 days".to_owned(),
            "Your API token \u{201c}sixty\u{201d} in Acme has expired".to_owned(),
            "Your API token \u{201c}thirty\u{201d} in Acme expires in 7 days".to_owned(),
            "Your API token \u{201c}thirty\u{201d} in Acme has expired".to_owned(),
            "Your API token \u{201c}three\u{201d} in Acme expires in 23 hours".to_owned(),
        ]
    );
    // The email says which token, where it was last used, and how to rotate it.
    let warning =
        sink.to(OWNER).into_iter().find(|e| e.subject.contains("thirty") && e.subject.contains("7 days")).unwrap();
    assert!(
        warning.body.contains(&a.id.to_string()) && warning.body.contains("Organization: Acme"),
        "{}",
        warning.body
    );
    assert!(warning.body.contains("Last used: never"), "{}", warning.body);
    assert!(warning.body.contains(&format!("{}/app/settings/api?rotate={}", app.url, a.id)), "{}", warning.body);
    assert_eq!(warning.from, "tessera@example.com");
    // The audit trail has them too (and webhooks would): token.expiring and token.expired, once each.
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT event_type, subject_id FROM audit_events WHERE event_type IN ('token.expiring', 'token.expired') ORDER BY at")
            .fetch_all(app.core.db.pool())
            .await
            .unwrap();
    let id = |t: &app::tokens::CreatedToken| t.id.to_string();
    assert_eq!(
        events,
        vec![
            ("token.expiring".to_owned(), id(&c)),
            ("token.expiring".to_owned(), id(&a)),
            ("token.expired".to_owned(), id(&a)),
            ("token.expiring".to_owned(), id(&b)),
            ("token.expiring".to_owned(), id(&b)),
            ("token.expired".to_owned(), id(&b)),
        ]
    );
    assert!(sink.emails().iter().all(|e| !e.body.contains(&d.id.to_string())), "a deleted token is never warned about");
    let _ = c;
}

async fn expiry_warnings_go_to_admins_when_the_creator_is_gone(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| notifying(c, Some(&sink), 1_000)).await;
    let owner = app.setup_owner().await;
    let _admin = app.member("admin@example.com", "admin").await;
    let leaver = app.member("leaver@example.com", "member").await;
    let kept = leaver.create_token("kept", "10").await.unwrap();
    let leaver_id = app.user_id("leaver@example.com").await;
    // Removing a member revokes their tokens for good: nobody is warned about them afterwards.
    let revoked = leaver.create_token("revoked with them", "10").await.unwrap();
    // A creator gone without that (a membership row deleted outside Tessera): the admins are told.
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(leaver_id.to_string())
        .execute(app.core.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE api_tokens SET revoked_at = 1 WHERE id = $1")
        .bind(revoked.id.to_string())
        .execute(app.core.db.pool())
        .await
        .unwrap();
    app.clock.advance_ms(4 * DAY_MS);
    assert_eq!(notify::sweep_expiry(&app.core).await.unwrap(), 1);
    assert!(delivered_everything(&app).await);
    let mail = sink.emails().into_iter().find(|e| e.subject.contains("kept")).expect("the warning");
    let mut to = mail.to.clone();
    to.sort();
    assert_eq!(to, vec!["admin@example.com".to_owned(), OWNER.to_owned()]);
    assert!(mail.body.contains("leaver@example.com (no longer a member)"), "{}", mail.body);
    assert!(sink.to("leaver@example.com").is_empty());
    assert!(sink.emails().iter().all(|e| !e.subject.contains("revoked with them")));
    let _ = (owner, kept);
}

async fn security_alerts_reach_the_people_concerned(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| notifying(c, Some(&sink), 1_000)).await;
    let owner = app.setup_owner().await;
    let admin = app.member("admin@example.com", "admin").await;
    let dev = app.member("dev@example.com", "member").await;
    let dev_id = app.user_id("dev@example.com").await;

    // Someone other than the creator deletes a token: the creator is told, by whom.
    let ci = dev.create_token("ci", "30").await.unwrap();
    admin.delete_token(&ci.id.to_string()).await.unwrap();
    // Deleting one's own token tells nobody.
    let own = dev.create_token("own", "30").await.unwrap();
    dev.delete_token(&own.id.to_string()).await.unwrap();
    // All of a member's tokens revoked.
    dev.create_token("one", "30").await.unwrap();
    dev.create_token("two", "30").await.unwrap();
    assert_eq!(admin.revoke_member_tokens(dev_id).await.unwrap(), 2);
    // A token family revoked for reuse: the creator and the admins.
    let rotated = dev.create_token("rotated", "30").await.unwrap();
    dev.rotate_token(&rotated.id.to_string(), "1h").await.unwrap();
    app.clock.advance_ms(HOUR_MS);
    let reused = app.api(&rotated);
    assert_eq!(reused.status(Method::GET, "/api/v1/whoami").await, StatusCode::UNAUTHORIZED);
    // A token rotating itself through the API: its creator did not do it, so they are told; rotating
    // in the dashboard (only ever by the creator) tells nobody.
    owner.set_policy("365", "30", "", true).await.unwrap();
    let automated = dev.create_token("automated", "30").await.unwrap();
    let rotated_itself = app
        .api(&automated)
        .post_json::<tessera::http::api::json::RotatedTokenJson>("/api/v1/tokens/current/rotate", serde_json::json!({}))
        .await
        .unwrap();
    let by_hand = dev.create_token("by hand", "30").await.unwrap();
    dev.rotate_token(&by_hand.id.to_string(), "1h").await.unwrap();
    // A new owner: every owner hears of it.
    owner.change_role(app.user_id("admin@example.com").await, "owner").await.unwrap();

    assert!(delivered_everything(&app).await);
    let dev_mail = subjects(&sink, "dev@example.com");
    assert!(dev_mail.contains(&"Your API token \u{201c}ci\u{201d} was deleted".to_owned()), "{dev_mail:?}");
    assert!(!dev_mail.iter().any(|s| s.contains("\u{201c}own\u{201d}")), "{dev_mail:?}");
    assert!(dev_mail.contains(&"Your API tokens in Acme were revoked".to_owned()), "{dev_mail:?}");
    let deleted = sink.to("dev@example.com").into_iter().find(|e| e.subject.contains("ci")).unwrap();
    assert!(deleted.body.contains("deleted by admin@example.com"), "{}", deleted.body);
    let revoked = sink.to("dev@example.com").into_iter().find(|e| e.subject.contains("were revoked")).unwrap();
    assert!(revoked.body.contains("2 of your API tokens"), "{}", revoked.body);

    let rotations = sink.emails().into_iter().filter(|e| e.subject.contains("was rotated")).collect::<Vec<_>>();
    assert_eq!(rotations.len(), 1, "{rotations:?}");
    assert_eq!(rotations[0].to, vec!["dev@example.com".to_owned()]);
    assert_eq!(rotations[0].subject, "Your API token \u{201c}automated\u{201d} was rotated through the API");
    assert!(rotations[0].body.contains(&rotated_itself.id) && rotations[0].body.contains("delete the successor"));
    let reuse = sink.emails().into_iter().filter(|e| e.subject.contains("used after rotation")).collect::<Vec<_>>();
    assert_eq!(reuse.len(), 1, "one alert, to everyone concerned at once");
    let mut to = reuse[0].to.clone();
    to.sort();
    assert_eq!(to, vec!["admin@example.com".to_owned(), "dev@example.com".to_owned(), OWNER.to_owned()]);
    assert!(reuse[0].body.contains(&rotated.id.to_string()) && reuse[0].body.contains("/app/settings/audit?token_id="));

    let owners = sink
        .emails()
        .into_iter()
        .filter(|e| e.subject == "admin@example.com is now an owner of Acme")
        .collect::<Vec<_>>();
    assert_eq!(owners.len(), 1);
    let mut to = owners[0].to.clone();
    to.sort();
    assert_eq!(to, vec!["admin@example.com".to_owned(), OWNER.to_owned()]);
    assert!(owners[0].body.contains(&format!("made so by {OWNER}")));
    // No secret is ever in an email.
    for email in sink.emails() {
        assert!(!email.body.contains("tsr_"), "{}", email.body);
    }
}

fn link_in(body: &str) -> String {
    body.split_whitespace().find(|w| w.contains("/invite/")).expect("an invitation link").to_owned()
}

async fn invitations_are_emailed_and_the_admin_never_sees_the_link(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| notifying(c, Some(&sink), 1_000)).await;
    let owner = app.setup_owner().await;
    let roster = owner.members().await.unwrap();
    assert!(roster.email_enabled);
    let invited = owner.invite("new@example.com", "member").await.unwrap();
    assert_eq!(invited.link, None, "the admin sees \"sent\", not the link");
    assert!(eventually(|| sink.to("new@example.com").len() == 1).await);
    let first = sink.to("new@example.com").remove(0);
    assert_eq!(first.subject, "You are invited to join Acme on Tessera");
    assert!(first.body.contains(&format!("{OWNER} invited you")), "{}", first.body);
    let first_link = link_in(&first.body);
    assert!(first_link.starts_with(&format!("{}/invite/", app.url)), "{first_link}");
    // No code waits in the outbox.
    let code = first_link.rsplit('/').next().unwrap().to_owned();
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM outbox").fetch_all(app.core.db.pool()).await.unwrap();
    assert!(payloads.iter().all(|p| !p.contains(&code)));

    // Resend: a new link; the old one stops working.
    let id = owner.members().await.unwrap().invitations[0].id.to_string();
    owner.resend_invitation(&id).await.unwrap();
    assert!(eventually(|| sink.to("new@example.com").len() == 2).await);
    let second_link = link_in(&sink.to("new@example.com")[1].body);
    assert_ne!(first_link, second_link);
    let newcomer = app.browser();
    assert_eq!(newcomer.accept(&code, PASSWORD).await.unwrap_err().kind(), ErrorKind::NotFound);
    newcomer.accept(second_link.rsplit('/').next().unwrap(), PASSWORD).await.unwrap();
    assert_eq!(owner.members().await.unwrap().members.len(), 2);

    // Without SMTP, resending says why not; the link is shown instead.
    let plain = spawn(backend, |c| notifying(c, None, 1_000)).await;
    let plain_owner = plain.setup_owner().await;
    let shown = plain_owner.invite("x@example.com", "member").await.unwrap();
    assert!(shown.link.is_some());
    let id = plain_owner.members().await.unwrap().invitations[0].id.to_string();
    let refused = plain_owner.resend_invitation(&id).await.unwrap_err();
    assert!(refused.message().contains("Email is not configured"), "{}", refused.message());
    assert_eq!(plain.count("outbox").await, 0, "without email nothing is queued for it");
}

async fn smtp_authentication_and_failures_are_retried(backend: Backend) {
    let sink = SmtpSink::with_auth("tessera:s3cret").await;
    let authed = format!("smtp://tessera:s3cret@127.0.0.1:{}", sink.port());
    let app = spawn(backend, |c| {
        notifying(c, Some(&sink), 50);
        c.delivery.smtp = Some(tessera::delivery::SmtpConfig::parse(&authed, Some("tessera@example.com")).unwrap());
    })
    .await;
    let owner = app.setup_owner().await;
    owner.invite("a@example.com", "member").await.unwrap();
    assert!(eventually(|| sink.to("a@example.com").len() == 1).await, "delivered with SMTP AUTH");

    // The wrong password: refused, kept, retried with backoff; the password never in a log.
    let wrong = format!("smtp://tessera:wrong-password@127.0.0.1:{}", sink.port());
    let refused = spawn(backend, |c| {
        notifying(c, Some(&sink), 60_000);
        c.delivery.smtp = Some(tessera::delivery::SmtpConfig::parse(&wrong, Some("tessera@example.com")).unwrap());
    })
    .await;
    let owner = refused.setup_owner().await;
    owner.invite("b@example.com", "member").await.unwrap();
    let pending = async || -> Option<(i64, Option<String>)> {
        sqlx::query_as("SELECT attempts, last_error FROM outbox WHERE kind = 'email'")
            .fetch_optional(refused.core.db.pool())
            .await
            .unwrap()
    };
    let mut failed = false;
    for _ in 0..500 {
        if pending().await.is_some_and(|(_, error)| error.is_some()) {
            failed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(failed, "the refusal is recorded");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (attempts, error) = pending().await.unwrap();
    assert_eq!(attempts, 1, "the next attempt waits for the backoff");
    assert!(error.as_deref().is_some_and(|e| e.contains("SMTP")), "{error:?}");
    assert!(sink.to("b@example.com").is_empty());
    refused.clock.advance_ms(60_000);
    assert!(soon(async || pending().await.is_some_and(|(n, _)| n == 2)).await, "retried after the backoff");
    let logs = crate::helpers::captured_logs();
    assert!(!logs.contains("wrong-password") && !logs.contains("s3cret"));
}

async fn webhooks_are_signed_for_the_reference_verifier(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = spawn(backend, |c| notifying(c, None, 1_000)).await;
    let owner = app.setup_owner().await;
    let added = owner.add_webhook(&receiver.url(), "token.*, member.added").await.unwrap();
    assert!(added.secret.starts_with("whsec_") && added.secret.len() > 40);
    receiver.configure(&added.secret, 0).await;

    let token = owner.create_token("ci", "30").await.unwrap();
    owner.delete_token(&token.id.to_string()).await.unwrap();
    app.member("new@example.com", "member").await; // member.added
    owner.set_policy("90", "30", "", false).await.unwrap(); // not chosen
    assert!(eventually(|| receiver.accepted().len() == 3).await, "{:?}", receiver.deliveries());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let seen = receiver.deliveries();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.iter().all(|d| d.verified && d.error.is_none()), "{seen:?}");
    // Several workers deliver in parallel, so the order of arrival is not the order of events (receivers
    // order by `webhook-timestamp`, as the specification says).
    let mut types: Vec<_> = seen.iter().map(|d| d.event_type.clone().unwrap()).collect();
    types.sort();
    assert_eq!(types, ["member.added", "token.created", "token.deleted"]);
    let created = seen.iter().find(|d| d.event_type.as_deref() == Some("token.created")).unwrap();
    assert_eq!(created.subject_id.as_deref(), Some(token.id.to_string().as_str()));
    // The secret is shown once: the list never has it, nor does the database.
    let listed = owner.webhooks().await.unwrap();
    let endpoints = listed.endpoints.unwrap();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].deliveries.len(), 3);
    assert!(endpoints[0].deliveries.iter().all(|d| d.succeeded() && d.attempt == 1));
    let dump: Vec<String> =
        sqlx::query_scalar("SELECT url || events || salt FROM webhooks").fetch_all(app.core.db.pool()).await.unwrap();
    assert!(!dump[0].contains(&added.secret["whsec_".len()..]));
    assert!(!crate::helpers::captured_logs().contains(&added.secret["whsec_".len()..]));
    // A forged delivery fails the same verifier (the receiver is really checking).
    let forged = client()
        .post(receiver.url())
        .header("webhook-id", "msg_forged")
        .header("webhook-timestamp", seen[0].timestamp.clone())
        .header("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    // Resend: the same webhook-id again.
    let message = endpoints[0].deliveries.last().unwrap().message_id.to_string();
    owner.resend_delivery(&endpoints[0].entry.id.to_string(), &message).await.unwrap();
    assert!(eventually(|| receiver.accepted().iter().filter(|d| d.id == message).count() == 2).await);
    // Only admins manage webhooks; tokens never.
    let member = app.member("m@example.com", "member").await;
    assert_eq!(member.webhooks().await.unwrap().endpoints, None);
    assert_eq!(member.add_webhook(&receiver.url(), "*").await.unwrap_err().kind(), ErrorKind::Forbidden);
}

async fn failed_webhooks_are_retried_with_backoff_then_marked_failing(backend: Backend) {
    let sink = SmtpSink::start().await;
    let receiver = Receiver::start().await;
    let base = 10_000;
    let app = spawn(backend, |c| {
        notifying(c, Some(&sink), base);
        c.delivery.settings.give_up_after_ms = HOUR_MS;
    })
    .await;
    let owner = app.setup_owner().await;
    let added = owner.add_webhook(&receiver.url(), "token.created").await.unwrap();
    receiver.configure(&added.secret, 3).await;
    owner.create_token("ci", "30").await.unwrap();
    let attempts = || receiver.deliveries().len();
    // An attempt is over when Tessera has recorded it (and scheduled the next one), not when the
    // receiver has seen it.
    let recorded = async |n: usize| soon(async || app.count("webhook_attempts").await == n as i64).await;
    assert!(eventually(|| attempts() == 1).await);
    // Each retry waits twice as long as the one before: 10 s, 20 s, 40 s (on the injected clock).
    for (n, wait) in [(2, base), (3, 2 * base), (4, 4 * base)] {
        assert!(recorded(n - 1).await);
        app.clock.advance_ms(wait - 1);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        assert_eq!(attempts(), n - 1, "attempt {n} waits {wait} ms");
        app.clock.advance_ms(1);
        assert!(eventually(|| attempts() == n).await, "attempt {n} after {wait} ms");
    }
    let seen = receiver.deliveries();
    assert_eq!(seen.iter().map(|d| d.answered).collect::<Vec<_>>(), [500, 500, 500, 200]);
    assert!(seen.iter().all(|d| d.id == seen[0].id && d.verified), "the same webhook-id each time");
    let log = &owner.webhooks().await.unwrap().endpoints.unwrap()[0].deliveries;
    assert_eq!(
        log.iter().map(|d| (d.attempt, d.status)).collect::<Vec<_>>(),
        [(4, Some(200)), (3, Some(500)), (2, Some(500)), (1, Some(500))]
    );

    // An endpoint that never succeeds: given up after the configured time, marked failing, admins told.
    receiver.configure(&added.secret, 1000).await;
    owner.create_token("doomed", "30").await.unwrap();
    assert!(eventually(|| attempts() == 5).await);
    assert!(recorded(5).await);
    for _ in 0..12 {
        app.clock.advance_ms(10 * 60_000);
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    }
    let endpoint = owner.webhooks().await.unwrap().endpoints.unwrap().remove(0);
    assert!(endpoint.entry.failing_since.is_some(), "marked failing");
    assert!(eventually(|| sink.to(OWNER).iter().any(|e| e.subject == "Webhook endpoint failing in Acme")).await);
    let given_up: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL")
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(given_up, 1);
    // A later success clears it.
    receiver.configure(&added.secret, 0).await;
    owner.create_token("healthy", "30").await.unwrap();
    assert!(soon(async || owner.webhooks().await.unwrap().endpoints.unwrap()[0].entry.failing_since.is_none()).await);
}

async fn private_endpoints_are_refused_unless_allowed(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = spawn(backend, |c| notifying(c, None, 1_000)).await;
    let strict = spawn(backend, |c| {
        notifying(c, None, 1_000);
        c.delivery.allow_private_webhooks = false;
    })
    .await;
    let owner = strict.setup_owner().await;
    for url in [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/",
        "https://2130706433/",
        "https://0x7f000001/",
    ] {
        let refused = owner.add_webhook(url, "*").await.unwrap_err();
        assert_eq!((refused.kind(), refused.field()), (ErrorKind::Invalid, Some("url")), "{url}");
        assert!(refused.message().contains("own network"), "{url}: {}", refused.message());
    }
    let plain = owner.add_webhook("http://hooks.example.com/", "*").await.unwrap_err();
    assert!(plain.message().contains("https://"), "{}", plain.message());
    assert_eq!(strict.count("webhooks").await, 0, "refused input changes nothing");
    // An endpoint stored while allowed (or pointed inside later) is not called when not allowed.
    let allowed_owner = app.setup_owner().await;
    let added = allowed_owner.add_webhook(&receiver.url(), "*").await.unwrap();
    receiver.configure(&added.secret, 0).await;
    let org = strict.org("Acme").await;
    sqlx::query("INSERT INTO webhooks (id, org_id, url, events, salt, created_at) VALUES ($1, $2, $3, '*', 'salt', 0)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(org.to_string())
        .bind(receiver.url())
        .execute(strict.core.db.pool())
        .await
        .unwrap();
    owner.create_token("ci", "30").await.unwrap();
    assert!(
        soon(async || {
            let errors: Vec<Option<String>> = sqlx::query_scalar("SELECT error FROM webhook_attempts")
                .fetch_all(strict.core.db.pool())
                .await
                .unwrap();
            errors
                .first()
                .is_some_and(|e| e.as_deref().is_some_and(|e| e.contains("https://") || e.contains("own network")))
        })
        .await
    );
    allowed_owner.create_token("ci", "30").await.unwrap();
    assert!(eventually(|| receiver.accepted().len() == 1).await, "only the allowed server called it");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(receiver.deliveries().len(), 1);
}

async fn deliveries_survive_a_kill_between_commit_and_delivery(backend: Backend) {
    let receiver = Receiver::start().await;
    let db = TestDatabase::create(backend).await.unwrap();
    let app = TestApp::spawn_with_clock(db, Clock::system(), |c| notifying(c, None, 1_000)).await;
    let owner = app.setup_owner().await;
    let added = owner.add_webhook(&receiver.url(), "token.*").await.unwrap();
    receiver.configure(&added.secret, 0).await;
    let token = owner.create_token("ci", "30").await.unwrap();
    assert!(eventually(|| receiver.accepted().len() == 1).await);
    let db = app.stop().await;

    // A process that looks at its outbox only once an hour: the event commits, nothing is sent...
    let env = [("TESSERA_WEBHOOKS_ALLOW_PRIVATE", "true"), ("TESSERA_OUTBOX_POLL_MS", "3600000")];
    let server = ServerProcess::start_with(&db, &env).await;
    let api = crate::helpers::Api {
        url: server.url.clone(),
        id: token.id.to_string(),
        secret: token.secret.clone(),
        client: client(),
    };
    assert_eq!(api.status(Method::DELETE, "/api/v1/tokens/current").await, StatusCode::NO_CONTENT);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.deliveries().len(), 1);
    // ...and the process dies (SIGKILL).
    server.kill().await;

    let restarted =
        ServerProcess::start_with(&db, &[("TESSERA_WEBHOOKS_ALLOW_PRIVATE", "true"), ("TESSERA_OUTBOX_POLL_MS", "20")])
            .await;
    assert!(eventually(|| receiver.accepted().len() == 2).await, "delivered after the restart");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let seen = receiver.deliveries();
    assert_eq!(seen.len(), 2, "exactly once: {seen:?}");
    assert_eq!(seen[1].event_type.as_deref(), Some("token.deleted"));
    restarted.kill().await;
}

async fn two_instances_deliver_every_notification_exactly_once(db: TestDatabase) {
    let receiver = Receiver::start().await;
    let shared = db.shared_view();
    let key = "cd".repeat(32);
    let configure = |c: &mut ServerConfig| {
        notifying(c, None, 1_000);
        c.delivery.workers = 2;
        c.secret_key = Some(key.clone());
    };
    let first = TestApp::spawn_with_clock(db, Clock::system(), configure).await;
    let second = TestApp::spawn_with_clock(shared, Clock::system(), configure).await;
    let owner = first.setup_owner().await;
    let added = owner.add_webhook(&receiver.url(), "token.created").await.unwrap();
    receiver.configure(&added.secret, 0).await;
    let on_second = crate::helpers::Browser { url: second.url.clone(), client: owner.client.clone() };
    let events = 1000;
    let makers: Vec<_> = (0..4)
        .map(|i| {
            let browser = if i % 2 == 0 { owner.clone() } else { on_second.clone() };
            tokio::spawn(async move {
                for n in 0..events / 4 {
                    browser.create_token(&format!("t{i}-{n}"), "30").await.unwrap();
                }
            })
        })
        .collect();
    for maker in makers {
        maker.await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while receiver.accepted().len() < events && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let seen = receiver.deliveries();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for d in &seen {
        *per_id.entry(d.id.clone()).or_default() += 1;
    }
    assert_eq!(per_id.len(), events, "every notification delivered");
    let twice: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert!(seen.iter().all(|d| d.verified));
    let attempts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_attempts").fetch_one(first.core.db.pool()).await.unwrap();
    assert_eq!(attempts, events as i64, "one attempt per message");
}
