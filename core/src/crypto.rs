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

/// Authenticated encryption under a key derived from the server key for one purpose: `label` names the
/// purpose (no two uses share a key, and no HMAC made with the server key elsewhere is one of these keys),
/// `context` is authenticated with the sealed bytes (what they belong to: an account, a cookie's name),
/// so a value sealed for one account or purpose never opens as another's. URL-safe base64 of nonce and
/// ciphertext.
pub fn seal(key: &ServerKey, label: &[u8], context: &[u8], plain: &[u8]) -> String {
    use base64::Engine;
    use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce, aead::Aead, aead::Payload};
    let derived = Zeroizing::new(key.sign(label));
    let cipher = ChaCha20Poly1305::new(Key::from_slice(derived.as_ref()));
    let nonce = random_bytes::<SEAL_NONCE_BYTES>();
    let encrypted = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad: context })
        .expect("ChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
    let mut bytes = Vec::with_capacity(SEAL_NONCE_BYTES + encrypted.len());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&encrypted);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes [`seal`] sealed with the same label and context; `None` for anything else (tampered,
/// truncated, another purpose or context, another server key).
pub fn open(key: &ServerKey, label: &[u8], context: &[u8], sealed: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine;
    use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce, aead::Aead, aead::Payload};
    if sealed.len() > 8192 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < SEAL_NONCE_BYTES + 16 {
        return None;
    }
    let derived = Zeroizing::new(key.sign(label));
    let cipher = ChaCha20Poly1305::new(Key::from_slice(derived.as_ref()));
    let (nonce, encrypted) = bytes.split_at(SEAL_NONCE_BYTES);
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: encrypted, aad: context }).ok().map(Zeroizing::new)
}

const SEAL_NONCE_BYTES: usize = 12;

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
    fn sealed_values_open_only_for_their_purpose_context_and_key() {
        let k = ServerKey::generate();
        let sealed = seal(&k, b"label a", b"ctx", b"secret bytes");
        assert_eq!(open(&k, b"label a", b"ctx", &sealed).unwrap().as_slice(), b"secret bytes");
        assert!(open(&k, b"label b", b"ctx", &sealed).is_none());
        assert!(open(&k, b"label a", b"other", &sealed).is_none());
        assert!(open(&ServerKey::generate(), b"label a", b"ctx", &sealed).is_none());
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(open(&k, b"label a", b"ctx", &String::from_utf8(tampered).unwrap()).is_none());
        assert!(open(&k, b"label a", b"ctx", "short").is_none());
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
