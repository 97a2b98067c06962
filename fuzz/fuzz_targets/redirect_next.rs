//! `?next=` after sign-in: whatever comes in, the answer is a path on this site (never `//host`,
//! `/\host`, a scheme, or a control character that a browser would drop to make one).
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::domain::redirect::safe_next;

fuzz_target!(|raw: &str| {
    let next = safe_next(Some(raw));
    assert!(next.starts_with('/'), "{next:?}");
    let second = next.as_bytes().get(1).copied();
    assert!(second != Some(b'/') && second != Some(b'\\'), "{next:?} could leave the site");
    assert!(!next.chars().any(|c| c.is_control() || c == '\\'), "{next:?}");
    assert!(!next.contains("://"), "{next:?}");
});
