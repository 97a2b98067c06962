//! The dashboard's page addresses: the lowest layer of the app, used by the page frame and the pages
//! alike (so the frame's navigation doesn't make it depend on every page).

pub const TOKENS_URL: &str = "/app/settings/api";
pub const MEMBERS_URL: &str = "/app/settings/members";
pub const POLICY_URL: &str = "/app/settings/policy";
pub const WEBHOOKS_URL: &str = "/app/settings/webhooks";
pub const AUDIT_URL: &str = "/app/settings/audit";
