//! Password hashing: argon2id at OWASP's parameters (m = 19456 KiB, t = 2, p = 1), run off the async
//! runtime on a small fixed pool of dedicated threads. Each thread owns one 19 MiB block of working
//! memory, allocated at its first hash and reused for every later one, so the memory hashing takes is
//! bounded (at most [`MAX_PARALLEL`] × 19 MiB) however many sign-ins arrive. (Allocating it per hash on
//! tokio's blocking pool left it in per-thread allocator arenas: RSS grew by ~10 MiB per attempt, to
//! 574 MiB, and stayed there.) Beyond a bounded queue the server answers 503 at once rather than letting
//! sign-in floods queue without end.

use crate::{domain::account::Password, error::Error};
use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{
        self, Decimal, Ident, Output, ParamsString, PasswordHash, PasswordHasher as _, PasswordVerifier, Salt,
        SaltString,
    },
};
use std::{
    cell::RefCell,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex, OnceLock,
        mpsc::{self, Receiver, Sender},
    },
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// Hashing threads at most, whatever the number of cores: 4 × 19 MiB of working memory, and about 200
/// hashes a second, far beyond what the sign-in limits let through.
pub const MAX_PARALLEL: usize = 4;

pub fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, owasp_params())
}

fn owasp_params() -> Params {
    Params::new(19_456, 2, 1, None).expect("valid argon2 parameters")
}

/// Work for a hashing thread, given that thread's working memory.
type Job = Box<dyn FnOnce(&Workspace) + Send>;

#[derive(Clone, Debug)]
pub struct PasswordHasher {
    /// To the hashing threads; they stop when the last clone of this is dropped.
    jobs: Sender<Job>,
    /// Hashes running or waiting; when none is left the caller gets 503. A job holds its permit until it
    /// has run, so abandoned requests can't pile up work behind the limit.
    admitted: Arc<Semaphore>,
}

impl PasswordHasher {
    /// `parallel` hashing threads (each with 19 MiB once it has hashed), and room for `queue` more
    /// hashes waiting.
    pub fn new(parallel: usize, queue: usize) -> Self {
        let parallel = parallel.max(1);
        let (jobs, waiting) = mpsc::channel::<Job>();
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..parallel {
            let waiting = Arc::clone(&waiting);
            std::thread::Builder::new()
                .name(format!("tessera-argon2-{i}"))
                .spawn(move || hashing_thread(&waiting))
                .expect("the operating system starts a password hashing thread");
        }
        Self { jobs, admitted: Arc::new(Semaphore::new(parallel + queue)) }
    }

    /// As many hashing threads as cores (at most [`MAX_PARALLEL`]), and a queue of 16 per core.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores.min(MAX_PARALLEL), cores * 16)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&Workspace) -> T + Send + 'static) -> Result<T, Error> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::unavailable("the password hashing queue is full"))?;
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(job(admitted, answer, work))
            .map_err(|_| Error::internal("the password hashing threads have stopped"))?;
        answered.await.map_err(Error::internal)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &Password) -> Result<String, Error> {
        let password = password.clone();
        self.run(move |workspace| {
            workspace.hasher().hash_password(password.expose().as_bytes(), &new_salt()).map(|h| h.to_string())
        })
        .await?
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
    }

    /// Checks a password against a stored hash. With no hash (unknown account, or an invitation not yet
    /// accepted) it checks against a dummy hash, so the answer takes the same time either way.
    pub async fn verify(&self, password: &Password, stored: Option<String>) -> Result<bool, Error> {
        let password = password.clone();
        self.run(move |workspace| {
            let (phc, real) = match stored {
                Some(phc) => (phc, true),
                None => (dummy_hash(workspace).to_owned(), false),
            };
            let Ok(parsed) = PasswordHash::new(&phc) else {
                tracing::error!("a stored password hash is not a valid PHC string");
                return false;
            };
            workspace.hasher().verify_password(password.expose().as_bytes(), &parsed).is_ok() && real
        })
        .await
    }
}

/// The job run on a hashing thread: skipped when its caller has gone (the request was dropped), its
/// admission permit released once done.
fn job<T: Send + 'static>(
    admitted: OwnedSemaphorePermit,
    answer: oneshot::Sender<T>,
    work: impl FnOnce(&Workspace) -> T + Send + 'static,
) -> Job {
    Box::new(move |workspace| {
        let _admitted = admitted;
        if !answer.is_closed() {
            let _ = answer.send(work(workspace));
        }
    })
}

