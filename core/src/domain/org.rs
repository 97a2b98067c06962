//! Organizations, roles and the one table of what each role may do.
//!
//! Both the dashboard and the API ask [`allows`]: an API token carries its creator's current role, so a
//! token can never do more than its creator could do in the browser right now.

use super::text::check_visible;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// An organization's display name: trimmed, 1 to 100 characters, nothing invisible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgName(String);

impl OrgName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter an organization name.".into());
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(format!("An organization name has at most {} characters.", Self::MAX_CHARS));
        }
        check_visible(name, "An organization name")?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgName {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<OrgName> for String {
    fn from(name: OrgName) -> String {
        name.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long an invitation link stays valid (the invitation page says so too).
pub const INVITATION_VALID_DAYS: i64 = 7;

/// A member's role, from least to most powerful (the derived order is the order of power).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Owner,
}

#[cfg(feature = "server")]
crate::sql_types::text_type!(Role);

impl Role {
    /// Most powerful first, as lists show them.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Member => "Member",
            Role::Admin => "Admin",
            Role::Owner => "Owner",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::Viewer => "Read-only access; can create, rotate and delete their own (read-only) API tokens.",
            Role::Member => "Can create API tokens, and rotate and delete their own.",
            Role::Admin => "Can manage members and webhooks, delete anyone's API tokens, and read the audit log.",
            Role::Owner => "Full control, including other owners and the organization's token policy.",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => {
                let shown: String = s.trim().chars().take(20).collect();
                Err(format!("\u{201c}{shown}\u{201d} is not a role: choose owner, admin, member or viewer."))
            }
        }
    }
}

/// Declares [`Action`] and `Action::ALL` from one list, so no variant can be missing from `ALL` (and so
/// from the role-table test, which iterates it and matches exhaustively).
macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Everything a member (or a token acting for one) can ask to do in an organization.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($(#[$doc])* $name,)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];
        }
    };
}

actions! {
    ViewMembers,
    ViewTokens,
    CreateToken,
    /// A token revoking itself (leak response): only ever reduces access.
    RevokeCurrentToken,
    /// Deleting one's own token only takes access away: everyone may.
    DeleteOwnToken,
    DeleteAnyToken,
    /// Only ever one's own: a rotation shows the successor's secret, which acts as the token's creator.
    RotateOwnToken,
    /// Add, remove and change the role of members who are not owners, to roles below owner.
    ManageMembers,
    /// Add, remove, promote to and demote from owner.
    ManageOwners,
    /// Leave the organization oneself.
    Leave,
    ViewAudit,
    /// Revoke every token one member created.
    RevokeMemberTokens,
    /// Revoke every token in the organization (incident response).
    RevokeAllTokens,
    /// Token lifetime limits, unused-token sweep, API rotation.
    ManagePolicy,
    ManageWebhooks,
}

impl Action {
    /// What the action is, in a few words (the create form's ceiling help lists them per role).
    pub fn phrase(self) -> &'static str {
        match self {
            Action::ViewMembers => "see members",
            Action::ViewTokens => "see tokens",
            Action::CreateToken => "create tokens (in the dashboard)",
            Action::RevokeCurrentToken => "revoke itself",
            Action::DeleteOwnToken => "delete its creator's tokens",
            Action::DeleteAnyToken => "delete anyone's tokens",
            Action::RotateOwnToken => "rotate itself",
            Action::ManageMembers => "manage members",
            Action::ManageOwners => "manage owners",
            Action::Leave => "leave",
            Action::ViewAudit => "read the audit log",
            Action::RevokeMemberTokens => "revoke a member's tokens",
            Action::RevokeAllTokens => "revoke every token",
            Action::ManagePolicy => "change the token policy",
            Action::ManageWebhooks => "manage webhooks",
        }
    }
}

/// The single answer to "may this role do this action". Everything else asks here.
pub fn allows(role: Role, action: Action) -> bool {
    role >= least_role(action)
}

/// [`allows`], as the error a service returns: the refusal names what the role lacks.
pub fn require(role: Role, action: Action) -> Result<(), crate::error::Error> {
    if allows(role, action) { Ok(()) } else { Err(crate::error::Error::forbidden(refusal(action))) }
}

