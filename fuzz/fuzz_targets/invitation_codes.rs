//! Invitation codes from `/invite/{code}`: exactly 43 URL-safe base64 characters, or refused.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::services::members::InvitationCode;

fuzz_target!(|raw: &str| {
    if let Some(code) = InvitationCode::parse(raw) {
        let c = code.expose();
        assert_eq!(c.len(), 43);
        assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
});
