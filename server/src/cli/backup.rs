//! `tessera backup` and `tessera restore`: adapters over [`crate::backup`].

use super::output;
use crate::{
    backup,
    config::{BackupArgs, CommonArgs, RestoreArgs},
    startup::{open_database, secret_key_from_env},
};
use std::path::Path;
use tessera_core::keys;

pub async fn backup(common: &CommonArgs, args: BackupArgs) -> Result<(), output::Stop> {
    if let Some(target) = args.check {
        let report = backup::check(&target).await?;
        output::line(format_args!("{target}: a usable backup\n{}", report.to_string().trim_end()))?;
        return Ok(());
    }
    let Some(to) = args.to else {
        return Err("say where: `tessera backup --to FILE` (or check one with `tessera backup --check FILE`)".into());
    };
    let env_key = secret_key_from_env();
    let (data_dir, url) = common.existing_installation(env_key.is_some()).map_err(|e| e.to_string())?;
    let db = open_database(&common.db_options(url)).await.map_err(|e| e.to_string())?;
    let key_file = backup::key_path(&to);
    // The key first, checked against the database: a backup whose key is wrong is worth nothing.
    let key = if args.without_key {
        None
    } else {
        if key_file.exists() {
            return Err(format!("{} exists already; name a new backup file", key_file.display()).into());
        }
        Some(keys::load(&db, env_key.as_deref(), &data_dir.join("secret.key")).await.map_err(|e| e.to_string())?)
    };
    let bytes = backup::snapshot(&db, &to).await?;
    db.close().await;
    let report = backup::check(&to.display().to_string()).await?;
    output::line(format_args!(
        "backup written to {} ({bytes} bytes)\n{}",
        to.display(),
        report.to_string().trim_end()
    ))?;
    match key {
        Some(key) => {
            tessera_core::crypto::write_private(&key_file, key.to_hex().as_bytes()).map_err(|e| {
                format!("the backup is written, but its key file {} could not be: {e}", key_file.display())
            })?;
            output::line(format_args!("server key written to {} (mode 0600)", key_file.display()))?;
            output::note(format_args!(
                "\nWARNING: {db} and {key} TOGETHER VERIFY EVERY TOKEN in this backup: whoever has both can check \
                 guessed secrets offline and read every token's owner. Store them apart (the key in your password \
                 manager or secret store, the database with your backups), never side by side in one place others \
                 can read.\n",
                db = to.display(),
                key = key_file.display()
            ));
        }
        None => output::note(
            "The server key is not in this backup (--without-key): restoring it needs the key this installation \
             uses now (secret.key in the data directory, or TESSERA_SECRET_KEY). Without the key, no token verifies.",
        ),
    }
    Ok(())
}

pub async fn restore(common: &CommonArgs, args: RestoreArgs) -> Result<(), output::Stop> {
    if common.database_url.as_deref().is_some_and(|u| !u.trim().is_empty() && !u.starts_with("sqlite:")) {
        return Err("restore puts a backup in place as the embedded SQLite database; for PostgreSQL use pg_restore (README, \"Backups\"), then `tessera backup --check postgres://…`".into());
    }
    let data_dir = common.prepare_data_dir().map_err(|e| e.to_string())?;
    let (report, restored) = backup::restore(&args.from, &data_dir, args.force).await?;
    for aside in &restored.set_aside {
        output::note(format_args!("kept the file that was in the way as {}", aside.display()));
    }
    output::line(format_args!(
        "restored {} into {}\n{}",
        args.from.display(),
        restored.database.display(),
        report.to_string().trim_end()
    ))?;
    match &restored.key {
        Some(key) => output::line(format_args!("server key restored to {} (mode 0600)", key.display()))?,
        None => output::note(format_args!(
            "No key file beside the backup ({}): start Tessera with the key this backup was made with \
             (secret.key in {}, or TESSERA_SECRET_KEY); with another key it refuses to start.",
            backup::key_path(&args.from).display(),
            shown(&data_dir)
        )),
    }
    Ok(())
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}
