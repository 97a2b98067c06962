//! A bad configuration ends the process at once, with one line that says what to fix.

use std::process::{Command, Output};

fn tessera(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command.args(args).env_remove("TESSERA_DATABASE_URL").env_remove("TESSERA_DATA_DIR");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run tessera")
}

fn one_error_line(output: &Output) -> String {
    assert!(!output.status.success(), "expected failure, got {:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    lines[0].to_owned()
}

#[test]
fn unusable_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let data_dir = file.join("data");
    let out = tessera(&["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap()], &[]);
    let line = one_error_line(&out);
    assert!(line.contains("data directory") && line.contains("--data-dir"), "{line}");
}

#[test]
fn malformed_database_url() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://localhost/db", "postgres://user@host:notaport/db", "nonsense"] {
        let out = tessera(
            &["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()],
            &[("TESSERA_DATABASE_URL", url)],
        );
        let line = one_error_line(&out);
        assert!(line.contains("database URL") && line.contains("TESSERA_DATABASE_URL"), "{line}");
    }
}

#[test]
fn unreachable_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(
        &["migrate", "--data-dir", dir.path().to_str().unwrap()],
        &[("TESSERA_DATABASE_URL", "postgres://nobody:pw@127.0.0.1:1/none"), ("TESSERA_DB_ACQUIRE_TIMEOUT", "2")],
    );
    let line = one_error_line(&out);
    assert!(line.contains("database"), "{line}");
    assert!(!line.contains(":pw@"), "password leaked: {line}");
}

#[test]
fn port_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(&["serve", "--listen", &addr, "--data-dir", dir.path().to_str().unwrap()], &[]);
    let line = one_error_line(&out);
    assert!(line.contains("cannot listen") && line.contains("--listen"), "{line}");
}

#[test]
fn migrate_then_exit() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(&["migrate", "--data-dir", dir.path().to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("tessera.db").exists());
}

#[test]
fn a_hop_count_for_trusted_proxies_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(
        &["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()],
        &[("TESSERA_TRUSTED_PROXIES", "1")],
    );
    let line = one_error_line(&out);
    assert!(line.contains("TESSERA_TRUSTED_PROXIES") && line.contains("127.0.0.1"), "{line}");
}
