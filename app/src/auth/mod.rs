//! Accounts: first-run setup, sign-in and accepting invitations (the session they open, switching
//! organization and signing out are in [`crate::session`]).

mod pages;

pub use pages::{InvitePage, LoginPage, SecondStepPage, SetupPage};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::session::cookies;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::domain::org::Role;

/// First run only: creates the first account and organization, and signs in.
#[server(prefix = "/rpc", endpoint = "auth/setup")]
pub async fn setup(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] organization: String,
    #[server(default)] setup_code: String,
) -> Result<(), AppError> {
    use tessera_core::services::accounts;
    crate::request::serve(|cx| async move {
        let input = accounts::SetupInput::parse(&email, password, &organization)?;
        cx.state.setup.check(&setup_code)?;
        let (user_id, org_id) = accounts::setup(cx.core(), input, &cx.request.origin).await?;
        cookies::sign_in_browser(&cx, user_id, Some(org_id), None).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/login")]
pub async fn login(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use tessera_core::services::accounts;
    crate::request::serve(|cx| async move {
        let input = accounts::SignIn::parse(&email, password)?;
        let device = crate::request::cookie(&cx.parts.headers, cookies::DEVICE_COOKIE)
            .and_then(|value| accounts::device_cookie_user(cx.core(), &value));
        let user_id = accounts::sign_in(cx.core(), input, &cx.request.origin, device).await?;
        if tessera_core::services::two_factor::enabled(cx.core(), user_id).await? {
            // The password alone opens nothing: a sealed pending sign-in that only the second step takes.
            cookies::start_second_step(&cx, user_id, next.as_deref());
            return Ok(());
        }
        cookies::sign_in_browser(&cx, user_id, None, next.as_deref()).await
    })
    .await
}

/// Sign-in's second step: the authentication code (or a recovery code) of the account whose password
/// was just typed in this browser (its pending sign-in cookie); then the session.
#[server(prefix = "/rpc", endpoint = "auth/second-factor")]
pub async fn second_factor(
    #[server(default)] code: String,
    #[server(default)] recovery_code: String,
) -> Result<(), AppError> {
    use tessera_core::{error::Error, services::two_factor};
    crate::request::serve(|cx| async move {
        let expired =
            || Error::unauthorized().with_message("Your sign-in has expired. Sign in again with your password.");
        let (user_id, next) = cookies::pending_sign_in(&cx).ok_or_else(expired)?;
        let factor = crate::account::factor(code, recovery_code);
        two_factor::verify(cx.core(), user_id, factor, &cx.request.origin).await?;
        crate::request::append_set_cookie(&cookies::clear_pending_cookie(&cx.state.web));
        cookies::sign_in_browser(&cx, user_id, None, next.as_deref()).await
    })
    .await
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub email: String,
    pub org_name: String,
    pub role: Role,
    /// The email already has an account: it must be signed in to accept.
    pub account_exists: bool,
    /// The email of the account signed in in this browser, if any.
    pub signed_in_as: Option<String>,
}

#[server(prefix = "/rpc", endpoint = "auth/invitation")]
pub async fn get_invitation(#[server(default)] code: String) -> Result<InvitationInfo, AppError> {
    crate::request::serve(|cx| async move {
        let view = tessera_core::services::members::view_invitation(cx.core(), &code).await?;
        Ok(InvitationInfo {
            email: view.email,
            org_name: view.org_name,
            role: view.role,
            account_exists: view.account_exists,
            signed_in_as: cx.request.identity.as_ref().map(|i| i.email.clone()),
        })
    })
    .await
}

/// Accepts an invitation: with a new password for an email without an account, or as the signed-in
/// account the invitation is for.
#[server(prefix = "/rpc", endpoint = "auth/accept-invitation")]
pub async fn accept_invitation(
    #[server(default)] code: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    use tessera_core::{domain::account::Password, error::Error, services::members};
    crate::request::serve(|cx| async move {
        let password = match password.is_empty() {
            true => None,
            false => Some(Password::parse(password).map_err(|m| Error::invalid("password", m))?),
        };
        let signed_in = cx.request.identity.as_deref();
        let (user_id, org_id) =
            members::accept_invitation(cx.core(), &code, password, signed_in, &cx.request.origin).await?;
        match signed_in {
            // Already signed in as this account: now working in the organization just joined.
            Some(identity) => {
                tessera_core::services::sessions::set_current_org(cx.core(), &identity.key, org_id).await?;
                crate::request::redirect(crate::routes::TOKENS_URL);
                Ok(())
            }
            None => cookies::sign_in_browser(&cx, user_id, Some(org_id), None).await,
        }
    })
    .await
}
