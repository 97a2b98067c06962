//! Token secrets: `<prefix>_<43 base62 chars of 32 random bytes><6 base62 chars of CRC32(body)>`.
//!
//! The prefix and checksum are the format GitHub introduced in 2021: secret scanners find leaked tokens
//! with few false positives, and a mistyped or truncated secret is refused before any database access.

use crate::crypto::{ServerKey, random_bytes};
use std::fmt;
use zeroize::Zeroizing;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 62^43 > 2^256, so 43 characters hold any 32 bytes.
pub const BODY_LEN: usize = 43;
/// 62^6 > 2^32.
pub const CHECKSUM_LEN: usize = 6;

/// The part before the underscore: 1 to 16 lowercase letters or digits (`tsr` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPrefix(String);

impl TokenPrefix {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > 16 || !raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return Err(format!("token prefix \"{raw}\" must be 1 to 16 lowercase letters or digits, like \"tsr\""));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TokenPrefix {
    fn default() -> Self {
        Self("tsr".into())
    }
}

/// Why a presented secret was refused without looking anything up. Logged; never shown to the caller,
/// who gets the same answer for every authentication failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedSecret {
    #[error("wrong prefix")]
    Prefix,
    #[error("wrong length")]
    Length,
    #[error("character outside base62")]
    Alphabet,
    #[error("checksum mismatch")]
    Checksum,
}

/// A token secret in plain text. It exists only while a request is handled: `Debug` is redacted and the
/// memory is wiped on drop.
pub struct TokenSecret(Zeroizing<String>);

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret([redacted])")
    }
}

impl TokenSecret {
    /// 256 bits from the operating system's random number generator.
    pub fn generate(prefix: &TokenPrefix) -> Self {
        let entropy = Zeroizing::new(random_bytes::<32>());
        let body = base62_fixed(entropy.as_ref(), BODY_LEN);
        let checksum = checksum(body.as_bytes());
        let mut secret = Zeroizing::new(String::with_capacity(prefix.0.len() + 1 + BODY_LEN + CHECKSUM_LEN));
        secret.push_str(&prefix.0);
        secret.push('_');
        secret.push_str(&body);
        secret.push_str(&checksum);
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores: HMAC-SHA256 under the server key, as hex.
    pub fn digest_hex(&self, key: &ServerKey) -> String {
        hex::encode(key.sign(self.0.as_bytes()))
    }
}

/// The domain tag of lookup digests. No secret starts with it (a secret starts with lowercase letters or
/// digits and an underscore), so a lookup digest is never the verifier of any secret.
const LOOKUP_TAG: &[u8] = b"tessera secret lookup v1\0";

/// The indexed lookup digest (`api_tokens.secret_lookup`) of a token whose verifier (`secret_hash`, hex)
/// is `verifier_hex`: HMAC-SHA256 under the server key of a domain tag and the verifier. It is derived
/// from the verifier rather than from the secret so that tokens created before the column existed are
/// filled from what is stored; a leak report computes the verifier from the secret, then this.
pub fn lookup_hex(key: &ServerKey, verifier_hex: &str) -> String {
    let mut message = Vec::with_capacity(LOOKUP_TAG.len() + verifier_hex.len());
    message.extend_from_slice(LOOKUP_TAG);
    message.extend_from_slice(verifier_hex.as_bytes());
    hex::encode(key.sign(&message))
}

/// A secret as a client presented it, borrowed from the request header (never copied). It exists only
/// once its shape and checksum are right, so nothing malformed reaches the database.
pub struct PresentedSecret<'a>(&'a str);

impl fmt::Debug for PresentedSecret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentedSecret([redacted])")
    }
}

impl<'a> PresentedSecret<'a> {
    /// Checks the shape and the checksum. Touches nothing but the string.
    pub fn parse(prefix: &TokenPrefix, raw: &'a str) -> Result<Self, MalformedSecret> {
        check_shape(prefix, raw)?;
        Ok(Self(raw))
    }

