//! Who is calling: `whoami`, the API's hottest endpoint, and forward authentication for proxies.
//!
//! `whoami` writes its answer straight from what the caller's identity holds: borrowed strings, ids
//! formatted into stack buffers, no owned copy (see `docs/architecture.md`, "Hot path"). Nothing else in
//! the API does this; every other answer is a plain type of [`super::json`].

use super::{
    auth::ApiCaller,
    json::{ErrorJson, WhoAmI},
};
use crate::http::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Serialize, Serializer};
use tessera_core::{
    domain::restriction::{IpNet, Restrictions},
    verify::ApiIdentity,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<crate::http::ServerState> {
    OpenApiRouter::new().routes(routes!(whoami)).routes(routes!(verify))
}

/// Who is calling: the token, its organization, its creator and their role right now.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "identity",
    responses(
        (status = 200, description = "The caller", body = WhoAmI),
        (status = 401, description = "Missing or invalid token", body = ErrorJson),
        (status = 429, description = "Too many failed authentications from this address or for this token, or the token is over its own rate limit (`Retry-After`, `RateLimit-Policy`, `RateLimit`)", body = ErrorJson),
    )
)]
pub async fn whoami(caller: ApiCaller) -> Json<Me> {
    Json(Me(caller.identity))
}

/// The caller's identity, serialised as [`WhoAmI`] without copying it.
pub struct Me(ApiIdentity);

impl Serialize for Me {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (i, m) = (&self.0, &self.0.member);
        let (mut token, mut org, mut user) = ([0; 36], [0; 36], [0; 36]);
        let role = m.role.as_str();
        WhoAmIView {
            token: TokenView {
                id: i.token_id.0.hyphenated().encode_lower(&mut token),
                name: i.token_name.as_deref(),
                expires_at: &i.expires_rfc3339,
            },
            organization: OrganizationView {
                id: m.org_id.0.hyphenated().encode_lower(&mut org),
                name: &m.org_name,
                role,
            },
            user: UserView { id: m.user_id.0.hyphenated().encode_lower(&mut user), email: &m.email },
            role,
            restrictions: i.restrictions.as_deref().map(RestrictionsView),
        }
        .serialize(serializer)
    }
}

// The borrowed mirrors of `json::{WhoAmI, TokenInfo, Organization, User}`: the same fields in the same
// order (`the_borrowed_answer_is_the_documented_one` checks).

#[derive(Serialize)]
struct WhoAmIView<'a> {
    token: TokenView<'a>,
    organization: OrganizationView<'a>,
    user: UserView<'a>,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    restrictions: Option<RestrictionsView<'a>>,
}

/// `json::RestrictionsJson`, written from the parsed restrictions (only tokens that have some).
struct RestrictionsView<'a>(&'a Restrictions);

impl Serialize for RestrictionsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Nets<'a>(&'a [IpNet]);
        impl Serialize for Nets<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter().map(Displayed))
            }
        }
        struct Displayed<'a>(&'a IpNet);
        impl Serialize for Displayed<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self.0)
            }
        }
        let r = self.0;
        let mut s = serializer.serialize_struct("Restrictions", 3)?;
        s.serialize_field("ceiling", &r.ceiling.map(|c| c.as_str()))?;
        s.serialize_field("allowed_ips", &r.allowed_ips.as_ref().map(|ips| Nets(ips.networks())))?;
        s.serialize_field("rate_limit_per_minute", &r.rate_limit.map(|l| l.per_minute()))?;
        s.end()
    }
}

#[derive(Serialize)]
struct TokenView<'a> {
    id: &'a str,
    name: Option<&'a str>,
    expires_at: &'a str,
}

#[derive(Serialize)]
struct OrganizationView<'a> {
    id: &'a str,
    name: &'a str,
    role: &'a str,
}

#[derive(Serialize)]
struct UserView<'a> {
    id: &'a str,
    email: &'a str,
}

pub const ORG_HEADER: HeaderName = HeaderName::from_static("x-tessera-org-id");
pub const USER_HEADER: HeaderName = HeaderName::from_static("x-tessera-user-id");
pub const ROLE_HEADER: HeaderName = HeaderName::from_static("x-tessera-role");
pub const TOKEN_HEADER: HeaderName = HeaderName::from_static("x-tessera-token-id");

/// Forward authentication for reverse proxies (nginx `auth_request`, Traefik ForwardAuth): 200 with
/// the caller in `X-Tessera-Org-Id`, `X-Tessera-User-Id`, `X-Tessera-Role` and `X-Tessera-Token-Id`, or 401.
#[utoipa::path(get, path = "/api/v1/auth/verify", tag = "forward-auth",
    responses((status = 200, description = "Authenticated; see the headers"), (status = 401, body = ErrorJson)))]
pub async fn verify(caller: ApiCaller) -> HeaderMap {
    let m = &caller.identity.member;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (ORG_HEADER, m.org_id.to_string()),
        (USER_HEADER, m.user_id.to_string()),
        (ROLE_HEADER, m.role.to_string()),
        (TOKEN_HEADER, caller.identity.token_id.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tessera_core::{
        domain::org::Role,
        identity::Member,
        ids::{FamilyId, OrgId, TokenId, UserId},
        time::Timestamp,
    };

    #[test]
    fn the_borrowed_answer_is_the_documented_one() {
        let restricted =
            tessera_core::domain::restriction::Restrictions::parse("viewer", "10.0.0.0/8, ::1", "60").unwrap();
        for (name, restrictions) in
            [(Some("ci \"deploy\" token"), None), (None, None), (Some("ci"), Some(Arc::new(restricted)))]
        {
            let identity = ApiIdentity {
                token_id: TokenId(uuid::Uuid::new_v4()),
                family_id: FamilyId(uuid::Uuid::new_v4()),
                token_name: name.map(Arc::from),
                expires_at: Timestamp(1_800_000_000_000),
                expires_rfc3339: Arc::from(Timestamp(1_800_000_000_000).rfc3339()),
                member: Arc::new(Member {
                    user_id: UserId(uuid::Uuid::new_v4()),
                    email: "ada@example.com".into(),
                    org_id: OrgId(uuid::Uuid::new_v4()),
                    org_name: "Acme <Labs>".into(),
                    role: Role::Admin,
                }),
                replaced: false,
                restrictions: restrictions.clone(),
                rate: None,
            };
            let written = serde_json::to_value(Me(identity.clone())).unwrap();
            let documented: WhoAmI = serde_json::from_value(written.clone()).unwrap();
            assert_eq!(serde_json::to_value(&documented).unwrap(), written, "every field, no more");
            assert_eq!(documented.token.id, identity.token_id.to_string());
            assert_eq!(documented.organization.id, identity.member.org_id.to_string());
            assert_eq!((documented.user.id, documented.role), (identity.member.user_id.to_string(), "admin".into()));
            let expected = restrictions.as_deref().and_then(crate::http::api::json::RestrictionsJson::of);
            assert_eq!(documented.restrictions, expected);
        }
    }
}
