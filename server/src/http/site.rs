//! The site inside the binary: `target/site` as `scripts/build.sh` left it when the server was compiled
//! (WebAssembly, JavaScript, CSS under content-hashed names, their `.br` and `.gz` files, the favicon),
//! served as `ServeDir` serves the directory given with `--site-root`: the precompressed file the
//! browser accepts, its type, its length and an ETag. The gate adds caching and `Vary`.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::Response,
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/site"]
struct Embedded;

/// `hash.txt`: the content-hashed names Leptos puts in pages (not served).
const HASHES: &str = "hash.txt";

/// Whether the binary was built with the site in it (`scripts/build.sh` builds the site first).
pub fn is_embedded() -> bool {
    Embedded::iter().any(|name| name.starts_with("pkg/"))
}

/// The embedded `hash.txt`, when the site was built with content-hashed names.
pub fn hashes() -> Option<Vec<u8>> {
    Embedded::get(HASHES).map(|file| file.data.into_owned())
}

/// The encodings the request accepts, by `Accept-Encoding` (`q=0` refuses one).
fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
            (name.eq_ignore_ascii_case(encoding) || name == "*") && !refused
        },
    )
}

/// The embedded file at this request path with the encoding to send, or `None` (then: not found).
pub fn respond(method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let name = path.strip_prefix('/')?;
    if name.is_empty() || name == HASHES || name.ends_with(".br") || name.ends_with(".gz") {
        return None;
    }
    let original = Embedded::get(name)?;
    let (file, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(encoding, _)| accepts(headers, encoding))
        .find_map(|(encoding, suffix)| Embedded::get(&format!("{name}{suffix}")).map(|f| (f, Some(encoding))))
        .unwrap_or((original.clone(), None));
    let etag = {
        let hash = file.metadata.sha256_hash();
        let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    };
    let mut response = Response::new(Body::empty());
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(original.metadata.mimetype()) {
        out.insert(header::CONTENT_TYPE, value);
    }
    if let Some(encoding) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
    });
    if fresh {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Some(response);
    }
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(file.data.len()));
    if method == Method::GET {
        *response.body_mut() = Body::from(file.data);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::accepts;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts(&with("gzip, deflate, br, zstd"), "br"));
        assert!(accepts(&with("gzip;q=0.5"), "gzip"));
        assert!(!accepts(&with("gzip, br;q=0"), "br"));
        assert!(accepts(&with("*"), "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }
}
