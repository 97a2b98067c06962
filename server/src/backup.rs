//! Backups of the embedded database: a consistent snapshot taken while the server serves and writes
//! (SQLite's `VACUUM INTO`, one read transaction: never a copy of a live file), the server key beside it
//! in a file of its own, the check of a backup (or of a restored PostgreSQL database), the restore, and
//! the server's own schedule. Plain functions; `crate::cli::backup` and `tessera serve` call them.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};
use tessera_core::db::{Backend, Db};

/// The migrations this binary knows (the same files the core applies).
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The newest schema version this binary knows.
pub fn latest_schema() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Migration 0009 as first released (e0614d7) was edited afterwards (9666149: its index also orders by
/// `revoked`). A database migrated by that first release records the first text's checksum, and sqlx
/// refuses to start on it ("previously applied but has been modified"). This brings such a database to
/// the edited text: the index as 9666149 made it, and its checksum. Idempotent; nothing else matches.
const FIRST_0009_SHA384: &str =
    "006ada21fb3e2e675315d634e94a0cd7fa03a020aaa54bcf469b54e8a4b9e97f7399a7912b2a8a3ae6b0c558cc7a66db";

pub async fn repair_edited_migrations(db: &Db) -> Result<(), sqlx::Error> {
    let Some(current) = MIGRATIONS.iter().find(|m| m.version == 9) else { return Ok(()) };
    let first = (0..FIRST_0009_SHA384.len() / 2)
        .filter_map(|i| u8::from_str_radix(&FIRST_0009_SHA384[2 * i..2 * i + 2], 16).ok())
        .collect::<Vec<u8>>();
    // No migrations table yet (a new database): nothing to repair.
    let recorded: Option<Vec<u8>> = match sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = 9")
        .fetch_optional(db.pool())
        .await
    {
        Ok(found) => found,
        Err(_) => return Ok(()),
    };
    if recorded.as_deref() != Some(first.as_slice()) {
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    sqlx::query("DROP INDEX token_leak_reports_by_token").execute(&mut *tx).await?;
    sqlx::query(
        "CREATE INDEX token_leak_reports_by_token ON token_leak_reports (token_id, revoked DESC, reported_at DESC)",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 9")
        .bind(current.checksum.to_vec())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!("migration 9 brought to its released text (the leak reports' index)");
    Ok(())
}

/// The tables counted by a check, in the order printed.
pub const COUNTED: [&str; 6] = ["users", "organizations", "memberships", "api_tokens", "audit_events", "outbox"];

/// The key file that goes with a backup: `FILE.key`.
pub fn key_path(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// Writes a consistent snapshot of the SQLite database to `to` (a new file). It is written under a
/// temporary name and renamed when complete, so `to` is never a partial backup.
pub async fn snapshot(db: &Db, to: &Path) -> Result<u64, String> {
    if db.backend() != Backend::Sqlite {
        return Err("backups of PostgreSQL are made with pg_dump (README, \"Backups\"); this command backs up the embedded SQLite database".into());
    }
    if to.exists() {
        return Err(format!("{} exists already; name a new file (a backup never overwrites one)", to.display()));
    }
    let partial = {
        let mut name = to.as_os_str().to_owned();
        name.push(".partial");
        PathBuf::from(name)
    };
    let _ = std::fs::remove_file(&partial);
    let target = partial.to_str().ok_or_else(|| format!("{}: the path must be valid UTF-8", to.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(db.pool())
        .await
        .map_err(|e| format!("could not write the backup to {}: {e}", to.display()))?;
    let done = (|| {
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, to)?;
        std::fs::metadata(to).map(|m| m.len())
    })();
    done.map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("could not finish the backup {}: {e}", to.display())
    })
}

/// What a check found in a backup (or a database).
#[derive(Debug)]
pub struct Report {
    pub integrity: String,
    pub schema: i64,
    pub counts: Vec<(&'static str, i64)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "integrity: {}", self.integrity)?;
        let latest = latest_schema();
        let note = if self.schema == latest {
            "current".to_owned()
        } else {
            format!("older than this Tessera's {latest}: starting the server upgrades it")
        };
        writeln!(f, "schema version: {} ({note})", self.schema)?;
        for (table, n) in &self.counts {
            writeln!(f, "{table}: {n}")?;
        }
        Ok(())
    }
}

/// SQLite's header: the file is as long as its page size times its page count, or it was cut short.
fn check_sqlite_file(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let shown = path.display();
    let len = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?.len();
    let mut header = [0u8; 100];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header));
    if read.is_err() || &header[..16] != b"SQLite format 3\0" {
        return Err(format!(
            "{shown} is not a Tessera backup (not an SQLite database, or cut short before its header)"
        ));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([header[28], header[29], header[30], header[31]]));
    if page_size * pages != len {
        return Err(format!(
            "{shown} is truncated or damaged: its header says {} bytes, the file has {len}; use another backup",
            page_size * pages
        ));
    }
    Ok(())
}

/// Checks a backup file, or a database by its URL (`postgres://…` after a pg_restore): integrity,
/// schema version, counts. A damaged, truncated or foreign file, or a newer schema, is an error.
pub async fn check(target: &str) -> Result<Report, String> {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let postgres = target.starts_with("postgres://") || target.starts_with("postgresql://");
    let shown = if postgres { tessera_core::db::redact_url(target) } else { target.to_owned() };
    let url = if postgres {
        target.to_owned()
    } else {
        let path = Path::new(target);
        check_sqlite_file(path)?;
        format!("sqlite://{}?mode=ro&immutable=true", path.display())
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.map_err(|e| format!("cannot open {shown}: {e}"))?;
    let integrity = if postgres {
        "not checked here (PostgreSQL checks its own pages)".to_owned()
    } else {
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| format!("{shown} is damaged: {e}"))?;
        let found: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect();
        if found != ["ok"] {
            return Err(format!("{shown} is damaged: {}", found.join("; ")));
        }
        "ok".to_owned()
    };
    let schema: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| format!("{shown} is not a Tessera database (it has no schema version)"))?;
    if schema > latest_schema() {
        return Err(format!(
            "{shown} has schema version {schema}, newer than this Tessera's {}: check it with the Tessera that made it",
            latest_schema()
        ));
    }
    let mut counts = Vec::new();
    for table in COUNTED {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .map_err(|e| format!("{shown}: cannot count {table}: {e}"))?;
        counts.push((table, n));
    }
    let _ = conn.close().await;
    Ok(Report { integrity, schema, counts })
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    pub key: Option<PathBuf>,
    pub set_aside: Vec<PathBuf>,
}