    /// The stored verifier this secret would have (see [`TokenSecret::digest_hex`]).
    pub fn digest_hex(&self, key: &ServerKey) -> String {
        hex::encode(key.sign(self.0.as_bytes()))
    }

    /// The lookup digest a token with this secret has ([`lookup_hex`]).
    pub fn lookup_hex(&self, key: &ServerKey) -> String {
        lookup_hex(key, &self.digest_hex(key))
    }

    pub fn expose(&self) -> &'a str {
        self.0
    }

    /// Does this secret match a stored digest? Constant-time.
    pub fn matches(&self, key: &ServerKey, digest: &[u8; 32]) -> bool {
        key.verify(self.0.as_bytes(), digest)
    }
}

fn check_shape(prefix: &TokenPrefix, raw: &str) -> Result<(), MalformedSecret> {
    let rest = raw.strip_prefix(prefix.as_str()).and_then(|r| r.strip_prefix('_')).ok_or(MalformedSecret::Prefix)?;
    if rest.len() != BODY_LEN + CHECKSUM_LEN {
        return Err(MalformedSecret::Length);
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(MalformedSecret::Alphabet);
    }
    let (body, check) = rest.split_at(BODY_LEN);
    if checksum_digits(body.as_bytes()) != check.as_bytes() {
        return Err(MalformedSecret::Checksum);
    }
    Ok(())
}

