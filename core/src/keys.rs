//! Which server key this instance uses, and the check that it is the key the database was set up with.
//!
//! The key comes from `TESSERA_SECRET_KEY` or from `secret.key` in the data directory (created, mode 0600,
//! on a database that has never had one). The database stores only the key's fingerprint, so an
//! instance with a different key refuses to start instead of quietly rejecting every token.

use crate::{
    crypto::{KeyFileError, ServerKey},
    db::{Db, is_unique_violation},
};
use std::path::Path;

const FINGERPRINT: &str = "server_key_fingerprint";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "TESSERA_SECRET_KEY must be 64 hexadecimal characters (32 bytes); generate one with `openssl rand -hex 32`"
    )]
    BadEnv,
    #[error(transparent)]
    File(#[from] KeyFileError),
    #[error(
        "this database was set up with a server key, but the key file {0} is missing and TESSERA_SECRET_KEY is not set; \
         restore the key file (or set TESSERA_SECRET_KEY to the key): a new key would invalidate every API token"
    )]
    Missing(String),
    #[error(
        "the server key ({source_name}, fingerprint {ours}) is not the key this database was set up with (fingerprint {theirs}); \
         every instance must use the same key: copy the key file or set the same TESSERA_SECRET_KEY everywhere"
    )]
    Mismatch { source_name: String, ours: String, theirs: String },
    #[error("could not read or record the server key fingerprint: {0}")]
    Database(#[from] sqlx::Error),
}

pub async fn load(db: &Db, env_key: Option<&str>, key_file: &Path) -> Result<ServerKey, KeyError> {
    let recorded: Option<String> = sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
        .bind(FINGERPRINT)
        .fetch_optional(db.pool())
        .await?;
    let (key, source_name) = match env_key.filter(|k| !k.trim().is_empty()) {
        Some(text) => (ServerKey::from_hex(text).map_err(|_| KeyError::BadEnv)?, "TESSERA_SECRET_KEY".to_owned()),
        None => match ServerKey::load_or_create(key_file, recorded.is_none())? {
            Some(key) => (key, key_file.display().to_string()),
            None => return Err(KeyError::Missing(key_file.display().to_string())),
        },
    };
    let ours = key.fingerprint();
    let theirs = match recorded {
        Some(fingerprint) => fingerprint,
        None => {
            let inserted = sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2)")
                .bind(FINGERPRINT)
                .bind(&ours)
                .execute(db.pool())
                .await;
            match inserted {
                Ok(_) => return Ok(key),
                // Another instance recorded its key first: ours must be the same.
                Err(e) if is_unique_violation(&e) => {
                    sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
                        .bind(FINGERPRINT)
                        .fetch_one(db.pool())
                        .await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if theirs != ours {
        return Err(KeyError::Mismatch { source_name, ours, theirs });
    }
    Ok(key)
}
