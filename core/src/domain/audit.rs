//! What the audit trail records: every event that changes or reveals something about a token or a
//! membership, who caused it, and what it was about. Nothing secret is ever part of an event.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! event_types {
    ($($name:ident => $code:literal, $label:literal;)*) => {
        /// The kinds of audit events. The code (`token.created`) is stable: the API filters by it, webhooks
        /// carry it, log pipelines index it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType { $(#[serde(rename = $code)] $name,)* }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$name => $code,)* }
            }

            /// For people: "Token created".
            pub fn label(self) -> &'static str {
                match self { $(EventType::$name => $label,)* }
            }
        }
    };
}

event_types! {
    TokenCreated => "token.created", "Token created";
    TokenRotated => "token.rotated", "Token rotated";
    TokenDeleted => "token.deleted", "Token deleted";
    TokenRevoked => "token.revoked", "Token revoked";
    TokenExpiring => "token.expiring", "Expiry warning";
    TokenExpired => "token.expired", "Token expired";
    TokenExposed => "token.exposed", "Token exposed";
    TokenRefusedByPolicy => "token.refused_by_policy", "Token refused by policy";
    TokenRefusedByAllowlist => "token.refused_by_allowlist", "Token used from an address not allowed";
    MemberInvited => "member.invited", "Member invited";
    InvitationRevoked => "member.invitation_revoked", "Invitation revoked";
    MemberAdded => "member.added", "Member added";
    MemberRoleChanged => "member.role_changed", "Role changed";
    MemberRemoved => "member.removed", "Member removed";
    SignInSucceeded => "auth.sign_in_succeeded", "Signed in";
    SignInFailed => "auth.sign_in_failed", "Sign-in failed";
    PolicyChanged => "org.policy_changed", "Token policy changed";
    WebhookCreated => "webhook.created", "Webhook added";
    WebhookDeleted => "webhook.deleted", "Webhook removed";
    WebhookPaused => "webhook.paused", "Webhook paused";
    WebhookResumed => "webhook.resumed", "Webhook resumed";
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(EventType);

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Self::ALL.iter().copied().find(|t| t.as_str() == s).ok_or_else(|| {
            let shown: String = s.chars().take(40).collect();
            format!("\u{201c}{shown}\u{201d} is not an event type; use one like token.created or member.removed.")
        })
    }
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person in the dashboard.
    User,
    /// An API token (acting for its creator).
    Token,
    /// The server administrator, through the `tessera` command line.
    Operator,
    /// Tessera itself (expiry, the unused-token sweep).
    System,
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(ActorKind);

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::Operator => "operator",
            ActorKind::System => "system",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ActorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "user" => Ok(ActorKind::User),
            "token" => Ok(ActorKind::Token),
            "operator" => Ok(ActorKind::Operator),
            "system" => Ok(ActorKind::System),
            other => Err(format!("unknown actor kind {other:?}")),
        }
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Token,
    User,
    Invitation,
    Organization,
    Webhook,
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(SubjectKind);

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Token => "token",
            SubjectKind::User => "user",
            SubjectKind::Invitation => "invitation",
            SubjectKind::Organization => "organization",
            SubjectKind::Webhook => "webhook",
        }
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SubjectKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "token" => Ok(SubjectKind::Token),
            "user" => Ok(SubjectKind::User),
            "invitation" => Ok(SubjectKind::Invitation),
            "organization" => Ok(SubjectKind::Organization),
            "webhook" => Ok(SubjectKind::Webhook),
            other => Err(format!("unknown subject kind {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let codes: std::collections::HashSet<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(codes.len(), EventType::ALL.len());
        for &t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert!("token.stolen".parse::<EventType>().is_err());
    }
}
