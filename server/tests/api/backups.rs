//! Backups that restore: `tessera backup` while clients create and delete tokens, `tessera restore`,
//! `tessera backup --check`, and the checks on a PostgreSQL database restored with pg_restore.

use crate::helpers::{Backend, OWNER, PASSWORD, TestApp, on_app, tessera_cli};
use app::tokens::CreatedToken;
use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use tessera_core::testing::TestDatabase;

fn ok(out: &std::process::Output) -> String {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "failed: {stdout}\n{stderr}");
    format!("{stdout}{stderr}")
}

fn failed(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected a refusal: {}{stderr}", String::from_utf8_lossy(&out.stdout));
    stderr
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// What one client saw: tokens created (acknowledged at), tokens deleted (acknowledged at).
#[derive(Default)]
struct Seen {
    created: Vec<(CreatedToken, Instant)>,
    deleted: Vec<(String, Instant)>,
}

#[test]
fn a_backup_under_load_restores_every_acknowledged_token_and_no_deleted_one() {
    on_app(Backend::Sqlite, async |app: TestApp| {
        app.setup_owner().await;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for client in 0..8 {
            let browser = app.browser();
            browser.login(OWNER, PASSWORD).await.expect("sign in");
            let (seen, stop) = (seen.clone(), stop.clone());
            clients.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let token = browser.token(&format!("c{client}-{n}")).await;
                    let id = token.id.to_string();
                    seen.lock().unwrap().created.push((token, Instant::now()));
                    if n % 2 == 0 {
                        browser.delete_token(&id).await.expect("delete");
                        seen.lock().unwrap().deleted.push((id, Instant::now()));
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tessera-backup.db");
        let started = Instant::now();
        let out = {
            let (data_dir, url, file) = (app.db.data_dir.path().to_owned(), app.db.url.clone(), file.clone());
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
                    .args(["backup", "--to", arg(&file)])
                    .env("TESSERA_DATA_DIR", data_dir)
                    .env("TESSERA_DATABASE_URL", url)
                    .env("RUST_LOG", "warn")
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        };
        let finished = Instant::now();
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.unwrap();
        }
        let said = ok(&out);
        assert!(said.contains("TOGETHER VERIFY EVERY TOKEN"), "{said}");
        let key = dir.path().join("tessera-backup.db.key");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);

        // Restored into an empty data directory, then served.
        let restored = TestDatabase::create(Backend::Sqlite).await.unwrap();
        ok(&tessera_cli(&restored, &["restore", "--from", arg(&file)], "", &[]));
        // A data directory in use is refused without --force, and kept aside with it.
        let again = failed(&tessera_cli(&restored, &["restore", "--from", arg(&file)], "", &[]));
        assert!(again.contains("--force") && again.contains("tessera.db"), "{again}");
        ok(&tessera_cli(&restored, &["restore", "--from", arg(&file), "--force"], "", &[]));
        let restored = TestApp::spawn_on(restored, |_| {}).await;

        let seen = std::mem::take(&mut *seen.lock().unwrap());
        let deleted_at = |id: &str| seen.deleted.iter().find(|(d, _)| d == id).map(|(_, at)| *at);
        let (mut must, mut must_not) = (0, 0);
        for (token, acknowledged) in &seen.created {
            let deleted = deleted_at(&token.id.to_string());
            let verifies = restored.api(token).whoami().await.is_ok();
            if deleted.is_some_and(|at| at < started) {
                assert!(!verifies, "{} was deleted before the backup started, and verifies", token.id);
                must_not += 1;
            } else if *acknowledged < started && deleted.is_none_or(|at| at > finished) {
                assert!(verifies, "{} was acknowledged before the backup started, and does not verify", token.id);
                must += 1;
            }
        }
        assert!(must >= 8 && must_not >= 8, "too little load to tell: {must} kept, {must_not} deleted");
        restored.stop().await;
    });
}

#[test]
fn a_restore_with_the_wrong_key_refuses_to_start() {
    on_app(Backend::Sqlite, async |app: TestApp| {
        let owner = app.setup_owner().await;
        owner.token("kept").await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.db");
        ok(&tessera_cli(&app.db, &["backup", "--to", arg(&file), "--without-key"], "", &[]));
        assert!(!dir.path().join("b.db.key").exists());
        let restored = TestDatabase::create(Backend::Sqlite).await.unwrap();
        let said = ok(&tessera_cli(&restored, &["restore", "--from", arg(&file)], "", &[]));
        assert!(said.contains("No key file beside the backup"), "{said}");
        let other_key = "11".repeat(32);
        let refused = failed(&tessera_cli(
            &restored,
            &["serve", "--listen", "127.0.0.1:0"],
            "",
            &[("TESSERA_SECRET_KEY", &other_key)],
        ));
        assert!(refused.contains("is not the key this database was set up with"), "{refused}");
        // And with no key at all: the key file is missing, said so.
        let missing = failed(&tessera_cli(&restored, &["serve", "--listen", "127.0.0.1:0"], "", &[]));
        assert!(missing.contains("key file") && missing.contains("missing"), "{missing}");
    });
}

#[test]
fn check_reports_counts_and_refuses_a_truncated_backup() {
    on_app(Backend::Sqlite, async |app: TestApp| {
        let owner = app.setup_owner().await;
        for n in 0..3 {
            owner.token(&format!("t{n}")).await;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.db");
        ok(&tessera_cli(&app.db, &["backup", "--to", arg(&file)], "", &[]));
        let report = ok(&tessera_cli(&app.db, &["backup", "--check", arg(&file)], "", &[]));
        assert!(report.contains("integrity: ok") && report.contains("api_tokens: 3"), "{report}");
        assert!(
            report.contains(&format!("schema version: {} (current)", tessera::backup::latest_schema())),
            "{report}"
        );
        // A second backup to the same name is refused, the first one untouched.
        failed(&tessera_cli(&app.db, &["backup", "--to", arg(&file)], "", &[]));

        let bytes = std::fs::read(&file).unwrap();
        let cut = dir.path().join("cut.db");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let refused = failed(&tessera_cli(&app.db, &["backup", "--check", arg(&cut)], "", &[]));
        assert!(refused.contains("truncated"), "{refused}");
        let restored = TestDatabase::create(Backend::Sqlite).await.unwrap();
        failed(&tessera_cli(&restored, &["restore", "--from", arg(&cut)], "", &[]));
        assert!(!restored.data_dir.path().join("tessera.db").exists(), "a refused restore leaves nothing");
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all").unwrap();
        failed(&tessera_cli(&app.db, &["backup", "--check", arg(&junk)], "", &[]));
    });
}

/// PostgreSQL: pg_dump and pg_restore (as the README says), then `tessera backup --check` on the
/// restored database, which serves every token.
#[test]
fn postgres_pg_dump_restores_and_check_reads_the_restored_database() {
    on_app(Backend::Postgres, async |app: TestApp| {
        let owner = app.setup_owner().await;
        let token = owner.token("kept").await;
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("tessera.dump");
        let run = |program: &str, args: &[&str]| {
            let out = std::process::Command::new(program).args(args).output().expect(program);
            assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
        };
        run("pg_dump", &["--format=custom", "--no-owner", "--file", arg(&dump), &app.db.url]);
        let restored = TestDatabase::create(Backend::Postgres).await.unwrap();
        run("pg_restore", &["--no-owner", "--exit-on-error", "--dbname", &restored.url, arg(&dump)]);
        let report = ok(&tessera_cli(&app.db, &["backup", "--check", &restored.url], "", &[]));
        assert!(report.contains("api_tokens: 1") && report.contains("(current)"), "{report}");
        // The key goes with it (here: the same data directory's key file).
        std::fs::copy(app.db.data_dir.path().join("secret.key"), restored.data_dir.path().join("secret.key")).unwrap();
        let restored = TestApp::spawn_on(restored, |_| {}).await;
        restored.api(&token).whoami().await.expect("the token verifies on the restored database");
        restored.stop().await;
    });
}

#[test]
fn scheduled_backups_keep_the_newest_and_one_writer_at_a_time() {
    on_app(Backend::Sqlite, async |app: TestApp| {
        use tessera::backup::{Schedule, scheduled_once};
        let dir = tempfile::tempdir().unwrap();
        let schedule = Schedule { dir: dir.path().join("backups"), every: Duration::from_secs(3600), keep: 2 };
        let mut written = Vec::new();
        for _ in 0..3 {
            written.push(scheduled_once(&app.core.db, &schedule).await.unwrap().expect("a backup"));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut kept: Vec<_> = std::fs::read_dir(&schedule.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "db"))
            .collect();
        kept.sort();
        assert_eq!(kept, written[1..], "the newest two are kept");
        for backup in &kept {
            tessera::backup::check(backup.to_str().unwrap()).await.expect("a usable backup");
        }
        // Another writer holds the directory: this one skips its turn.
        let lock = std::fs::OpenOptions::new().write(true).open(schedule.dir.join(".lock")).unwrap();
        lock.lock().unwrap();
        assert!(scheduled_once(&app.core.db, &schedule).await.unwrap().is_none());
        lock.unlock().unwrap();
        assert!(scheduled_once(&app.core.db, &schedule).await.unwrap().is_some());
    });
}
