//! Where a browser may be sent after signing in (`/login?next=…`): only a path on this site.
//!
//! Browsers are lenient with `Location`: they drop tabs and line breaks, treat `\` as `/`, and read
//! `//host` as another site. So the target is accepted only when, after removing every layer of
//! percent-encoding, it is a plain absolute path: one leading `/`, no second `/` or `\` after it, no
//! backslash, control or invisible character anywhere. Anything else goes to the dashboard.

use super::text::is_invisible_format;

/// Where people land when `next` is absent or refused.
pub const DEFAULT_LANDING: &str = super::links::TOKENS_URL;

/// The longest `next` accepted (longer ones are refused, not cut).
const MAX_LEN: usize = 2048;

/// `next` if it is a same-site path, else the dashboard.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_site_path).unwrap_or_else(|| DEFAULT_LANDING.to_owned())
}

/// The path, if it can only lead to this site.
pub fn same_site_path(raw: &str) -> Option<String> {
    if raw.is_empty() || raw.len() > MAX_LEN || !raw.is_ascii() {
        return None;
    }
    // Every decoding a browser or proxy might apply must still be a safe path.
    let mut layer = raw.to_owned();
    for depth in 0..4 {
        // What the browser reads has no spaces at all; a decoded space further down is harmless.
        if !is_plain_path(&layer, depth > 0) {
            return None;
        }
        match percent_decode(&layer) {
            Some(decoded) if decoded == layer => return Some(raw.to_owned()),
            Some(decoded) => layer = decoded,
            None => return None,
        }
    }
    None
}

fn is_plain_path(path: &str, allow_space: bool) -> bool {
    let bytes = path.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !path.chars().any(|c| {
            c == '\\' || c.is_control() || (c.is_whitespace() && !(allow_space && c == ' ')) || is_invisible_format(c)
        })
}

/// The sign-in page, sending the browser on to `target` (a path on this site) afterwards.
pub fn login_then(target: &str) -> String {
    format!("{}?next={}", super::links::LOGIN_URL, percent_encode(target))
}

/// Percent-encodes everything but unreserved characters and `/`, so a path fits in a query value.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One layer of percent-decoding; `None` for malformed escapes or bytes that aren't UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_target_decodes_back_and_is_kept() {
        for target in ["/app/settings/api?rotate=tok_1&x=a b", "/invite/ü%zz", "/"] {
            let encoded = percent_encode(target);
            assert!(!encoded.contains(['?', '&', ' ', '#']), "{encoded}");
            assert_eq!(percent_decode(&encoded).as_deref(), Some(target));
        }
        assert_eq!(login_then("/app/settings/api?new=1"), "/login?next=/app/settings/api%3Fnew%3D1");
    }

    #[test]
    fn paths_on_this_site_are_kept() {
        for good in [
            "/app/settings/members",
            "/app/settings/api?new=1",
            "/invite/abc",
            "/a%20b",
            "/",
            "/docs//://still-this-site",
        ] {
            assert_eq!(safe_next(Some(good)), good, "{good}");
        }
    }

    #[test]
    fn everything_that_could_leave_the_site_is_refused() {
        for bad in [
            "",
            "app",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/%09/evil.example/",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%255Cevil.example",
            "/%252F/evil.example",
            "/x\r\nLocation: https://evil",
            "/%0d%0aSet-Cookie:x=y",
            "/ /evil",
            "/\u{0}x",
            "/%00",
            "/%E2%80%AE",
            "/%",
            "/%zz",
            "/%C0%AF",
            " /x",
            "javascript:alert(1)",
            "/\u{202E}x",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_LANDING, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_LANDING);
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(3000)))), DEFAULT_LANDING);
    }

    proptest::proptest! {
        /// Whatever comes in, what goes out is a path that starts with exactly one slash.
        #[test]
        fn never_an_authority(raw in "\\PC{0,60}") {
            let out = safe_next(Some(&raw));
            proptest::prop_assert!(out.starts_with('/'));
            proptest::prop_assert!(!out.starts_with("//") && !out.contains('\\'));
            proptest::prop_assert!(!out.chars().any(char::is_control));
        }
    }
}
