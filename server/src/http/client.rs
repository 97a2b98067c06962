//! Who the client is: its address, seen through the reverse proxies the operator listed.
//!
//! `X-Forwarded-For` is believed only when the connection itself comes from a trusted proxy, and then
//! only from the right, up to the first address that is not a trusted proxy: everything left of that was
//! written by the client and could be anything. A client that reaches Tessera directly, or a proxy that
//! forwards what the client sent, can't choose the address Tessera sees.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub struct Proxies(Vec<IpNet>);

impl Proxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a connection from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if self.0.is_empty() || !self.trusts(peer) {
            return peer;
        }
        let mut nearest = peer;
        let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
        for hop in hops.iter().rev().flat_map(|v| v.rsplit(',')) {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip.to_canonical()) => nearest = ip.to_canonical(),
                Ok(ip) => return ip.to_canonical(),
                // Unreadable: the last proxy we trust is the best we know.
                Err(_) => return nearest,
            }
        }
        nearest
    }
}

pub use tessera_core::identity::limit_key;

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &str) -> Proxies {
        Proxies::new(crate::config::parse_proxies(list).unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let p = Proxies::default();
        assert_eq!(p.client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"])), ip("203.0.113.9"));
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_only_up_to_the_first_untrusted_hop() {
        let p = proxies("127.0.0.1, 10.0.0.0/8");
        // Straight from a client: whatever it claims is ignored.
        assert_eq!(p.client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"])), ip("203.0.113.9"));
        // Through nginx (which appended the real client): the real client.
        assert_eq!(p.client_ip(ip("127.0.0.1"), &headers(&["6.6.6.6, 198.51.100.7"])), ip("198.51.100.7"));
        // Through two proxies.
        assert_eq!(p.client_ip(ip("127.0.0.1"), &headers(&["6.6.6.6, 198.51.100.7, 10.1.1.1"])), ip("198.51.100.7"));
        // A proxy that sent nothing: the proxy itself.
        assert_eq!(p.client_ip(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        // Garbage: the nearest trusted hop, never the garbage or what is left of it.
        assert_eq!(p.client_ip(ip("127.0.0.1"), &headers(&["6.6.6.6, not-an-ip"])), ip("127.0.0.1"));
        // Several header lines count as one list.
        assert_eq!(p.client_ip(ip("10.0.0.2"), &headers(&["6.6.6.6", "198.51.100.7"])), ip("198.51.100.7"));
        // IPv4-mapped peers are the same address.
        assert_eq!(p.client_ip(ip("::ffff:127.0.0.1"), &headers(&["198.51.100.7"])), ip("198.51.100.7"));
    }

    proptest::proptest! {
        /// Untrusted header values never panic, and never matter when the peer isn't a proxy.
        #[test]
        fn forwarded_for_never_panics(value in "\\PC{0,200}") {
            let mut h = HeaderMap::new();
            if let Ok(v) = value.parse() {
                h.insert("x-forwarded-for", v);
            }
            let p = proxies("127.0.0.1");
            let _ = p.client_ip(ip("127.0.0.1"), &h);
            proptest::prop_assert_eq!(p.client_ip(ip("203.0.113.1"), &h), ip("203.0.113.1"));
        }
    }
}
