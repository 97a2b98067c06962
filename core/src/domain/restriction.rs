//! Optional restrictions a token's creator chooses at creation (issue 25): a role ceiling, the client
//! addresses it works from, and a rate limit. None of them can be loosened afterwards (a rotation's
//! successor keeps them); to change them, create a new token.
//!
//! Parsed once at the edge into values that can't be wrong: an [`IpAllowlist`] holds 1 to 32 networks
//! with their host bits cleared, a [`RateLimit`] a number from 1 to 100,000. Matching an address
//! ([`IpAllowlist::allows`]) allocates nothing: it runs on every request of a restricted token.

use super::org::{Action, Role, allows};
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    str::FromStr,
};

/// Parses the form's ceiling field: blank for none, else a role name.
pub fn parse_ceiling(raw: &str) -> Result<Option<Role>, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    raw.parse::<Role>().map(Some).map_err(|_| {
        let shown: String = raw.chars().take(20).collect();
        format!("\u{201c}{shown}\u{201d} is not a ceiling: choose viewer, member, admin or owner, or leave it empty.")
    })
}

/// What a token with this ceiling may and may not do (at most: never more than its creator's current
/// role), for the create form: straight from the one role table ([`super::org::allows`]).
pub fn ceiling_abilities(ceiling: Role) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut can, mut cannot) = (Vec::new(), Vec::new());
    for &action in Action::ALL {
        if action == Action::Leave || action == Action::CreateToken {
            continue; // people do these in the dashboard, never through a token
        }
        if allows(ceiling, action) { can.push(action.phrase()) } else { cannot.push(action.phrase()) }
    }
    (can, cannot)
}

/// One allowed network: an address and a prefix length, host bits cleared. IPv4 networks are kept as
/// IPv4; an IPv4-mapped IPv6 entry (`::ffff:192.0.2.1`) is stored as the IPv4 network it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpNet {
    V4 { net: u32, prefix: u8 },
    V6 { net: u128, prefix: u8 },
}

impl IpNet {
    fn v4(addr: Ipv4Addr, prefix: u8) -> Self {
        IpNet::V4 { net: u32::from(addr) & mask32(prefix), prefix }
    }

    fn v6(addr: Ipv6Addr, prefix: u8) -> Self {
        IpNet::V6 { net: u128::from(addr) & mask128(prefix), prefix }
    }

    /// Does the network hold `ip`? `ip` must be canonical (an IPv4-mapped IPv6 address as IPv4).
    #[inline]
    fn holds(&self, ip: IpAddr) -> bool {
        match (*self, ip) {
            (IpNet::V4 { net, prefix }, IpAddr::V4(a)) => u32::from(a) & mask32(prefix) == net,
            (IpNet::V6 { net, prefix }, IpAddr::V6(a)) => u128::from(a) & mask128(prefix) == net,
            _ => false,
        }
    }
}

#[inline]
fn mask32(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
}

#[inline]
fn mask128(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IpNet::V4 { net, prefix: 32 } => write!(f, "{}", Ipv4Addr::from(net)),
            IpNet::V4 { net, prefix } => write!(f, "{}/{prefix}", Ipv4Addr::from(net)),
            IpNet::V6 { net, prefix: 128 } => write!(f, "{}", Ipv6Addr::from(net)),
            IpNet::V6 { net, prefix } => write!(f, "{}/{prefix}", Ipv6Addr::from(net)),
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let entry = raw.trim();
        let shown: String = entry.chars().take(50).collect();
        let bad = || {
            format!(
                "\u{201c}{shown}\u{201d} is not an IP address or network: write one like 203.0.113.7, 10.0.0.0/8, \
                 2001:db8::1 or 2001:db8::/32."
            )
        };
        let (addr, prefix) = match entry.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (entry, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix = match prefix {
            None => None,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                Some(p.parse::<u8>().map_err(|_| bad())?)
            }
            Some(_) => return Err(bad()),
        };
        match addr {
            IpAddr::V4(v4) => match prefix.unwrap_or(32) {
                p @ 0..=32 => Ok(IpNet::v4(v4, p)),
                p => Err(format!("\u{201c}{shown}\u{201d}: an IPv4 prefix is 0 to 32, not {p}.")),
            },
            IpAddr::V6(v6) => {
                let p = prefix.unwrap_or(128);
                if p > 128 {
                    return Err(format!("\u{201c}{shown}\u{201d}: an IPv6 prefix is 0 to 128, not {p}."));
                }
                match v6.to_ipv4_mapped() {
                    // ::ffff:a.b.c.d/p is the IPv4 network a.b.c.d/(p - 96).
                    Some(v4) if p >= 96 => Ok(IpNet::v4(v4, p - 96)),
                    _ => Ok(IpNet::v6(v6, p)),
                }
            }
        }
    }
}