/// A hashing thread: takes jobs until the hasher is dropped. A panicking job (none is expected) drops
/// its answer, so its caller gets an error, and the thread goes on.
fn hashing_thread(waiting: &Mutex<Receiver<Job>>) {
    let workspace = Workspace::default();
    loop {
        let next = match waiting.lock() {
            Ok(waiting) => waiting.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&workspace)));
    }
}

/// One hashing thread's argon2 working memory, allocated at its first hash and then reused.
#[derive(Default)]
struct Workspace {
    blocks: RefCell<Vec<Block>>,
}

impl Workspace {
    fn hasher(&self) -> Reusing<'_> {
        Reusing { workspace: self }
    }

    /// Runs `f` on `count` blocks of memory: the reused ones for up to OWASP's parameters; a hash stored
    /// with more memory than that (none is, today) gets a temporary allocation, so the reused memory never
    /// grows beyond 19 MiB.
    fn with_blocks<T>(&self, count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        if count > owasp_params().block_count() {
            return f(&mut vec![Block::default(); count]);
        }
        let mut blocks = self.blocks.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        f(&mut blocks[..count])
    }
}

/// argon2 as a [`password_hash::PasswordHasher`] that works in a [`Workspace`]'s memory: the same PHC
/// strings as `Argon2`'s own implementation (which allocates the memory on every call), and through the
/// blanket [`PasswordVerifier`] the same verification, with a constant-time comparison.
struct Reusing<'w> {
    workspace: &'w Workspace,
}

impl password_hash::PasswordHasher for Reusing<'_> {
    type Params = Params;

    fn hash_password<'a>(&self, password: &[u8], salt: impl Into<Salt<'a>>) -> password_hash::Result<PasswordHash<'a>> {
        self.hash_password_customized(password, None, None, owasp_params(), salt)
    }

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm.map(Algorithm::try_from).transpose()?.unwrap_or(Algorithm::Argon2id);
        let version = version.map(Version::try_from).transpose()?.unwrap_or(Version::V0x13);
        let salt = salt.into();
        let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let argon2 = Argon2::new(algorithm, version, params);
        let output = self.workspace.with_blocks(argon2.params().block_count(), |blocks| {
            Output::init_with(output_len, |out| {
                Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, blocks)?)
            })
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(argon2.params())?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

fn new_salt() -> SaltString {
    SaltString::encode_b64(&crate::crypto::random_bytes::<16>()).expect("16 bytes is a valid salt")
}

fn dummy_hash(workspace: &Workspace) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        workspace.hasher().hash_password(b"tessera timing equaliser", &new_salt()).expect("hash").to_string()
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
    async fn reads_and_writes_the_same_phc_strings_as_argon2_itself() {
        let hasher = PasswordHasher::new(1, 4);
        let ours = hasher.hash(&pw("correct horse")).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        assert!(argon2().verify_password(b"wrong horse", &parsed).is_err());
        let theirs = argon2().hash_password(b"correct horse", &new_salt()).unwrap().to_string();
        assert!(hasher.verify(&pw("correct horse"), Some(theirs.clone())).await.unwrap());
        assert!(!hasher.verify(&pw("wrong horse"), Some(theirs)).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_run_on_a_fixed_set_of_threads_reusing_their_memory() {
        let hasher = PasswordHasher::new(2, 16);
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    hasher
                        .run(|workspace| {
                            let memory = workspace.with_blocks(owasp_params().block_count(), |b| b.as_ptr() as usize);
                            (std::thread::current().name().map(str::to_owned), memory)
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut threads = std::collections::BTreeMap::new();
        for task in tasks {
            let (name, memory) = task.await.unwrap();
            threads.entry(name).or_insert_with(std::collections::BTreeSet::new).insert(memory);
        }
        assert!(threads.len() <= 2, "{threads:?}");
        assert!(threads.keys().all(|n| n.as_deref().is_some_and(|n| n.starts_with("tessera-argon2-"))), "{threads:?}");
        assert!(
            threads.values().all(|memory| memory.len() == 1),
            "each thread reuses one block of memory: {threads:?}"
        );
    }

    #[test]
    fn a_hash_stored_with_more_memory_leaves_the_reused_memory_at_its_size() {
        let workspace = Workspace::default();
        let owasp = owasp_params().block_count();
        assert_eq!(workspace.with_blocks(owasp + 8, |b| b.len()), owasp + 8);
        assert!(workspace.blocks.borrow().is_empty());
        assert_eq!(workspace.with_blocks(owasp, |b| b.len()), owasp);
        assert_eq!(workspace.blocks.borrow().len(), owasp);
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
