//! Webhook endpoints: where an organization wants its events delivered, and which addresses Tessera
//! refuses to call (server-side request forgery: the server must not become a way into its own network).

use super::text::check_visible;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// An endpoint URL: `https://host[:port]/path`, no credentials, at most 2,000 characters. (Plain
/// `http://` only where the operator allows private endpoints, for tests and internal receivers.)
///
/// It is parsed once, by the WHATWG rules of the `url` crate, which is the parser the HTTP client
/// (reqwest) uses, and the parsed [`Url`] is what is kept, checked and called: no second reading of the
/// text can find another host. Stored as [`WebhookUrl::as_str`], the parser's own serialization, which
/// parses back to the same URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(raw: &str, allow_http: bool) -> Result<Self, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("Enter the endpoint's URL, like https://example.com/hooks/tessera.".into());
        }
        if text.len() > Self::MAX_LEN {
            return Err(format!("A webhook URL has at most {} characters.", Self::MAX_LEN));
        }
        check_visible(text, "A webhook URL")?;
        if text.contains(char::is_whitespace) {
            return Err("A webhook URL can't contain spaces; encode them as %20.".into());
        }
        // Parsers disagree on what a backslash means (WHATWG reads it as `/`, others as part of the host or
        // the credentials): a URL that reads differently to different programs is refused.
        if text.contains('\\') {
            return Err("A webhook URL can't contain backslashes: use / between the parts of the path.".into());
        }
        let wrong_scheme = || -> String {
            let schemes = if allow_http { "https:// or http://" } else { "https://" };
            format!("A webhook URL must start with {schemes}.")
        };
        let url = Url::parse(text).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => wrong_scheme(),
            e => format!("That is not a valid URL ({e}). Write it like https://example.com/hooks/tessera."),
        })?;
        if !(url.scheme() == "https" || (allow_http && url.scheme() == "http")) {
            return Err(wrong_scheme());
        }
        if !url.username().is_empty() || url.password().is_some() || url.host().is_none() {
            return Err("A webhook URL needs a host and can't contain credentials (user:password@).".into());
        }
        if url.as_str().len() > Self::MAX_LEN {
            return Err(format!("A webhook URL has at most {} characters.", Self::MAX_LEN));
        }
        Ok(Self(url))
    }

    /// The URL as the parser writes it (`https://127.0.0.1/` for `https://0x7f.1/`): what is stored,
    /// shown and called.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL, to hand to the HTTP client as it is.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host the HTTP client connects to: a name, an IPv4 or an IPv6 address.
    pub fn host(&self) -> Host<&str> {
        self.0.host().unwrap_or(Host::Domain(""))
    }

    /// The port the HTTP client connects to.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    /// The host as an IP address when it is one (a name that reads as an address counts as one).
    pub fn ip(&self) -> Option<IpAddr> {
        host_ip(&self.host())
    }

    /// Does the host name this server's own network? Addresses by [`is_private_address`]; names that
    /// always mean this machine or the local network (`localhost`, `*.localhost`, `*.local`,
    /// `*.internal`, with or without a trailing dot). Other names are checked when they are resolved.
    pub fn is_internal(&self) -> bool {
        match self.ip() {
            Some(ip) => is_private_address(ip),
            None => match self.host() {
                Host::Domain(name) => is_internal_name(name),
                _ => true,
            },
        }
    }
}

/// A host as an address: the parser's IPv4 and IPv6 hosts, and a name that (without trailing dots) is
/// an address written in the standard form, as a connector trying it as a literal would read it.
pub fn host_ip(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(*v6)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            let name = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
            name.parse().ok()
        }
    }
}

fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.is_empty()
        || name == "localhost"
        || name == "localhost.localdomain"
        || name == "ip6-localhost"
        || name == "ip6-loopback"
        || [".localhost", ".local", ".internal", ".localdomain", ".home.arpa"].iter().any(|s| name.ends_with(s))
}

