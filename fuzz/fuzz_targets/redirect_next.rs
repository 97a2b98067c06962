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
    // What a browser makes of it: a URL on this site, whatever follows the first segment.
    let base = url::Url::parse("https://tessera.example/app/").unwrap();
    let resolved = base.join(&next).expect("a path always resolves");
    assert_eq!(resolved.host_str(), Some("tessera.example"), "{next:?} leaves the site");
    assert_eq!(resolved.scheme(), "https", "{next:?}");
});
