//! The session the dashboard acts in: who is signed in, in which organization, switching it, and signing
//! out. Below the page frame (`ui`) and the pages, so both can use it without depending on each other.

#[cfg(feature = "ssr")]
pub mod cookies;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::{ids::UserId, time::Timestamp, views::OrgSummary};

/// One of the signed-in person's organizations.
pub type OrgRef = OrgSummary;

/// Who is signed in, and where they are working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: UserId,
    pub email: String,
    pub orgs: Vec<OrgRef>,
    /// The organization the dashboard acts in; `None` when the person belongs to none.
    pub current: Option<OrgRef>,
    /// The server's clock, so dates are computed from the same "now" everywhere on the page.
    pub now: Timestamp,
}

/// The signed-in person, from the identity the server's gate resolved for this request.
#[cfg(feature = "ssr")]
pub fn session_info() -> Option<SessionInfo> {
    let state = use_context::<crate::state::AppState>()?;
    let parts = use_context::<http::request::Parts>()?;
    let identity = parts.extensions.get::<crate::request::RequestContext>()?.identity.clone()?;
    let current = identity.current.as_ref().and_then(|m| identity.orgs.iter().find(|o| o.id == m.org_id).cloned());
    Some(SessionInfo {
        user_id: identity.user_id,
        email: identity.email.clone(),
        orgs: identity.orgs.clone(),
        current,
        now: state.core.clock.now(),
    })
}

/// Who is signed in; `None` for nobody (not an error). The pages render [`session_info`] on the server
/// and never call this; it is the same answer as data, for clients that need it without parsing a page
/// (the integration tests of signing in, switching organization and accepting invitations use it).
#[server(prefix = "/rpc", endpoint = "auth/session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    crate::request::serve(|_| async { Ok(session_info()) }).await
}

/// Ends this session (on every instance: sessions live in the database) and clears its cookie.
#[server(prefix = "/rpc", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        tessera_core::services::sessions::end(cx.core(), &identity.key).await?;
        crate::request::append_set_cookie(&self::cookies::clear_session_cookie(&cx.state.web));
        tracing::info!(user = %identity.user_id, "signed out");
        crate::request::redirect(crate::routes::LOGIN_URL);
        Ok(())
    })
    .await
}

/// The organization the dashboard acts in from now on; back to the page the switcher was on.
#[server(prefix = "/rpc", endpoint = "orgs/switch")]
pub async fn switch_org(#[server(default)] org_id: String, #[server(default)] back: String) -> Result<(), AppError> {
    use tessera_core::{error::Error, ids::OrgId, services::sessions};
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        let org_id: OrgId = org_id.parse().map_err(|_| Error::not_found("That organization"))?;
        sessions::switch_org(cx.core(), identity, org_id).await?;
        crate::request::redirect(if back.is_empty() { crate::routes::TOKENS_URL } else { &back });
        Ok(())
    })
    .await
}
