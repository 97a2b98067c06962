//! Who is acting: a member of an organization, through the dashboard or through one of their tokens,
//! from some address. Resolved once per request by the adapters and handed to every service.

use crate::{
    domain::org::{self, Action, Role, allows},
    error::Error,
    ids::{OrgId, TokenId, UserId},
};
use std::net::{IpAddr, Ipv6Addr};

/// Someone acting inside an organization, with their role there right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub role: Role,
}

impl Member {
    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action)
    }

    /// Refuses with a message that names what the role lacks.
    pub fn require(&self, action: Action) -> Result<(), Error> {
        org::require(self.role, action)
    }
}

/// Where a request came from, as the audit trail records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<IpAddr>,
    /// At most 256 characters.
    pub user_agent: Option<String>,
}

impl Origin {
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        Self { ip, user_agent: user_agent.map(|ua| ua.chars().take(256).collect()) }
    }
}

/// The key limits are counted by: an IPv4 address, or an IPv6 address's /64 (one subscriber usually
/// holds a whole /64, so counting single IPv6 addresses would let one client spread over 2^64 keys).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// How a member is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Signed in to the dashboard.
    Dashboard,
    /// An API token acting for its creator.
    Token(ActingToken),
}

/// The API token a request authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActingToken {
    pub id: TokenId,
    /// Rotated away and in its grace period: it still works for plain use, but its successor is the
    /// one that manages tokens.
    pub replaced: bool,
}

/// A member making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub member: Member,
    pub via: Via,
    pub origin: Origin,
}

impl Caller {
    pub fn dashboard(member: Member, origin: Origin) -> Self {
        Self { member, via: Via::Dashboard, origin }
    }

    pub fn token(member: Member, token: ActingToken, origin: Origin) -> Self {
        Self { member, via: Via::Token(token), origin }
    }

    /// The token acting, when the request came through the API.
    pub fn token_id(&self) -> Option<TokenId> {
        match self.via {
            Via::Token(token) => Some(token.id),
            Via::Dashboard => None,
        }
    }

    pub fn require(&self, action: Action) -> Result<(), Error> {
        self.member.require(action)
    }

    pub fn org_id(&self) -> OrgId {
        self.member.org_id
    }

    pub fn user_id(&self) -> UserId {
        self.member.user_id
    }
}

#[cfg(test)]
mod tests {
    use super::limit_key;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), limit_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
