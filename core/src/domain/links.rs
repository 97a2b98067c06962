//! Every page path of the site, once: the app's router and navigation, the server's gate (redirects),
//! the sign-in target check and the links in emails all name pages through these constants.

/// The start page.
pub const HOME_URL: &str = "/";
/// First-run setup: creates the first account while there is none.
pub const SETUP_URL: &str = "/setup";
/// Sign in (`?next=` says where to go afterwards).
pub const LOGIN_URL: &str = "/login";
/// An invitation, by its code (the router's pattern).
pub const INVITE_URL: &str = "/invite/{code}";
/// Every page under this prefix needs a signed-in session.
pub const SIGNED_IN_AREA: &str = "/app";
/// The settings area; it shows the tokens page.
pub const SETTINGS_URL: &str = "/app/settings";
/// API tokens: the dashboard's landing page.
pub const TOKENS_URL: &str = "/app/settings/api";
pub const MEMBERS_URL: &str = "/app/settings/members";
pub const POLICY_URL: &str = "/app/settings/policy";
pub const WEBHOOKS_URL: &str = "/app/settings/webhooks";
pub const AUDIT_URL: &str = "/app/settings/audit";
/// Account security: two-factor authentication and recovery codes (the person's own, in no organization).
pub const ACCOUNT_SECURITY_URL: &str = "/app/account/security";
/// Sign-in's second step: the authentication code (or a recovery code) after a correct password.
pub const LOGIN_SECOND_STEP_URL: &str = "/login/two-factor";
/// Sudo mode without JavaScript: confirm who you are, then back to the page you were on.
pub const CONFIRM_IDENTITY_URL: &str = "/app/account/confirm";
