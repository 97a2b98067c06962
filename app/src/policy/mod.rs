//! Settings → Token policy: the maximum and default lifetime of the organization's tokens, the sweep of
//! unused tokens, and whether tokens may rotate through the API. Owners change it; everyone sees it.

mod page;

pub use page::{MaxLifetimeField, PolicyArea, PolicyPage};

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::{domain::policy::TokenPolicy, time::Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyData {
    pub policy: TokenPolicy,
    pub updated_at: Option<Timestamp>,
    pub can_edit: bool,
    /// The server sends email (expiry warnings reach people, not only webhooks).
    pub email_enabled: bool,
}

#[server(prefix = "/rpc", endpoint = "policy/get")]
pub async fn get_policy() -> Result<PolicyData, AppError> {
    use tessera_core::{domain::org::Action, services::policy};
    crate::request::serve_member(|cx, caller| async move {
        let member = &caller.member;
        let view = policy::get(cx.core(), member).await?;
        Ok(PolicyData {
            policy: view.policy,
            updated_at: view.updated_at,
            can_edit: member.may(Action::ManagePolicy),
            email_enabled: cx.core().settings.email,
        })
    })
    .await
}

/// How many live tokens a maximum lifetime of `max_lifetime_days` would refuse, before saving it.
#[server(prefix = "/rpc", endpoint = "policy/preview")]
pub async fn preview_policy(#[server(default)] max_lifetime_days: String) -> Result<i64, AppError> {
    use tessera_core::{domain::policy::TokenPolicy, error::Error, services::policy};
    crate::request::serve_member(|cx, caller| async move {
        let parsed = TokenPolicy::parse(Some(&max_lifetime_days), Some("1"), None, false)
            .map_err(|(f, m)| Error::invalid(f, m))?;
        policy::affected(cx.core(), &caller.member, &parsed).await
    })
    .await
}

/// Saves the policy; answers how many live tokens the new maximum refuses from now on.
#[server(prefix = "/rpc", endpoint = "policy/set")]
pub async fn set_policy(
    #[server(default)] max_lifetime_days: String,
    #[server(default)] default_lifetime_days: String,
    #[server(default)] revoke_unused_after_days: String,
    #[server(default)] api_rotation: Option<String>,
    #[server(default)] expiry_warning_days: Option<String>,
) -> Result<i64, AppError> {
    use tessera_core::{domain::policy::TokenPolicy, error::Error, services::policy};
    crate::request::serve_member(|cx, caller| async move {
        let rotation = api_rotation.as_deref().is_some_and(|v| matches!(v, "on" | "true" | "1"));
        let parsed = TokenPolicy::parse(
            Some(&max_lifetime_days),
            Some(&default_lifetime_days),
            Some(&revoke_unused_after_days),
            rotation,
        )
        .and_then(|p| p.with_warnings(expiry_warning_days.as_deref()))
        .map_err(|(f, m)| Error::invalid(f, m))?;
        policy::set(cx.core(), &caller, parsed).await
    })
    .await
}
