//! The dashboard's page addresses: the lowest layer of the app, used by the page frame and the pages
//! alike (so the frame's navigation doesn't make it depend on every page). They live in core, so that
//! emails and the server's redirects name the same pages.

pub use tessera_core::domain::links::*;

/// Whether a Leptos route pattern (`/invite/:code`) names the page path `page` (`/invite/{code}`, the
/// form axum and the constants use); the page frame checks each route against its constant with it
/// when it compiles.
pub const fn is_route_of(page: &str, route: &str) -> bool {
    let (page, route) = (page.as_bytes(), route.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < page.len() && j < route.len() {
        if page[i] == b'{' {
            if route[j] != b':' {
                return false;
            }
            i += 1;
            j += 1;
            while i < page.len() && page[i] != b'}' {
                if j >= route.len() || route[j] != page[i] {
                    return false;
                }
                i += 1;
                j += 1;
            }
            i += 1;
        } else if page[i] == route[j] {
            i += 1;
            j += 1;
        } else {
            return false;
        }
    }
    i == page.len() && j == route.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_page_paths() {
        assert!(is_route_of(TOKENS_URL, "/app/settings/api"));
        assert!(is_route_of(INVITE_URL, "/invite/:code"));
        assert!(is_route_of(HOME_URL, "/"));
        assert!(!is_route_of(INVITE_URL, "/invite/:id"));
        assert!(!is_route_of(INVITE_URL, "/invite/{code}"));
        assert!(!is_route_of(TOKENS_URL, "/app/settings/apis"));
        assert!(!is_route_of(TOKENS_URL, "/app/settings"));
        assert!(!is_route_of("/invite/{code", "/invite/:code"));
    }
}
