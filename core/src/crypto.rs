//! Randomness, digests and the server key. Every secret comparison in Tessera goes through here.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::{fmt, path::Path};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// A random URL-safe string of `N` bytes of entropy (session ids, invitation codes).
pub fn random_urlsafe<const N: usize>() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// SHA-256 as lowercase hex: for high-entropy values (session ids, invitation codes) that need no key.
pub fn sha256_hex(input: &[u8]) -> String {
    hex::encode(Sha256::digest(input))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whether a presented pre-shared secret is the configured one. Their SHA-256 digests are compared, in
/// constant time, so neither the comparison's result nor its time depends on where they first differ or
/// on how long the configured secret is.
pub fn same_shared_secret(given: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(given).ct_eq(&Sha256::digest(expected)).into()
}

/// The server's HMAC key for token secrets. It never enters the database; only its fingerprint does,
/// so that an instance started with the wrong key is detected instead of silently rejecting every token.
#[derive(Clone)]
pub struct ServerKey {
    bytes: Zeroizing<[u8; 32]>,
    /// The HMAC state after absorbing the key: cloning it skips the key schedule on every verification.
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerKey(fingerprint {})", self.fingerprint())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the secret key must be 64 hexadecimal characters (32 bytes); generate one with `openssl rand -hex 32`")]
pub struct BadKey;

impl ServerKey {
    fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(bytes.as_ref()).expect("HMAC takes keys of any length");
        Self { bytes, keyed }
    }

    pub fn generate() -> Self {
        Self::from_bytes(Zeroizing::new(random_bytes::<32>()))
    }

    /// Parses the 64-hex-character form used in the key file and in `TESSERA_SECRET_KEY`.
    pub fn from_hex(text: &str) -> Result<Self, BadKey> {
        let text = text.trim();
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text, bytes.as_mut()).map_err(|_| BadKey)?;
        Ok(Self::from_bytes(bytes))
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.bytes.as_ref()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.keyed.clone()
    }

    /// HMAC-SHA256 of `message` under this key.
    pub fn sign(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Does `expected` equal the HMAC of `message`? Constant-time in the content of both.
    pub fn verify(&self, message: &[u8], expected: &[u8]) -> bool {
        let mut mac = self.mac();
        mac.update(message);
        mac.verify_slice(expected).is_ok()
    }

    /// A public value that identifies the key without revealing it.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.sign(b"tessera server key fingerprint v1")[..16])
    }

    /// Reads the key file, or creates it (mode 0600) when `create` is set and it does not exist.
    pub fn load_or_create(path: &Path, create: bool) -> Result<Option<Self>, KeyFileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::from_hex(&text).map(Some).map_err(|_| KeyFileError::Malformed(path.display().to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = Self::generate();
                write_private(path, key.to_hex().as_bytes())
                    .map_err(|e| KeyFileError::Io(path.display().to_string(), e))?;
                Ok(Some(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KeyFileError::Io(path.display().to_string(), e)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("the key file {0} is not 64 hexadecimal characters")]
    Malformed(String),
    #[error("could not read or write the key file {0}: {1}")]
    Io(String, #[source] std::io::Error),
}

/// Writes a file only its owner can read, without a window in which it is readable by others.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_round_trips_and_fingerprints_differ() {
        let a = ServerKey::generate();
        let b = ServerKey::from_hex(&a.to_hex()).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), ServerKey::generate().fingerprint());
        assert!(!format!("{a:?}").contains(a.to_hex().as_str()));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(ServerKey::from_hex("abc").unwrap_err(), BadKey);
        assert!(ServerKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn hmac_verifies() {
        let k = ServerKey::generate();
        let sig = k.sign(b"hello");
        assert!(k.verify(b"hello", &sig));
        assert!(!k.verify(b"hellO", &sig));
        assert!(!ServerKey::generate().verify(b"hello", &sig));
    }

    #[test]
    fn key_file_is_private_and_stable() {
        let dir = std::env::temp_dir().join(format!("tessera-key-{}", random_urlsafe::<8>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        assert!(ServerKey::load_or_create(&path, false).unwrap().is_none());
        let created = ServerKey::load_or_create(&path, true).unwrap().unwrap();
        let loaded = ServerKey::load_or_create(&path, true).unwrap().unwrap();
        assert_eq!(created.fingerprint(), loaded.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
