//! Password hashing: argon2id at OWASP's parameters (m = 19456 KiB, t = 2, p = 1), run off the async
//! runtime on a bounded number of threads. Beyond a bounded queue the server answers 503 at once rather
//! than letting sign-in floods queue without end.

use crate::{domain::account::Password, error::Error};
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString},
};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

pub fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None).expect("valid argon2 parameters"))
}

#[derive(Clone, Debug)]
pub struct PasswordHasher {
    /// Hashes running at once (each takes a core for ~20 ms).
    running: Arc<Semaphore>,
    /// Hashes running or waiting; when none is left the caller gets 503.
    admitted: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(parallel: usize, queue: usize) -> Self {
        let parallel = parallel.max(1);
        Self { running: Arc::new(Semaphore::new(parallel)), admitted: Arc::new(Semaphore::new(parallel + queue)) }
    }

    /// As many parallel hashes as cores, and a queue of 16 per core.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores, cores * 16)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::unavailable("the password hashing queue is full"))?;
        let _running = self.running.clone().acquire_owned().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(Error::internal)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &Password) -> Result<String, Error> {
        let password = password.clone();
        self.run(move || {
            let salt = new_salt();
            argon2().hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string())
        })
        .await?
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
    }

    /// Checks a password against a stored hash. With no hash (unknown account, or an invitation not yet
    /// accepted) it checks against a dummy hash, so the answer takes the same time either way.
    pub async fn verify(&self, password: &Password, stored: Option<String>) -> Result<bool, Error> {
        let password = password.clone();
        self.run(move || {
            let (phc, real) = match stored {
                Some(phc) => (phc, true),
                None => (dummy_hash().to_owned(), false),
            };
            let Ok(parsed) = PasswordHash::new(&phc) else {
                tracing::error!("a stored password hash is not a valid PHC string");
                return false;
            };
            argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok() && real
        })
        .await
    }
}

fn new_salt() -> SaltString {
    SaltString::encode_b64(&crate::crypto::random_bytes::<16>()).expect("16 bytes is a valid salt")
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = new_salt();
        argon2().hash_password(b"tessera timing equaliser", &salt).expect("hash").to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse(s.into()).unwrap()
    }

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let hasher = PasswordHasher::new(2, 4);
        let phc = hasher.hash(&pw("correct horse")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify(&pw("correct horse"), Some(phc.clone())).await.unwrap());
        assert!(!hasher.verify(&pw("wrong horse"), Some(phc)).await.unwrap());
        assert!(!hasher.verify(&pw("correct horse"), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_answers_unavailable() {
        let hasher = PasswordHasher::new(1, 1);
        let p = pw("correct horse");
        let results = futures_join(hasher.clone(), p).await;
        assert!(
            results.iter().filter(|r| matches!(r, Err(e) if e.kind() == crate::ErrorKind::Unavailable)).count() >= 1,
            "{results:?}"
        );
        assert!(results.iter().filter(|r| r.is_ok()).count() >= 1, "{results:?}");
    }

    async fn futures_join(hasher: PasswordHasher, p: Password) -> Vec<Result<String, Error>> {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (h, p) = (hasher.clone(), p.clone());
                tokio::spawn(async move { h.hash(&p).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }
}