/// Is this an address Tessera must not call unless the operator allows private endpoints? Loopback,
/// private (RFC 1918, unique local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
/// unspecified, multicast, broadcast, documentation, benchmarking and reserved ranges, and IPv4 hidden
/// inside IPv6 (mapped, compatible, translated, 6to4, NAT64, Teredo) when that IPv4 is one of them.
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v6(v6: Ipv6Addr) -> bool {
    let seg = v6.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || seg[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated), ::/96
        || seg[..6] == [0, 0, 0, 0, 0xffff, 0] // IPv4-translated ::ffff:0:0/96
        || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation 2001:db8::/32
        || (seg[0] == 0x3fff && seg[1] < 0x1000) // documentation 3fff::/20
        || (seg[0] == 0x2001 && seg[1] < 0x0200) // IETF protocol assignments 2001::/23, Teredo 2001::/32 included
        || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64 64:ff9b::/96 and 64:ff9b:1::/48 reach IPv4 space
        || (seg[0] == 0x0100 && seg[1..4] == [0, 0, 0]) // discard-only 100::/64
        || (seg[0] == 0x2002 && is_private_v4(embedded_v4(seg[1], seg[2]))) // 6to4 of an internal IPv4
        || seg[0] == 0x5f00 // SRv6 SIDs 5f00::/16
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
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
        assert_eq!(
            WebhookUrl::parse("example.com/hook", false).unwrap_err(),
            "A webhook URL must start with https://."
        );
        for bad in [
            "",
            "ftp://x",
            "https://",
            "https://user:pw@x/",
            "https://user@x/",
            "https://x/a b",
            "https://x/\u{202E}",
            "https://127.0.0.1\\@example.com",
            "https://example.com:443\\:80@127.0.0.1/",
            "https://[::1",
            "https://1.2.3.09/",
        ] {
            assert!(WebhookUrl::parse(bad, true).is_err(), "{bad}");
        }
        let url = WebhookUrl::parse("https://[::1]:8443/x", false).unwrap();
        assert_eq!((url.ip(), url.port()), (Some("::1".parse().unwrap()), 8443));
        let url = WebhookUrl::parse("https://A.Example/x", false).unwrap();
        assert_eq!((url.host(), url.port(), url.as_str()), (Host::Domain("a.example"), 443, "https://a.example/x"));
    }

    /// Every spelling of loopback the WHATWG parser accepts is read as loopback, as the client reads it.
    #[test]
    fn spellings_of_loopback_are_internal() {
        for spelling in [
            "https://127.0.0.1/",
            "https://%31%32%37.0.0.1/",
            "https://127.1/",
            "https://0x7f.1/",
            "https://0x7F000001/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://017700000001/",
            "https://127.0.0.1./",
            "https://\u{ff11}\u{ff12}\u{ff17}.\u{ff10}.\u{ff10}.\u{ff11}/",
            "https://127\u{3002}0\u{3002}0\u{3002}1/",
            "https://127\u{ff0e}0\u{ff0e}0\u{ff0e}1/",
            "https://[::1]/",
            "https://[0:0:0:0:0:0:0:1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[0:0:0:0:0:ffff:7f00:1]/",
            "https://[::127.0.0.1]/",
            "https://[::ffff:0:7f00:1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[2002:7f00:1::]/",
            "https://0/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://localhost/",
            "https://localhost./",
            "https://LOCALHOST/",
            "https://LocalHost../",
            "https://l\u{ff4f}calhost/",
            "https://localhost\u{3002}/",
            "https://api.localhost/",
            "https://printer.local/",
            "https://metadata.google.internal/",
            "https://169.254.169.254/latest/meta-data",
            "https://user@127.0.0.1/",
        ] {
            if let Ok(url) = WebhookUrl::parse(spelling, false) {
                assert!(url.is_internal(), "{spelling} read as {}", url.as_str());
                let client = Url::parse(spelling).unwrap();
                assert_eq!(client.host(), Some(url.host()), "{spelling}");
            }
        }
        for public in ["https://hooks.example.com/x", "https://93.184.216.34/", "https://[2606:4700::1111]/"] {
            assert!(!WebhookUrl::parse(public, false).unwrap().is_internal(), "{public}");
        }
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
            "2002:a00:1::1",
            "2001::1",
            "::ffff:0:a00:1",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_private_address(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "8.8.8.8", "2002:5db8:d822::1", "2001:4860::8888"]
        {
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
