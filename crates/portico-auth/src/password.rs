//! Passwords: argon2id with configurable cost, and the policy a new password must meet.

use std::sync::{Condvar, Mutex, PoisonError};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, ParamsString, Salt, SaltString},
};
use portico_core::ports::{Credentials, PasswordPolicyError, PortError};
use rand::rngs::OsRng;

/// argon2id cost. The defaults are OWASP's minimum for argon2id (19 MiB, 2 passes).
#[derive(Clone, Copy, Debug)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

pub struct Argon2Hasher {
    argon: Argon2<'static>,
    /// argon2's working memory, reused and bounded (see [`Workspace`]).
    workspace: Workspace,
    min_length: usize,
    /// A hash of a random password, verified against when an account does not exist so the
    /// answer takes as long as for one that does.
    dummy: String,
}

/// The most common passwords (from public breach corpora), refused whatever their length.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "123456789012",
    "1234567890",
    "qwertyuiop",
    "qwerty123456",
    "iloveyou",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "passw0rd",
    "password1234",
    "changeme",
    "trustno1",
    "football",
    "baseball",
    "dragon",
    "monkey",
    "sunshine",
    "princess",
    "superman",
    "abc123456789",
    "11111111",
    "000000000000",
    "aaaaaaaaaaaa",
    "qwerty",
    "asdfghjkl",
    "zxcvbnm",
    "letmein123",
    "welcome123",
    "correcthorsebatterystaple",
    "p@ssw0rd",
    "p@ssword",
    "doctor",
    "medicine",
    "patient",
    "healthcare",
    "hospital",
    "clinic",
];