/// The addresses a token works from: 1 to [`IpAllowlist::MAX`] networks, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpAllowlist(Box<[IpNet]>);

impl IpAllowlist {
    pub const MAX: usize = 32;

    /// Comma- or newline-separated (spaces ignored); blank means no allowlist.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let mut nets: Vec<IpNet> = Vec::new();
        for entry in raw.split([',', '\n', '\r']).map(str::trim).filter(|e| !e.is_empty()) {
            let net: IpNet = entry.parse()?;
            if !nets.contains(&net) {
                nets.push(net);
            }
            if nets.len() > Self::MAX {
                return Err(format!(
                    "An IP allowlist has at most {} addresses or networks; use wider networks (CIDR) to cover more.",
                    Self::MAX
                ));
            }
        }
        Ok((!nets.is_empty()).then(|| Self(nets.into_boxed_slice())))
    }

    /// Is `ip` in one of the networks? An IPv4-mapped IPv6 address counts as the IPv4 address it maps.
    /// No allocation: this runs on every request of a token with an allowlist.
    #[inline]
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.holds(ip))
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

impl fmt::Display for IpAllowlist {
    /// The stored form: the networks, comma-separated, canonical.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, net) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{net}")?;
        }
        Ok(())
    }
}

impl FromStr for IpAllowlist {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Self::parse(raw)?.ok_or_else(|| "An IP allowlist can't be empty.".to_owned())
    }
}

impl TryFrom<String> for IpAllowlist {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        raw.parse()
    }
}

impl From<IpAllowlist> for String {
    fn from(list: IpAllowlist) -> String {
        list.to_string()
    }
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(IpAllowlist);

/// Requests a token may make in a minute: 1 to 100,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct RateLimit(u32);

impl RateLimit {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 100_000;

    pub fn new(per_minute: i64) -> Result<Self, String> {
        if (Self::MIN..=Self::MAX).contains(&per_minute) {
            Ok(Self(per_minute as u32))
        } else {
            Err(format!(
                "A rate limit is {} to {} requests a minute; {per_minute} is out of range.",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    /// Blank means no rate limit.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match raw.replace(['_', ','], "").parse::<i64>() {
            Ok(n) => Self::new(n).map(Some),
            Err(_) => {
                let shown: String = raw.chars().take(20).collect();
                Err(format!(
                    "A rate limit is a whole number of requests a minute from {} to {}, not \u{201c}{shown}\u{201d}.",
                    Self::MIN,
                    Self::MAX
                ))
            }
        }
    }

    pub fn per_minute(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for RateLimit {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        Self::new(n)
    }
}

impl From<RateLimit> for i64 {
    fn from(limit: RateLimit) -> i64 {
        i64::from(limit.0)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/min", self.0)
    }
}

#[cfg(feature = "server")]
impl sqlx::Type<sqlx::Any> for RateLimit {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

#[cfg(feature = "server")]
impl<'q> sqlx::Encode<'q, sqlx::Any> for RateLimit {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<'q, sqlx::Any>>::encode(i64::from(self.0), buf)
    }
}

#[cfg(feature = "server")]
impl<'r> sqlx::Decode<'r, sqlx::Any> for RateLimit {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(RateLimit::new(<i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value)?)?)
    }
}

/// A token's restrictions, all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Restrictions {
    /// The token acts as at most this role (and never above its creator's current role).
    pub ceiling: Option<Role>,
    pub allowed_ips: Option<IpAllowlist>,
    pub rate_limit: Option<RateLimit>,
}

impl Restrictions {
    /// From the form's three fields (each blank for none); the error names the field at fault.
    pub fn parse(ceiling: &str, allowed_ips: &str, rate_limit: &str) -> Result<Self, (&'static str, String)> {
        Ok(Self {
            ceiling: parse_ceiling(ceiling).map_err(|m| ("ceiling", m))?,
            allowed_ips: IpAllowlist::parse(allowed_ips).map_err(|m| ("allowed_ips", m))?,
            rate_limit: RateLimit::parse(rate_limit).map_err(|m| ("rate_limit_per_minute", m))?,
        })
    }

    pub fn is_none(&self) -> bool {
        self.ceiling.is_none() && self.allowed_ips.is_none() && self.rate_limit.is_none()
    }

