//! One binary: copied alone into an empty directory and started without `--site-root`, Tessera serves
//! its pages and the site inside it, with the headers the directory would have had.

use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

fn tessera_alone() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("tessera");
    std::fs::copy(env!("CARGO_BIN_EXE_tessera"), &bin).unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    (dir, bin)
}

/// A freshly written executable can be "busy" (ETXTBSY) for a moment while another test's process forks
/// with the file still open for writing: retry.
fn spawn_retrying<T>(mut spawn: impl FnMut() -> std::io::Result<T>) -> T {
    for _ in 0..100 {
        match spawn() {
            Err(e) if e.raw_os_error() == Some(26) => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => return other.unwrap(),
        }
    }
    spawn().unwrap()
}

#[tokio::test]
async fn the_binary_alone_serves_pages_and_the_embedded_site() {
    let (dir, bin) = tessera_alone();
    let mut command = tokio::process::Command::new(&bin);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .current_dir(dir.path().join("empty"))
        .env_remove("TESSERA_SITE_ROOT")
        .env_remove("LEPTOS_HASH_FILES")
        .env_remove("TESSERA_DATABASE_URL")
        .env_remove("TESSERA_DATA_DIR")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = spawn_retrying(|| command.spawn());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("tessera exited before listening");
        if let Some(url) = line.strip_prefix("Tessera is running at ") {
            break url.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let client = reqwest::Client::new();

    let page = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    let asset = |ext: &str| {
        html.split('"')
            .find(|part| part.starts_with("/pkg/tessera.") && part.ends_with(ext))
            .unwrap_or_else(|| {
                panic!("the page names no {ext} under /pkg/ (was the site built before the server? scripts/build.sh --site): {html}")
            })
            .to_owned()
    };
    let (wasm, js) = (asset(".wasm"), asset(".js"));
    assert!(wasm.len() > "/pkg/tessera..wasm".len() + 8, "content-hashed: {wasm}");

    for (encoding, expected) in [("br", Some("br")), ("gzip, deflate", Some("gzip")), ("identity", None)] {
        let answer = client.get(format!("{url}{wasm}")).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{wasm} ({encoding})");
        let headers = answer.headers().clone();
        assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(headers["vary"], "accept-encoding");
        assert_eq!(headers["content-type"], "application/wasm");
        assert_eq!(headers.get("content-encoding").map(|v| v.to_str().unwrap()), expected, "{encoding}");
        let body = answer.bytes().await.unwrap();
        if expected.is_none() {
            assert_eq!(&body[..4], b"\0asm");
        }
        // Revalidation by ETag.
        let etag = headers["etag"].clone();
        let again = client
            .get(format!("{url}{wasm}"))
            .header("accept-encoding", encoding)
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    let script = client.get(format!("{url}{js}")).send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let favicon = client.get(format!("{url}/favicon.ico")).send().await.unwrap();
    assert_eq!(favicon.status(), 200);
    // The names file stays inside (before setup, pages redirect to it); unknown assets are "not found".
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let names = plain.get(format!("{url}/hash.txt")).send().await.unwrap();
    assert_ne!(names.status(), 200);
    assert!(!names.text().await.unwrap().contains("wasm:"));
    assert_eq!(client.get(format!("{url}/pkg/nothing.wasm")).send().await.unwrap().status(), 404);

    let metrics = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    let info = metrics.lines().find(|l| l.starts_with("tessera_build_info{")).expect("tessera_build_info");
    assert!(info.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))) && info.ends_with("} 1"), "{info}");
    assert!(!info.contains("commit=\"\""), "{info}");
    child.kill().await.unwrap();
}

#[test]
fn version_names_the_version_and_the_commit() {
    let (_dir, bin) = tessera_alone();
    let out = spawn_retrying(|| std::process::Command::new(&bin).arg("--version").output());
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with(&format!("tessera {} (commit ", env!("CARGO_PKG_VERSION"))), "{line}");
}