impl Argon2Hasher {
    pub fn new(params: Argon2Params, min_length: usize) -> Result<Self, PortError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| PortError::new("argon2", e))?;
        let mut hasher = Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
            workspace: Workspace::new(),
            min_length,
            dummy: String::new(),
        };
        hasher.dummy = hasher.hash_phc(uuid::Uuid::new_v4().to_string().as_bytes())?;
        Ok(hasher)
    }

    /// A new PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for `password`.
    fn hash_phc(&self, password: &[u8]) -> Result<String, PortError> {
        let salt = SaltString::generate(&mut OsRng);
        let output = self
            .compute(&self.argon, password, salt.as_salt())
            .map_err(|e| PortError::new("argon2", e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(self.argon.params())
                .map_err(|e| PortError::new("argon2", e))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` hashes to the stored PHC string (with the parameters it was made
    /// with). `Output`'s comparison takes the same time wherever the bytes differ.
    fn matches(&self, password: &[u8], phc: &str) -> bool {
        let Ok(stored) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
            return false;
        };
        let argon = match (
            Algorithm::try_from(stored.algorithm),
            stored.version.map(Version::try_from).transpose(),
            Params::try_from(&stored),
        ) {
            (Ok(algorithm), Ok(version), Ok(params)) => {
                Argon2::new(algorithm, version.unwrap_or_default(), params)
            }
            _ => return false,
        };
        self.compute(&argon, password, salt)
            .is_ok_and(|computed| computed == expected)
    }

    /// The hash itself, in working memory borrowed from the workspace.
    fn compute(
        &self,
        argon: &Argon2<'_>,
        password: &[u8],
        salt: Salt<'_>,
    ) -> argon2::password_hash::Result<Output> {
        let mut salt_bytes = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_bytes)?;
        let length = argon
            .params()
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let mut memory = self.workspace.take(argon.params().block_count());
        let blocks = argon.params().block_count();
        let output = Output::init_with(length, |out| {
            argon
                .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
                .map_err(|_| argon2::password_hash::Error::Crypto)
        });
        self.workspace.give(memory);
        output
    }
}

/// argon2's working memory (19 MiB per hash by default), bounded: at most `limit` hashes run
/// at once, each in one of at most `limit` buffers, reused while a burst lasts and freed when
/// it ends. Allocated per hash on as many blocking threads as there were sign-ins, they made
/// the process keep hundreds of megabytes after a burst.
struct Workspace {
    state: Mutex<Buffers>,
    returned: Condvar,
    limit: usize,
}

struct Buffers {
    free: Vec<Vec<Block>>,
    lent: usize,
}

impl Workspace {
    fn new() -> Self {
        // The cores (hashing is CPU-bound), at most four: a bound on memory too.
        let limit = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 4);
        Self {
            state: Mutex::new(Buffers {
                free: Vec::new(),
                lent: 0,
            }),
            returned: Condvar::new(),
            limit,
        }
    }

    /// A buffer of at least `blocks` blocks; waits while `limit` hashes are running.
    fn take(&self, blocks: usize) -> Vec<Block> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(mut buffer) = state.free.pop() {
                state.lent += 1;
                if buffer.len() < blocks {
                    buffer.resize(blocks, Block::default());
                }
                return buffer;
            }
            if state.lent < self.limit {
                state.lent += 1;
                return vec![Block::default(); blocks];
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Takes a buffer back: kept for the next hash while others run (a burst of sign-ins
    /// reuses them), freed when none does, so an idle server holds none.
    fn give(&self, buffer: Vec<Block>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.lent -= 1;
        if state.lent == 0 {
            state.free.clear();
            drop(buffer);
        } else {
            state.free.push(buffer);
        }
        self.returned.notify_one();
    }
}

/// The longest password accepted (argon2 hashes any length; this bounds the work).
const MAX_LENGTH: usize = 256;

impl Credentials for Argon2Hasher {
    fn min_password_length(&self) -> usize {
        self.min_length
    }

    fn max_password_length(&self) -> usize {
        MAX_LENGTH
    }

    fn hash(&self, password: &str) -> Result<String, PortError> {
        self.hash_phc(password.as_bytes())
    }

    fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        // Without an account, verify against the dummy anyway: same cost, always false.
        let (phc, exists) = match stored {
            Some(s) => (s, true),
            None => (self.dummy.as_str(), false),
        };
        self.matches(password.as_bytes(), phc) && exists
    }

    fn check_policy(&self, password: &str, context: &[&str]) -> Result<(), PasswordPolicyError> {
        let chars = password.chars().count();
        if chars < self.min_length {
            return Err(PasswordPolicyError::TooShort(self.min_length));
        }
        if chars > MAX_LENGTH {
            return Err(PasswordPolicyError::TooLong(MAX_LENGTH));
        }
        let lower = password.to_lowercase();
        if COMMON.contains(&lower.as_str()) || lower.chars().all(|c| lower.starts_with(c)) {
            return Err(PasswordPolicyError::Common);
        }
        if context
            .iter()
            .filter(|c| c.chars().count() >= 4)
            .any(|c| lower.contains(&c.to_lowercase()))
        {
            return Err(PasswordPolicyError::ContainsPersonalData);
        }
        Ok(())
    }

    fn new_totp_secret(&self) -> String {
        crate::totp::new_secret()
    }

    fn totp_uri(&self, secret: &str, account: &str) -> Option<String> {
        crate::totp::provisioning_uri(secret, "Portico", account)
    }

    fn verify_totp(&self, secret: &str, code: &str, after_step: Option<i64>) -> Option<i64> {
        crate::totp::verify(secret, code, after_step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Argon2Hasher {
        Argon2Hasher::new(
            Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            12,
        )
        .unwrap()
    }

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hasher();
        let stored = h.hash("a long enough passphrase").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("a long enough passphrase", Some(&stored)));
        assert!(!h.verify("a long enough passphrase!", Some(&stored)));
        assert!(
            !h.verify("a long enough passphrase", None),
            "no account never verifies"
        );
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_in_both_directions() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let h = hasher();
        // A hash stored by an earlier release (the crate's own hasher, other parameters).
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(2048, 2, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = other
            .hash_password(b"stored before the workspace", &salt)
            .unwrap()
            .to_string();
        assert!(h.verify("stored before the workspace", Some(&old)));
        assert!(!h.verify("stored before the workspace.", Some(&old)));
        // Ours, checked by the crate.
        let ours = h.hash("made with the workspace").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            other
                .verify_password(b"made with the workspace", &parsed)
                .is_ok()
        );
        assert!(!h.verify("anything", Some("not a phc string")));
    }

    #[test]
    fn concurrent_hashes_share_bounded_buffers_freed_when_idle() {
        let h = std::sync::Arc::new(hasher());
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let h = std::sync::Arc::clone(&h);
                std::thread::spawn(move || h.hash(&format!("passphrase number {i}")).unwrap())
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap().starts_with("$argon2id$"));
        }
        let state = h.workspace.state.lock().unwrap();
        assert_eq!(state.lent, 0);
        assert!(state.free.is_empty(), "an idle workspace keeps no buffer");
    }

    #[test]
    fn weak_passwords_are_refused() {
        let h = hasher();
        assert_eq!(
            h.check_policy("short", &[]),
            Err(PasswordPolicyError::TooShort(12))
        );
        assert_eq!(
            h.check_policy("Password1234", &[]),
            Err(PasswordPolicyError::Common)
        );
        assert_eq!(
            h.check_policy("zzzzzzzzzzzzzz", &[]),
            Err(PasswordPolicyError::Common)
        );
        assert_eq!(
            h.check_policy(
                "ada.lovelace-rocks",
                &["ada.lovelace@example.com", "lovelace"]
            ),
            Err(PasswordPolicyError::ContainsPersonalData)
        );
        assert_eq!(h.check_policy("tangerine kettle orbit", &["ada"]), Ok(()));
    }
}
