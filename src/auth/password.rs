//! Password hashing (argon2id) and the common-password policy.
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on Tokio's blocking threads
//! and never more at once than there are cores: a burst of logins queues here instead of
//! stalling the async workers. Each of those hashers keeps its argon2 memory for the next
//! hash, so the server's memory stays flat under logins: allocating and freeing 7 MiB per
//! hash left freed blocks cached by the allocator on several threads (18 MB more at the peak
//! of `make bench`'s logins beside lists).

use std::{
    collections::HashSet,
    sync::{Arc, LazyLock, Mutex},
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{self, Output, ParamsString, SaltString, rand_core::OsRng},
};
use tokio::sync::{OnceCell, Semaphore};

use crate::error::AppError;

/// The message for a password found in the common-password list.
pub const TOO_COMMON: &str = "This password is too common. Choose one that is harder to guess.";

/// The 10,000 most common passwords, most common first (from the xato.net 10-million-password
/// corpus as ranked by zxcvbn's frequency lists, MIT licence), one per line, lower case.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// argon2id with 7 MiB of memory, 5 passes, 1 lane: one of the settings OWASP's Password
/// Storage Cheat Sheet gives as equally strong (with 19 MiB and 2 passes, 12 MiB and 3, ...).
/// It costs the same time as 19 MiB with 2 passes, but a server hashing on every core at
/// once holds 7 MiB per core instead of 19, which keeps it inside its memory budget.
const MEMORY_KIB: u32 = 7_168;
const PASSES: u32 = 5;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    #[allow(clippy::expect_used)] // constant parameters, checked by the tests
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Whether a stored hash was made with other settings than today's (an older release's, say)
/// and should be replaced by a new hash the next time its password is known.
pub fn needs_rehash(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return true };
    let current = (|| {
        let params = Params::try_from(&parsed).ok()?;
        let same = parsed.algorithm == Algorithm::Argon2id.ident()
            && parsed.version == Some(Version::V0x13.into())
            && (params.m_cost(), params.t_cost(), params.p_cost()) == (MEMORY_KIB, PASSES, LANES);
        Some(same)
    })();
    current != Some(true)
}

/// Hashes a password with today's settings and a new random salt, in `memory` (grown to the
/// size the settings need the first time).
fn hash_with(password: &[u8], memory: &mut Vec<Block>) -> password_hash::Result<String> {
    let hasher = argon2();
    let params = hasher.params().clone();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes)?;
    memory.resize(params.block_count(), Block::default());
    let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(hasher.hash_password_into_with_memory(password, salt_bytes, out, &mut memory[..])?)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// Whether `password` is the one `stored` was made from, with the settings written in it.
/// A hash made with more memory than `memory` holds (an older release's) gets a buffer of
/// its own for this once: `memory` keeps today's size.
fn verify_with(password: &[u8], stored: &PasswordHash<'_>, memory: &mut Vec<Block>) -> bool {
    let computed = (|| {
        let (salt, expected) = (stored.salt?, stored.hash?);
        let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
        let version = stored.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
        let params = Params::try_from(stored).ok()?;
        let hasher = Argon2::new(algorithm, version, params.clone());
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).ok()?;
        let blocks = params.block_count();
        let mut own = Vec::new();
        let memory: &mut [Block] = if blocks <= argon2().params().block_count() {
            memory.resize(memory.len().max(blocks), Block::default());
            &mut memory[..blocks]
        } else {
            own.resize(blocks, Block::default());
            &mut own[..]
        };
        let mut out = vec![0u8; expected.len()];
        hasher.hash_password_into_with_memory(password, salt_bytes, &mut out, memory).ok()?;
        // `Output`'s comparison takes the same time whatever the bytes.
        Some(Output::new(&out).ok()? == expected)
    })();
    computed == Some(true)
}

/// The hashers' memory that is not in use.
#[derive(Default)]
struct Memory {
    free: Vec<Vec<Block>>,
    last_used: Option<std::time::Instant>,
}

/// Hashes and verifies passwords, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// argon2's working memory, one set of blocks per hasher at work (at most one per
    /// permit), kept between hashes and given back after a quiet spell.
    memory: Arc<Mutex<Memory>>,
    /// A hash of a random password, verified against when the account does not exist, so
    /// that an unknown email costs the same time as a wrong password.
    decoy: Arc<OnceCell<String>>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            memory: Arc::new(Mutex::new(Memory::default())),
            decoy: Arc::new(OnceCell::new()),
        }
    }
}

impl Passwords {
    /// How many hashes may run at once (the number of cores).
    pub fn concurrency(&self) -> usize {
        self.permits.available_permits()
    }

