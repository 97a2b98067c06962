//! The two token headers: a Token ID must be a canonical UUID, a secret must have the prefix, length,
//! alphabet and checksum; anything accepted must print back to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::{ids::TokenId, secret::{PresentedSecret, TokenPrefix}};

fuzz_target!(|data: (&str, &str)| {
    let (id, secret) = data;
    if let Ok(parsed) = id.parse::<TokenId>() {
        assert_eq!(parsed.to_string(), id.trim().to_ascii_lowercase(), "a Token ID prints back as given");
        assert_eq!(parsed.to_string().len(), 36);
    }
    let prefix = TokenPrefix::default();
    if PresentedSecret::parse(&prefix, secret).is_ok() {
        assert!(secret.starts_with("tsr_"));
        assert!(secret.bytes().skip(4).all(|b| b.is_ascii_alphanumeric()));
    }
});
