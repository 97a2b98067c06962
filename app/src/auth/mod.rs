//! Accounts and sessions: first-run setup, sign-in and sign-out, invitations, and the signed-in person's
//! view of their organizations.

pub mod domain;
mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;

pub use pages::{InvitePage, LoginPage, SetupPage};

use crate::{
    error::AppError,
    ids::UserId,
    orgs::{OrgSummary, SwitchOrg},
    time::Timestamp,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Who is signed in, and where they are working.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: UserId,
    pub email: String,
    pub orgs: Vec<OrgSummary>,
    /// The organization the dashboard acts in; `None` when the person belongs to none.
    pub current: Option<OrgSummary>,
    /// The server's clock, so the browser computes dates from the same "now" the server rendered with.
    pub now: Timestamp,
}

/// Where to go after signing in: only paths on this site.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains(['\\', '\r', '\n']) => {
            path.to_owned()
        }
        _ => "/app/settings/api".to_owned(),
    }
}

/// Who is signed in; `None` for nobody (not an error: the header asks on every page).
#[server(prefix = "/rpc", endpoint = "auth/session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::{orgs::service::organizations_of, platform::request::respond};
    respond(
        async {
            let state = crate::platform::state::app_state()?;
            let parts = crate::platform::request::parts()?;
            let Some(session) = session::from_headers(&state, &parts.headers).await? else {
                return Ok(None);
            };
            let orgs = organizations_of(&state, session.user_id).await?;
            let current = crate::orgs::service::current_membership(&state, &session)
                .await?
                .and_then(|m| orgs.iter().find(|o| o.id == m.org_id).cloned());
            Ok(Some(SessionInfo {
                user_id: session.user_id,
                email: session.email,
                orgs,
                current,
                now: state.clock.now(),
            }))
        }
        .await,
    )
}

/// First run only: creates the first account and organization, and signs in.
#[server(prefix = "/rpc", endpoint = "auth/setup")]
pub async fn setup(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] organization: String,
) -> Result<(), AppError> {
    use crate::platform::{request::respond, state::app_state};
    respond(
        async {
            let state = app_state()?;
            let (user_id, org_id) = service::setup(&state, &email, password, &organization).await?;
            sign_in_browser(&state, user_id, Some(org_id), None).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "auth/login")]
pub async fn login(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::platform::{request, state::app_state};
    request::respond(
        async {
            let state = app_state()?;
            let parts = request::parts()?;
            let ip = request::client_ip(&parts, &state.settings);
            let device = request::cookie(&parts.headers, DEVICE_COOKIE)
                .and_then(|value| service::device_cookie_user(&state, &value));
            let signed_in = service::sign_in(&state, &email, password, ip, device).await?;
            sign_in_browser(&state, signed_in.user_id, None, next.as_deref()).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::platform::request::{append_set_cookie, respond};
    respond(
        async {
            let (state, session) = session::require_session().await?;
            session::end(&state, &session.id_hash).await?;
            append_set_cookie(&session::clear_cookie_header(&state.settings));
            tracing::info!(user = %session.user_id, "signed out");
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// What an invitation link leads to, before its password is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub email: String,
    pub org_name: String,
}

#[server(prefix = "/rpc", endpoint = "auth/invitation")]
pub async fn get_invitation(#[server(default)] code: String) -> Result<InvitationView, AppError> {
    use crate::platform::{request::respond, state::app_state};
    respond(
        async {
            let found = service::find_invitation(&app_state()?, &code).await?;
            Ok(InvitationView { email: found.email, org_name: found.org_name })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "auth/accept-invitation")]
pub async fn accept_invitation(
    #[server(default)] code: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    use crate::platform::{request::respond, state::app_state};
    respond(
        async {
            let state = app_state()?;
            let accepted = service::accept_invitation(&state, &code, password).await?;
            sign_in_browser(&state, accepted.user_id, Some(accepted.org_id), None).await
        }
        .await,
    )
}

/// Remembers, per browser, which accounts signed in here before: those browsers stay exempt from the
/// per-account lockout that protects against password guessing.
pub const DEVICE_COOKIE: &str = "tessera_device";

/// A new session for this browser (a new id every time, so a planted id is useless), then on to `next`.
#[cfg(feature = "ssr")]
async fn sign_in_browser(
    state: &crate::platform::state::AppState,
    user_id: UserId,
    org_id: Option<crate::ids::OrgId>,
    next: Option<&str>,
) -> Result<(), AppError> {
    use crate::platform::request::append_set_cookie;
    // A session id the browser already had is ended, so it can't be reused after sign-in.
    if let Ok(parts) = crate::platform::request::parts()
        && let Some(old) = session::from_headers(state, &parts.headers).await?
    {
        session::end(state, &old.id_hash).await?;
    }
    let value = session::start(state, user_id, org_id).await?;
    append_set_cookie(&session::set_cookie_header(&state.settings, &value));
    let secure = if state.settings.is_https() { "; Secure" } else { "" };
    append_set_cookie(&format!(
        "{DEVICE_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict{secure}",
        service::device_cookie_value(state, user_id)
    ));
    leptos_axum::redirect(&safe_next(next));
    Ok(())
}

/// The signed-in state every page shares, and the actions that change it.
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub info: Resource<Result<Option<SessionInfo>, AppError>>,
    pub login: ServerAction<Login>,
    pub setup: ServerAction<Setup>,
    pub accept: ServerAction<AcceptInvitation>,
    pub logout: ServerAction<Logout>,
    pub switch_org: ServerAction<SwitchOrg>,
}

impl SessionContext {
    /// Bumps whenever the current organization may have changed: org-scoped data refetches on it.
    pub fn org_version(&self) -> usize {
        self.switch_org.version().get() + self.login.version().get() + self.setup.version().get()
    }
}

pub fn provide_session_context() {
    use crate::ui::page_action;
    let login = page_action::<Login>();
    let setup = page_action::<Setup>();
    let accept = page_action::<AcceptInvitation>();
    let logout = page_action::<Logout>();
    let switch_org = page_action::<SwitchOrg>();
    let info = Resource::new(
        move || {
            (
                login.version().get(),
                setup.version().get(),
                accept.version().get(),
                logout.version().get(),
                switch_org.version().get(),
            )
        },
        |_| get_session(),
    );
    provide_context(SessionContext { info, login, setup, accept, logout, switch_org });
}

pub fn use_session() -> SessionContext {
    expect_context::<SessionContext>()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/app/settings/members")), "/app/settings/members");
        for bad in [None, Some(""), Some("https://evil.example"), Some("//evil.example"), Some("/\\evil"), Some("app")]
        {
            assert_eq!(safe_next(bad), "/app/settings/api", "{bad:?}");
        }
    }
}