    /// Refuses passwords from the common-password list (case does not matter).
    pub fn check_not_common(&self, password: &str) -> Result<(), AppError> {
        if COMMON.contains(password.to_lowercase().as_str()) {
            return Err(AppError::field("password", TOO_COMMON));
        }
        Ok(())
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=7168,t=5,p=1$...`).
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move |memory| hash_with(password.as_bytes(), memory)).await?.map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
    }

    /// Whether `password` matches `hash`. With no hash (unknown account) it does the same
    /// work against a decoy and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (self.decoy().await?, false),
        };
        let matches = self
            .run(move |memory| match PasswordHash::new(&hash) {
                Ok(parsed) => verify_with(password.as_bytes(), &parsed, memory),
                Err(e) => {
                    tracing::error!(error = %e, "stored password hash is not a PHC string");
                    false
                }
            })
            .await?;
        Ok(real && matches)
    }

    async fn decoy(&self) -> Result<String, AppError> {
        self.decoy.get_or_try_init(|| async { self.hash(crate::hex::random::<32>()).await }).await.cloned()
    }

    /// Gives the hashers' memory back when no hash has run for `idle` (a burst of logins
    /// gets it again at its first hash).
    pub fn release_idle_memory(&self, idle: std::time::Duration) {
        if let Ok(mut pool) = self.memory.lock()
            && pool.last_used.is_some_and(|used| used.elapsed() >= idle)
        {
            pool.free = Vec::new();
            pool.last_used = None;
        }
    }

    /// Prepares the decoy hash ahead of the first login with an unknown email.
    pub async fn warm_up(&self) {
        let _ = self.decoy().await;
    }

    /// Runs `work` on a blocking thread with a hasher's memory, once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let queued = InProgress::new(metrics::gauge!("doable_password_hashes_queued"));
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| AppError::Unavailable)?;
        drop(queued);
        let pool = Arc::clone(&self.memory);
        tokio::task::spawn_blocking(move || {
            let running = InProgress::new(metrics::gauge!("doable_password_hashes_running"));
            let mut memory = pool.lock().map(|mut pool| pool.free.pop()).unwrap_or_default().unwrap_or_default();
            let result = work(&mut memory);
            if let Ok(mut pool) = pool.lock() {
                pool.free.push(memory);
                pool.last_used = Some(std::time::Instant::now());
            }
            drop(permit);
            drop(running);
            result
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing task failed");
            AppError::Internal
        })
    }
}

/// One more on a gauge for as long as it lives (a request cancelled while it waits included).
struct InProgress(metrics::Gauge);

impl InProgress {
    fn new(gauge: metrics::Gauge) -> Self {
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_ten_thousand_passwords() {
        assert_eq!(COMMON.len(), 10_000);
        assert!(COMMON.contains("password"));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        let passwords = Passwords::default();
        assert!(passwords.check_not_common("Password1").is_err());
        assert!(passwords.check_not_common("qwertyuiop").is_err());
        assert!(passwords.check_not_common("correct horse battery staple").is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let passwords = Passwords::default();
        let hash = passwords.hash("s3cret passphrase".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        assert!(!needs_rehash(&hash));
        assert!(passwords.verify("s3cret passphrase".into(), Some(hash.clone())).await.unwrap());
        assert!(!passwords.verify("s3cret passphrasE".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_made_with_older_settings_still_verify_and_ask_to_be_replaced() {
        // `s3cret passphrase` hashed with the settings of earlier releases (19 MiB, 2 passes).
        let old = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$/U9s93iUnRop23ScnS7RWLjmJYIhKMTykEqVb112OJM";
        let passwords = Passwords::default();
        assert!(needs_rehash(old));
        assert!(needs_rehash("not a hash"));
        assert!(needs_rehash(
            "$argon2i$v=19$m=7168,t=5,p=1$c29tZXNhbHRzb21lc2FsdA$Qq8lzVyPTlxYgVNs1ZZ0OxrYpR/HUp3IWbDHgbJM5gY"
        ));
        assert!(passwords.verify("s3cret passphrase".into(), Some(old.into())).await.unwrap());
        assert!(!passwords.verify("s3cret passphrasE".into(), Some(old.into())).await.unwrap());
    }

    #[tokio::test]
    async fn our_hashes_verify_with_the_reference_implementation() {
        let hash = Passwords::default().hash("s3cret passphrase".into()).await.unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        let reference = argon2::Argon2::default();
        assert!(argon2::PasswordVerifier::verify_password(&reference, b"s3cret passphrase", &parsed).is_ok());
        assert!(argon2::PasswordVerifier::verify_password(&reference, b"s3cret passphrasE", &parsed).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashers_keep_their_memory_one_set_each() {
        let passwords = Passwords::default();
        let mut hashing = tokio::task::JoinSet::new();
        for i in 0..8 {
            let passwords = passwords.clone();
            hashing.spawn(async move { passwords.hash(format!("password number {i}")).await });
        }
        assert!(hashing.join_all().await.iter().all(Result::is_ok));
        {
            let memory = passwords.memory.lock().unwrap();
            let sets = memory.free.len();
            assert!(sets >= 1 && sets <= passwords.concurrency(), "{sets} sets");
            let blocks = argon2().params().block_count();
            assert!(memory.free.iter().all(|set| set.len() == blocks), "every set is today's size");
        }
        passwords.release_idle_memory(std::time::Duration::from_secs(60));
        assert!(!passwords.memory.lock().unwrap().free.is_empty(), "kept while hashes are recent");
        passwords.release_idle_memory(std::time::Duration::ZERO);
        assert!(passwords.memory.lock().unwrap().free.is_empty(), "given back once idle");
        assert!(passwords.hash("and again".into()).await.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let passwords = Passwords::default();
        assert!(!passwords.verify("anything at all".into(), None).await.unwrap());
    }
}