    /// The role a token acts with when its creator's role is `creator`.
    #[inline]
    pub fn effective_role(&self, creator: Role) -> Role {
        match self.ceiling {
            Some(ceiling) => creator.min(ceiling),
            None => creator,
        }
    }

    /// Short labels for the list's badges: "Read-only", "Ceiling: member", "IP: 2 networks", "60/min".
    pub fn badges(&self) -> Vec<(&'static str, String, String)> {
        let mut badges = Vec::new();
        if let Some(ceiling) = self.ceiling {
            let label = if ceiling == Role::Viewer { "Read-only".to_owned() } else { format!("Ceiling: {ceiling}") };
            badges.push(("ceiling", label, format!("Acts at most as {ceiling}.")));
        }
        if let Some(ips) = &self.allowed_ips {
            let n = ips.networks().len();
            let label = if n == 1 { format!("IP: {ips}") } else { format!("IP: {n} networks") };
            badges.push(("allowed_ips", label, format!("Works only from {ips}.")));
        }
        if let Some(limit) = self.rate_limit {
            badges.push(("rate_limit", limit.to_string(), format!("At most {} requests a minute.", limit.0)));
        }
        badges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn allowlists_parse_and_match() {
        let list =
            IpAllowlist::parse("203.0.113.7, 10.0.0.0/8\n2001:db8::/32\r\n::ffff:198.51.100.0/120").unwrap().unwrap();
        assert_eq!(list.to_string(), "203.0.113.7,10.0.0.0/8,2001:db8::/32,198.51.100.0/24");
        for ok in
            ["203.0.113.7", "10.1.2.3", "2001:db8:1::5", "::ffff:10.9.9.9", "198.51.100.200", "::ffff:203.0.113.7"]
        {
            assert!(list.allows(ip(ok)), "{ok}");
        }
        for no in ["203.0.113.8", "11.0.0.1", "2001:db9::1", "::ffff:11.0.0.1", "::1", "127.0.0.1"] {
            assert!(!list.allows(ip(no)), "{no}");
        }
        assert_eq!(list.to_string().parse::<IpAllowlist>().unwrap(), list, "the stored form reads back");
    }

    #[test]
    fn host_bits_are_cleared_and_duplicates_dropped() {
        let list = IpAllowlist::parse("10.1.2.3/8,10.0.0.0/8, 2001:db8::1/64").unwrap().unwrap();
        assert_eq!(list.to_string(), "10.0.0.0/8,2001:db8::/64");
        assert!(IpAllowlist::parse("0.0.0.0/0").unwrap().unwrap().allows(ip("8.8.8.8")));
    }

    #[test]
    fn bad_allowlists_say_what_to_fix() {
        assert_eq!(IpAllowlist::parse("  ,\n ").unwrap(), None);
        for bad in ["10.0.0.0/33", "2001:db8::/129", "10.0.0", "example.com", "10.0.0.0/", "10.0.0.0/+8", "1.2.3.4/8/8"]
        {
            assert!(IpAllowlist::parse(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..33).map(|i| format!("10.0.0.{i}")).collect();
        assert!(IpAllowlist::parse(&many.join(",")).unwrap_err().contains("at most 32"));
        assert!(IpAllowlist::parse(&many[..32].join(",")).is_ok());
    }

    #[test]
    fn rate_limits_and_ceilings() {
        assert_eq!(RateLimit::parse("").unwrap(), None);
        assert_eq!(RateLimit::parse(" 60 ").unwrap().unwrap().per_minute(), 60);
        assert_eq!(RateLimit::parse("100,000").unwrap().unwrap().per_minute(), 100_000);
        for bad in ["0", "100001", "-1", "ten", "1.5"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_ceiling("").unwrap(), None);
        assert_eq!(parse_ceiling("Viewer").unwrap(), Some(Role::Viewer));
        assert!(parse_ceiling("root").is_err());
        let r = Restrictions { ceiling: Some(Role::Member), ..Default::default() };
        assert_eq!(r.effective_role(Role::Owner), Role::Member);
        assert_eq!(r.effective_role(Role::Viewer), Role::Viewer);
        assert_eq!(Restrictions::default().effective_role(Role::Admin), Role::Admin);
        assert_eq!(Restrictions::parse("x", "", "").unwrap_err().0, "ceiling");
        assert_eq!(Restrictions::parse("", "", "0").unwrap_err().0, "rate_limit_per_minute");
        let (can, cannot) = ceiling_abilities(Role::Viewer);
        assert!(can.contains(&"see tokens") && cannot.contains(&"delete anyone's tokens"));
        assert!(ceiling_abilities(Role::Owner).1.is_empty());
    }
}