/// The checksum's 6 base62 digits, without allocating.
fn checksum_digits(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(body);
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn checksum(body: &[u8]) -> String {
    String::from_utf8(checksum_digits(body).to_vec()).expect("base62 is ASCII")
}

/// Big-endian bytes as exactly `width` base62 digits (left-padded with '0').
fn base62_fixed(bytes: &[u8], width: usize) -> String {
    let mut number = Zeroizing::new(bytes.to_vec());
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            remainder = acc % 62;
        }
        *slot = ALPHABET[remainder as usize];
    }
    debug_assert!(number.iter().all(|&b| b == 0), "width too small for the input");
    String::from_utf8(out).expect("base62 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn prefix() -> TokenPrefix {
        TokenPrefix::default()
    }

    #[test]
    fn format_is_prefix_body_checksum() {
        let secret = TokenSecret::generate(&prefix());
        let s = secret.expose();
        assert!(s.starts_with("tsr_"));
        assert_eq!(s.len(), 4 + BODY_LEN + CHECKSUM_LEN);
        assert!(s[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(!format!("{secret:?}").contains(&s[4..]));
    }

    #[test]
    fn checksum_digits_match_the_general_encoding() {
        for body in [&b""[..], b"a", b"tsr", &[0xffu8; 43]] {
            let general = base62_fixed(&crc32fast::hash(body).to_be_bytes(), CHECKSUM_LEN);
            assert_eq!(checksum(body), general);
        }
    }

    #[test]
    fn base62_known_values() {
        assert_eq!(base62_fixed(&[0], 2), "00");
        assert_eq!(base62_fixed(&[61], 2), "0z");
        assert_eq!(base62_fixed(&[62], 2), "10");
        assert_eq!(base62_fixed(&[0xff; 32], BODY_LEN).len(), BODY_LEN);
        assert_eq!(base62_fixed(&u32::MAX.to_be_bytes(), CHECKSUM_LEN), "4gfFC3");
    }

    #[test]
    fn malformed_secrets_are_classified() {
        let good = TokenSecret::generate(&prefix());
        let s = good.expose();
        assert_eq!(
            PresentedSecret::parse(&prefix(), &s.replacen("tsr_", "ghp_", 1)).unwrap_err(),
            MalformedSecret::Prefix
        );
        assert_eq!(PresentedSecret::parse(&prefix(), &s[..s.len() - 1]).unwrap_err(), MalformedSecret::Length);
        assert_eq!(PresentedSecret::parse(&prefix(), &format!("{s}0")).unwrap_err(), MalformedSecret::Length);
        let with_dash = format!("tsr_-{}", &s[5..]);
        assert_eq!(PresentedSecret::parse(&prefix(), &with_dash).unwrap_err(), MalformedSecret::Alphabet);
        assert_eq!(PresentedSecret::parse(&prefix(), "").unwrap_err(), MalformedSecret::Prefix);
        assert_eq!(PresentedSecret::parse(&prefix(), "tsr_").unwrap_err(), MalformedSecret::Length);
    }

    #[test]
    fn a_hundred_thousand_secrets_are_distinct() {
        let mut seen = HashSet::with_capacity(100_000);
        for _ in 0..100_000 {
            assert!(seen.insert(TokenSecret::generate(&prefix()).expose().to_owned()));
        }
    }

    #[test]
    fn lookup_digest_is_not_the_verifier_and_is_the_same_from_both_sides() {
        let key = ServerKey::generate();
        let a = TokenSecret::generate(&prefix());
        let verifier = a.digest_hex(&key);
        let lookup = lookup_hex(&key, &verifier);
        assert_ne!(lookup, verifier);
        assert_eq!(PresentedSecret::parse(&prefix(), a.expose()).unwrap().lookup_hex(&key), lookup);
        assert_ne!(lookup_hex(&ServerKey::generate(), &verifier), lookup);
    }

    #[test]
    fn digest_matches_only_its_secret() {
        let key = ServerKey::generate();
        let a = TokenSecret::generate(&prefix());
        let b = TokenSecret::generate(&prefix());
        let digest: [u8; 32] = hex::decode(a.digest_hex(&key)).unwrap().try_into().unwrap();
        assert!(PresentedSecret::parse(&prefix(), a.expose()).unwrap().matches(&key, &digest));
        assert!(!PresentedSecret::parse(&prefix(), b.expose()).unwrap().matches(&key, &digest));
        assert!(!a.digest_hex(&key).contains(&a.expose()[4..]));
    }

    proptest! {
        #[test]
        fn generated_secrets_round_trip(prefix in "[a-z0-9]{1,16}") {
            let prefix = TokenPrefix::parse(&prefix).unwrap();
            let secret = TokenSecret::generate(&prefix);
            prop_assert!(PresentedSecret::parse(&prefix, secret.expose()).is_ok());
            prop_assert_eq!(secret.expose().len(), prefix.as_str().len() + 1 + BODY_LEN + CHECKSUM_LEN);
        }

        /// Any single-character change in the body or checksum is caught by the checksum (CRC32
        /// detects every single-symbol error).
        #[test]
        fn any_single_character_change_is_rejected(pos in 0usize..(BODY_LEN + CHECKSUM_LEN), replacement in 0usize..62) {
            let secret = TokenSecret::generate(&prefix());
            let mut bytes = secret.expose().as_bytes().to_vec();
            let at = 4 + pos;
            let new = ALPHABET[replacement];
            prop_assume!(bytes[at] != new);
            bytes[at] = new;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(PresentedSecret::parse(&prefix(), &changed).is_err());
        }

        /// Arbitrary input never panics the parser, and is accepted only in the exact shape.
        #[test]
        fn parser_never_panics(raw in ".{0,80}") {
            if PresentedSecret::parse(&prefix(), &raw).is_ok() {
                prop_assert_eq!(raw.len(), 4 + BODY_LEN + CHECKSUM_LEN);
                prop_assert!(raw.starts_with("tsr_"));
            }
        }

        #[test]
        fn parser_rejects_near_misses(body in "[0-9A-Za-z]{49}") {
            // Random base62 of the right length passes only if the checksum happens to match (~2^-32).
            let raw = format!("tsr_{body}");
            let ok = PresentedSecret::parse(&prefix(), &raw).is_ok();
            let (b, c) = body.split_at(BODY_LEN);
            prop_assert_eq!(ok, checksum(b.as_bytes()) == c);
        }
    }
}