/// The least powerful role that may do `action`.
pub fn least_role(action: Action) -> Role {
    match action {
        Action::ViewMembers
        | Action::ViewTokens
        | Action::CreateToken
        | Action::RevokeCurrentToken
        | Action::DeleteOwnToken
        | Action::RotateOwnToken
        | Action::Leave => Role::Viewer,
        Action::DeleteAnyToken
        | Action::ManageMembers
        | Action::ViewAudit
        | Action::RevokeMemberTokens
        | Action::ManageWebhooks => Role::Admin,
        Action::ManageOwners | Action::ManagePolicy | Action::RevokeAllTokens => Role::Owner,
    }
}

/// What it takes to give `target` (currently `from`, or nobody yet) the role `to` (or remove them).
pub fn action_for_member_change(from: Option<Role>, to: Option<Role>) -> Action {
    if from == Some(Role::Owner) || to == Some(Role::Owner) { Action::ManageOwners } else { Action::ManageMembers }
}

/// The action needed to delete a token: one's own, or someone else's.
pub fn action_for_token_delete(own_token: bool) -> Action {
    if own_token { Action::DeleteOwnToken } else { Action::DeleteAnyToken }
}

/// The sentence a refusal shows: what the role lacks, and who can do it.
pub fn refusal(action: Action) -> &'static str {
    match action {
        Action::DeleteAnyToken => "Only admins and owners can delete other people's API tokens.",
        Action::ManageMembers => "Only admins and owners can manage members.",
        Action::ManageOwners => "Only owners can add, remove, promote or demote owners.",
        Action::ViewAudit => "Only admins and owners can read the audit log.",
        Action::RevokeMemberTokens => "Only admins and owners can revoke a member's tokens.",
        Action::RevokeAllTokens => "Only owners can revoke every token in the organization.",
        Action::ManagePolicy => "Only owners can change the organization's token policy.",
        Action::ManageWebhooks => "Only admins and owners can manage webhooks.",
        Action::ViewMembers
        | Action::ViewTokens
        | Action::CreateToken
        | Action::RevokeCurrentToken
        | Action::DeleteOwnToken
        | Action::RotateOwnToken
        | Action::Leave => "Your role in this organization doesn't allow that.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: every action against every role. The match is exhaustive, and
    /// `Action::ALL` comes from the same list as the enum, so a new action can't escape this test.
    #[test]
    fn role_table() {
        use Action::*;
        // [owner, admin, member, viewer]
        fn expected(action: Action) -> [bool; 4] {
            match action {
                ViewMembers | ViewTokens | CreateToken | RevokeCurrentToken | DeleteOwnToken | RotateOwnToken
                | Leave => [true, true, true, true],
                DeleteAnyToken | ManageMembers | ViewAudit | RevokeMemberTokens | ManageWebhooks => {
                    [true, true, false, false]
                }
                ManageOwners | ManagePolicy | RevokeAllTokens => [true, false, false, false],
            }
        }
        assert_eq!(Action::ALL.len(), 15);
        for &action in Action::ALL {
            for (role, allowed) in Role::ALL.into_iter().zip(expected(action)) {
                assert_eq!(allows(role, action), allowed, "{role} / {action:?}");
            }
        }
    }

    #[test]
    fn owner_changes_need_an_owner() {
        assert_eq!(action_for_member_change(Some(Role::Owner), Some(Role::Admin)), Action::ManageOwners);
        assert_eq!(action_for_member_change(Some(Role::Member), Some(Role::Owner)), Action::ManageOwners);
        assert_eq!(action_for_member_change(None, Some(Role::Owner)), Action::ManageOwners);
        assert_eq!(action_for_member_change(Some(Role::Owner), None), Action::ManageOwners);
        assert_eq!(action_for_member_change(Some(Role::Viewer), Some(Role::Admin)), Action::ManageMembers);
        assert_eq!(action_for_member_change(None, Some(Role::Member)), Action::ManageMembers);
    }

    #[test]
    fn roles_parse_and_print() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn org_names() {
        assert_eq!(OrgName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert!(OrgName::parse("   ").is_err());
        assert!(OrgName::parse(&"x".repeat(101)).is_err());
        assert!(OrgName::parse("a\nb").is_err());
        assert!(OrgName::parse("Ac\u{202E}me").is_err());
    }
}