/// Puts a checked backup (and its key file, when it is beside it) in place as the data directory's
/// database. A data directory that holds a database or a key already is refused unless `force`; then
/// those files are renamed aside (`….before-restore-<unix time>`), never deleted. The server must be
/// stopped.
pub async fn restore(from: &Path, data_dir: &Path, force: bool) -> Result<(Report, Restored), String> {
    let from_text = from.to_str().ok_or_else(|| format!("{}: the path must be valid UTF-8", from.display()))?;
    let report = check(from_text).await?;
    let database = data_dir.join("tessera.db");
    let key_file = data_dir.join("secret.key");
    let key_backup = key_path(from);
    let occupied: Vec<PathBuf> = ["tessera.db", "tessera.db-wal", "tessera.db-shm", "secret.key"]
        .iter()
        .map(|n| data_dir.join(n))
        .filter(|p| p.exists())
        .collect();
    if !occupied.is_empty() && !force {
        return Err(format!(
            "the data directory {} is in use (it holds {}); stop Tessera and pass --force to replace them \
             (they are renamed aside, not deleted), or restore into an empty --data-dir",
            data_dir.display(),
            occupied.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy()).collect::<Vec<_>>().join(", ")
        ));
    }
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut set_aside = Vec::new();
    for path in occupied {
        // Without a key beside the backup, the key in place stays: it may be the one the backup needs.
        if path == key_file && !key_backup.exists() {
            continue;
        }
        let mut aside = path.clone().into_os_string();
        aside.push(format!(".before-restore-{stamp}"));
        std::fs::rename(&path, &aside).map_err(|e| format!("could not move {} aside: {e}", path.display()))?;
        set_aside.push(PathBuf::from(aside));
    }
    let partial = data_dir.join("tessera.db.restoring");
    std::fs::copy(from, &partial)
        .and_then(|_| std::fs::File::open(&partial)?.sync_all())
        .and_then(|()| std::fs::rename(&partial, &database))
        .map_err(|e| format!("could not copy {} to {}: {e}", from.display(), database.display()))?;
    let key = if key_backup.exists() {
        let text = std::fs::read(&key_backup).map_err(|e| format!("cannot read {}: {e}", key_backup.display()))?;
        let text = String::from_utf8_lossy(&text);
        tessera_core::crypto::write_private(&key_file, text.trim().as_bytes())
            .map_err(|e| format!("could not write {}: {e}", key_file.display()))?;
        Some(key_file)
    } else {
        None
    };
    Ok((report, Restored { database, key, set_aside }))
}

/// `24h`, `30m`, `90s`, `7d`: the interval of scheduled backups.
pub fn parse_every(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (n, unit) = raw.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("--backup-every {raw}: write a number and a unit, like 24h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("--backup-every {raw}: the unit is s, m, h or d (24h, 30m)")),
    };
    if seconds < 60 {
        return Err(format!("--backup-every {raw}: at least a minute"));
    }
    Ok(Duration::from_secs(seconds))
}

/// Scheduled backups: where, how often, how many are kept.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// One scheduled backup: `tessera-<unix seconds>.db` in the directory, then the oldest beyond `keep`
/// removed. Runs only while it holds the directory's lock file: several instances (or a slow
/// backup) never write at once; one that finds it taken skips its turn (`Ok(None)`).
pub async fn scheduled_once(db: &Db, schedule: &Schedule) -> Result<Option<PathBuf>, String> {
    std::fs::create_dir_all(&schedule.dir).map_err(|e| format!("backup directory {}: {e}", schedule.dir.display()))?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(schedule.dir.join(".lock"))
        .map_err(|e| format!("backup directory {}: {e}", schedule.dir.display()))?;
    if lock.try_lock().is_err() {
        return Ok(None);
    }
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let path = schedule.dir.join(format!("tessera-{stamp:015}.db"));
    snapshot(db, &path).await?;
    let mut backups: Vec<PathBuf> = std::fs::read_dir(&schedule.dir)
        .map_err(|e| format!("backup directory {}: {e}", schedule.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("tessera-") && n.ends_with(".db"))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(schedule.keep.max(1));
    for old in &backups[..excess] {
        let _ = std::fs::remove_file(old);
    }
    drop(lock);
    Ok(Some(path))
}

/// The schedule, run beside the server until it stops.
pub async fn run_schedule(db: Db, schedule: Schedule) {
    let mut ticks = tokio::time::interval(schedule.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match scheduled_once(&db, &schedule).await {
            Ok(Some(path)) => tracing::info!(backup = %path.display(), "backup written"),
            Ok(None) => tracing::info!("another instance is writing a backup; this one skips its turn"),
            Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_every;
    use std::time::Duration;

    #[test]
    fn intervals() {
        assert_eq!(parse_every("24h").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse_every("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_every("7d").unwrap(), Duration::from_secs(7 * 86400));
        for bad in ["", "h", "10", "5s", "3w", "-1h"] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }
}
