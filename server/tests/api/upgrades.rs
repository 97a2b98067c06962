//! Upgrades never break a token: a database of every schema Tessera has shipped, built with that
//! release's own migration files (server/tests/fixtures/upgrade/, made by scripts/upgrade-fixtures.sh
//! from git history: old checksums included), filled with members, tokens (live, expired, deleted),
//! audit events and outbox rows, then served by this version: it migrates, every live token verifies with
//! its secret, the expired and deleted ones are refused, and nothing is lost.

use crate::helpers::{Api, Backend, T0, TestApp, client};
use std::path::{Path, PathBuf};
use tessera_core::{
    crypto::ServerKey,
    db::{Db, DbOptions},
    secret::{TokenPrefix, TokenSecret},
    testing::TestDatabase,
    time::DAY_MS,
};

/// What was put in, counted (the server may add events of its own at start, e.g. a token's expiry: the
/// seeded ones must all be there).
const COUNTED: [&str; 6] = [
    "users",
    "organizations",
    "memberships",
    "api_tokens",
    "audit_events WHERE event_type = 'token.created'",
    "outbox WHERE event_type = 'token.expiring'",
];

fn releases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&root).expect("the fixtures").map(|e| e.unwrap().path()).collect();
    all.sort();
    assert!(all.len() >= 8, "the shipped schemas are in {}", root.display());
    all
}

/// The schema version of a fixture: its newest migration file.
fn version(dir: &Path) -> i64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.split('_').next()?.parse().ok())
        .max()
        .unwrap()
}

struct Seeded {
    live: Vec<(String, String)>,
    refused: Vec<(String, String)>,
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The old schema, built by that release's migrator from its own files, and filled the way it stored data.
async fn old_database(db: &TestDatabase, dir: &Path, key: &ServerKey) -> Seeded {
    let old = Db::connect(&DbOptions::new(db.url.clone())).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf()).await.unwrap();
    migrator.run(old.pool()).await.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let v = version(dir);
    let pool = old.pool();
    let exec = async |sql: &str, binds: &[&str]| {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    let t0 = T0.millis();
    let (org, owner, member) = (id(), id(), id());
    exec(&format!("INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Acme', {t0})"), &[&org]).await;
    for (user, email, role) in [(&owner, "owner@example.com", "owner"), (&member, "member@example.com", "member")] {
        exec(
            // Accounts in use have a password (before 0004, none meant an invitation not yet accepted).
            &format!("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, {t0})"),
            &[user, email, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"],
        )
        .await;
        exec(
            &format!("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, {t0})"),
            &[&org, user, role],
        )
        .await;
    }
    let deleted_column = if v >= 4 { "revoked_at" } else { "deleted_at" };
    let mut seeded = Seeded { live: Vec::new(), refused: Vec::new() };
    for n in 0..6 {
        let token = id();
        let secret = TokenSecret::generate(&TokenPrefix::default());
        let creator = if n % 2 == 0 { &owner } else { &member };
        let (expires, deleted) = match n {
            4 => (t0 - DAY_MS, None),                   // expired
            5 => (t0 + 30 * DAY_MS, Some(t0 - DAY_MS)), // deleted
            _ => (t0 + 30 * DAY_MS, None),
        };
        exec(
            &format!(
                "INSERT INTO api_tokens (id, org_id, created_by, name, secret_hash, created_at, expires_at, {deleted_column}) \
                 VALUES ($1, $2, $3, $4, $5, {}, {expires}, {})",
                t0 - 2 * DAY_MS,
                deleted.map_or("NULL".to_owned(), |d| d.to_string())
            ),
            &[&token, &org, creator, &format!("t{n}"), &secret.digest_hex(key)],
        )
        .await;
        if v >= 5 {
            // Tokens made from 0005 on belong to a rotation family of their own.
            exec("UPDATE api_tokens SET family_id = id WHERE id = $1", &[&token]).await;
        }
        let pair = (token, secret.expose().to_owned());
        if n < 4 { seeded.live.push(pair) } else { seeded.refused.push(pair) }
    }
    if v >= 5 {
        for n in 0..3 {
            exec(
                &format!(
                    "INSERT INTO audit_events (id, org_id, at, event_type, actor_kind, actor_id, actor_label, subject_kind, \
                     subject_id, subject_label, token_id, detail) VALUES ($1, $2, {}, 'token.created', 'user', $3, \
                     'owner@example.com', 'token', $4, 't0', $4, '{{}}')",
                    t0 - DAY_MS + n
                ),
                &[&id(), &org, &owner, &seeded.live[0].0],
            )
            .await;
        }
    }
    if v >= 6 {
        exec(
            &format!(
                "INSERT INTO outbox (id, kind, org_id, event_type, payload, created_at, next_attempt_at, delivered_at) \
                 VALUES ($1, 'email', $2, 'token.expiring', '{{}}', {t0}, {t0}, {t0})"
            ),
            &[&id(), &org],
        )
        .await;
    }
    old.close().await;
    seeded
}

async fn counts(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for table in COUNTED {
        out.push(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(db.pool()).await.unwrap_or(0));
    }
    out
}

async fn upgrade_every_release(backend: Backend) {
    for dir in releases() {
        let engine_dir = dir.join(match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        });
        let release = dir.file_name().unwrap().to_string_lossy().into_owned();
        let db = TestDatabase::create(backend).await.unwrap();
        let key = ServerKey::generate();
        std::fs::write(db.data_dir.path().join("secret.key"), key.to_hex().as_bytes()).unwrap();
        let seeded = old_database(&db, &engine_dir, &key).await;
        let before = {
            let old = Db::connect(&DbOptions::new(db.url.clone())).await.unwrap();
            let c = counts(&old).await;
            old.close().await;
            c
        };
        // This version starts on it: migrations, key check, backfills.
        let app = TestApp::spawn_on(db, |_| {}).await;
        assert_eq!(counts(&app.core.db).await, before, "{release}: counts of {COUNTED:?} changed");
        let api = |(id, secret): &(String, String)| Api {
            url: app.url.clone(),
            id: id.clone(),
            secret: secret.clone(),
            client: client(),
        };
        for token in &seeded.live {
            api(token).whoami().await.unwrap_or_else(|e| panic!("{release}: a live token does not verify: {e:?}"));
        }
        for token in &seeded.refused {
            assert!(api(token).whoami().await.is_err(), "{release}: an expired or deleted token verifies");
        }
        let latest = tessera::backup::latest_schema();
        let schema: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(app.core.db.pool())
            .await
            .unwrap();
        assert_eq!(schema, latest, "{release}");
        app.stop().await;
    }
}

tessera_core::on_each_engine!(crate::helpers::on_engine => upgrade_every_release);
