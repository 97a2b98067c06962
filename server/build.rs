//! Build facts the binary reports (`tessera --version`, `tessera_build_info` in /metrics), and the
//! site it embeds (`src/http/site.rs`).
//!
//! - `TESSERA_COMMIT`: the commit built, from the environment (release pipelines set it), else from
//!   git, else `unknown` (a source tarball has no `.git`).
//! - The site in `../target/site` (`scripts/build.sh --site`) is embedded at compile time: the crate is
//!   rebuilt whenever a file in it changes. A missing directory is created empty, so the server
//!   compiles without the site (it then says so at start).
use std::{path::Path, process::Command};

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=TESSERA_COMMIT");
    let commit = match std::env::var("TESSERA_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => {
            // Rebuild when HEAD moves: HEAD itself, and the branch it points to (loose or packed).
            for name in ["HEAD", "packed-refs"] {
                if let Some(path) = git(&["rev-parse", "--git-path", name]) {
                    println!("cargo:rerun-if-changed={}", Path::new(env!("CARGO_MANIFEST_DIR")).join(path).display());
                }
            }
            if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
                && let Some(path) = git(&["rev-parse", "--git-path", &branch])
            {
                println!("cargo:rerun-if-changed={}", Path::new(env!("CARGO_MANIFEST_DIR")).join(path).display());
            }
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned())
        }
    };
    println!("cargo:rustc-env=TESSERA_COMMIT={commit}");

    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    if !site.exists() {
        let _ = std::fs::create_dir_all(&site);
    }
    println!("cargo:rerun-if-changed={}", site.display());
}
