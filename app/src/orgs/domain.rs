//! Organizations, roles and the one table of what each role may do.
//!
//! Both the dashboard and the API ask [`allows`]: an API token carries its creator's current role, so
//! a token can never do more than its creator could do in the browser right now.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// An organization's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
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
        if name.chars().any(char::is_control) {
            return Err("An organization name can't contain control characters such as line breaks.".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's role, from least to most powerful (the derived order is the order of power).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Owner,
}

impl Role {
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
            Role::Viewer => "Read-only access; can create read-only API tokens.",
            Role::Member => "Can create API tokens and delete their own.",
            Role::Admin => "Can manage members and delete any API token.",
            Role::Owner => "Full control, including other owners.",
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
            other => Err(format!("\u{201c}{other}\u{201d} is not a role: choose owner, admin, member or viewer.")),
        }
    }
}

/// Everything a member (or a token acting for one) can ask to do in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ViewOrganization,
    ViewMembers,
    ViewTokens,
    CreateToken,
    /// A token revoking itself (leak response): only ever reduces access.
    RevokeCurrentToken,
    DeleteOwnToken,
    DeleteAnyToken,
    /// Add, remove and change the role of members who are not owners, to roles below owner.
    ManageMembers,
    /// Add, remove, promote to and demote from owner.
    ManageOwners,
    /// Leave the organization oneself.
    Leave,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::ViewOrganization,
        Action::ViewMembers,
        Action::ViewTokens,
        Action::CreateToken,
        Action::RevokeCurrentToken,
        Action::DeleteOwnToken,
        Action::DeleteAnyToken,
        Action::ManageMembers,
        Action::ManageOwners,
        Action::Leave,
    ];
}

/// The single answer to "may this role do this action". Everything else asks here.
pub fn allows(role: Role, action: Action) -> bool {
    let least = match action {
        Action::ViewOrganization
        | Action::ViewMembers
        | Action::ViewTokens
        | Action::CreateToken
        | Action::RevokeCurrentToken
        | Action::Leave => Role::Viewer,
        Action::DeleteOwnToken => Role::Member,
        Action::DeleteAnyToken | Action::ManageMembers => Role::Admin,
        Action::ManageOwners => Role::Owner,
    };
    role >= least
}

/// What it takes to give `target` (currently `from`, or nobody yet) the role `to` (or remove them).
pub fn action_for_member_change(from: Option<Role>, to: Option<Role>) -> Action {
    if from == Some(Role::Owner) || to == Some(Role::Owner) { Action::ManageOwners } else { Action::ManageMembers }
}

/// The action needed to delete a token: one's own, or someone else's.
pub fn action_for_token_delete(own_token: bool) -> Action {
    if own_token { Action::DeleteOwnToken } else { Action::DeleteAnyToken }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: every action against every role.
    #[test]
    fn role_table() {
        use Action::*;
        // (action, [owner, admin, member, viewer])
        let table: [(Action, [bool; 4]); 10] = [
            (ViewOrganization, [true, true, true, true]),
            (ViewMembers, [true, true, true, true]),
            (ViewTokens, [true, true, true, true]),
            (CreateToken, [true, true, true, true]),
            (RevokeCurrentToken, [true, true, true, true]),
            (Leave, [true, true, true, true]),
            (DeleteOwnToken, [true, true, true, false]),
            (DeleteAnyToken, [true, true, false, false]),
            (ManageMembers, [true, true, false, false]),
            (ManageOwners, [true, false, false, false]),
        ];
        assert_eq!(table.len(), Action::ALL.len());
        for (action, expected) in table {
            for (role, allowed) in Role::ALL.into_iter().zip(expected) {
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
    }
}
