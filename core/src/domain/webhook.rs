//! Webhook endpoints: where an organization wants its events delivered, and which addresses Tessera
//! refuses to call (server-side request forgery: the server must not become a way into its own network).

use super::text::check_visible;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An endpoint URL: `https://host[:port]/path`, no credentials, at most 2,000 characters. (Plain
/// `http://` only where the operator allows private endpoints, for tests and internal receivers.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(raw: &str, allow_http: bool) -> Result<Self, String> {
        let url = raw.trim();
        if url.is_empty() {
            return Err("Enter the endpoint's URL, like https://example.com/hooks/tessera.".into());
        }
        if url.len() > Self::MAX_LEN {
            return Err(format!("A webhook URL has at most {} characters.", Self::MAX_LEN));
        }
        check_visible(url, "A webhook URL")?;
        let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
            (Some(rest), _) => rest,
            (None, Some(rest)) if allow_http => rest,
            _ if allow_http => return Err("A webhook URL must start with https:// or http://.".into()),
            _ => return Err("A webhook URL must start with https://.".into()),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') || url.contains(char::is_whitespace) {
            return Err("A webhook URL needs a host and can't contain credentials or spaces.".into());
        }
        Ok(Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host as written (a name, an IPv4 address or a bracketed IPv6 address), and the port.
    pub fn host_and_port(&self) -> (String, u16) {
        let (scheme_port, rest) = match self.0.strip_prefix("https://") {
            Some(rest) => (443, rest),
            None => (80, self.0.trim_start_matches("http://")),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').unwrap_or((v6, ""));
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(scheme_port);
            return (host.to_owned(), port);
        }
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse().unwrap_or(scheme_port)),
            None => (authority.to_owned(), scheme_port),
        }
    }
}

/// Is this an address Tessera must not call unless the operator allows private endpoints? Loopback,
/// private (RFC 1918, unique local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
/// unspecified, multicast, broadcast and documentation ranges, and IPv4 hidden inside IPv6.
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64 can reach IPv4 private space
                || seg[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
        }
    }
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64.0.0/10
        || (a == 192 && b == 0) // IETF protocol assignments 192.0.0.0/24 (and 192.0.2.0/24 above)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(WebhookUrl::parse("https://hooks.example.com/tessera", false).is_ok());
        assert!(WebhookUrl::parse("http://hooks.example.com/", false).is_err());
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/", true).is_ok());
        for bad in ["", "ftp://x", "https://", "https://user:pw@x/", "https://x/a b", "https://x/\u{202E}"] {
            assert!(WebhookUrl::parse(bad, true).is_err(), "{bad}");
        }
        let url = WebhookUrl::parse("https://[::1]:8443/x", false).unwrap();
        assert_eq!(url.host_and_port(), ("::1".to_owned(), 8443));
        assert_eq!(
            WebhookUrl::parse("https://a.example/x", false).unwrap().host_and_port(),
            ("a.example".to_owned(), 443)
        );
    }

    #[test]
    fn private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_private_address(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_private_address(public.parse().unwrap()), "{public}");
        }
    }
}

/// The events an endpoint receives: codes (`token.created`), families (`member.*`), or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookEvents(Vec<String>);

/// What can be delivered to a webhook: every token and membership event and policy changes (sign-ins
/// are not: they would drown everything else).
pub fn deliverable(event: super::audit::EventType) -> bool {
    let code = event.as_str();
    code.starts_with("token.") || code.starts_with("member.") || code == "org.policy_changed"
}

impl WebhookEvents {
    /// Comma- or space-separated; each must name a deliverable event or family.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut chosen: Vec<String> = Vec::new();
        for part in raw.split([',', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let known = part == "*"
                || part == "token.*"
                || part == "member.*"
                || super::audit::EventType::ALL.iter().any(|e| deliverable(*e) && e.as_str() == part);
            if !known {
                let shown: String = part.chars().take(40).collect();
                return Err(format!(
                    "\u{201c}{shown}\u{201d} is not a webhook event: choose events like token.created or families like member.*."
                ));
            }
            if !chosen.iter().any(|c| c == part) {
                chosen.push(part.to_owned());
            }
        }
        if chosen.is_empty() {
            return Err("Choose at least one event to deliver.".into());
        }
        Ok(Self(chosen))
    }

    pub fn matches(&self, event: super::audit::EventType) -> bool {
        deliverable(event)
            && self.0.iter().any(|c| {
                c == "*"
                    || c == event.as_str()
                    || c.strip_suffix(".*").is_some_and(|family| event.as_str().starts_with(&format!("{family}.")))
            })
    }

    pub fn codes(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for WebhookEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl TryFrom<String> for WebhookEvents {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<WebhookEvents> for String {
    fn from(e: WebhookEvents) -> String {
        e.to_string()
    }
}

#[cfg(test)]
mod event_tests {
    use super::*;
    use crate::domain::audit::EventType;

    #[test]
    fn events_and_families() {
        let e = WebhookEvents::parse("token.created, member.*").unwrap();
        assert!(e.matches(EventType::TokenCreated) && e.matches(EventType::MemberRemoved));
        assert!(!e.matches(EventType::TokenDeleted));
        assert!(!WebhookEvents::parse("*").unwrap().matches(EventType::SignInFailed), "sign-ins are never delivered");
        assert!(WebhookEvents::parse("auth.sign_in_failed").is_err());
        assert!(WebhookEvents::parse("").is_err());
        assert!(WebhookEvents::parse("token.stolen").is_err());
        assert_eq!(WebhookEvents::parse("token.created,token.created").unwrap().codes().len(), 1);
    }
}
