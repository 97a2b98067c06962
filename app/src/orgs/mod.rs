//! Organizations, members and roles.

pub mod domain;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use page::MembersPage;

use crate::{
    error::AppError,
    ids::{OrgId, UserId},
    time::Timestamp,
};
use domain::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    pub joined_at: Timestamp,
    /// Added by email and has not yet set a password through their invitation link.
    pub pending_invitation: bool,
    pub is_you: bool,
}

/// The members page's data: the list, and what the viewer may do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersData {
    pub org_name: String,
    pub your_role: Role,
    pub members: Vec<MemberView>,
}

/// The result of adding someone by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedMember {
    pub email: String,
    pub role: Role,
    /// For a person without an account: the one-time link that lets them set a password. Shown once.
    pub invitation_link: Option<String>,
}

#[cfg(feature = "ssr")]
fn parse_user_id(raw: &str) -> Result<UserId, AppError> {
    raw.parse().map_err(|_| AppError::not_found("That member"))
}

#[cfg(feature = "ssr")]
fn parse_role(raw: &str) -> Result<Role, AppError> {
    raw.parse().map_err(|message: String| AppError::invalid("role", message))
}

#[server(prefix = "/rpc", endpoint = "orgs/switch")]
pub async fn switch_org(#[server(default)] org_id: String) -> Result<(), AppError> {
    use crate::{auth::session, platform::request::respond};
    respond(
        async {
            let (state, session) = session::require_session().await?;
            let org_id: OrgId = org_id.parse().map_err(|_| AppError::not_found("That organization"))?;
            // Not a member: the same answer as a missing organization, so ids can't be probed.
            service::membership(&state, session.user_id, org_id)
                .await?
                .ok_or_else(|| AppError::not_found("That organization"))?;
            // A plain form post is sent back to the page it came from by the server-function handler.
            session::set_current_org(&state, &session.id_hash, org_id).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "orgs/members")]
pub async fn list_members() -> Result<MembersData, AppError> {
    use crate::{auth::session, platform::request::respond};
    respond(
        async {
            let (state, _, member) = session::require_member().await?;
            let members = service::list_members(&state, &member).await?;
            Ok(MembersData { org_name: member.org_name, your_role: member.role, members })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "orgs/members/add")]
pub async fn add_member(
    #[server(default)] email: String,
    #[server(default)] role: String,
) -> Result<AddedMember, AppError> {
    use crate::{
        auth::{domain::Email, session},
        platform::request::{self, respond},
    };
    respond(
        async {
            let (state, _, member) = session::require_member().await?;
            let email = Email::parse(&email).map_err(|m| AppError::invalid("email", m))?;
            let role = parse_role(&role)?;
            let added = service::add_member(&state, &member, &email, role).await?;
            let origin = request::public_base_url(&request::parts()?, &state.settings);
            // The response may carry a one-time invitation link.
            request::no_store();
            Ok(AddedMember {
                email: email.to_string(),
                role,
                invitation_link: added.invitation_code.map(|code| format!("{origin}/invite/{code}")),
            })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "orgs/members/role")]
pub async fn change_role(#[server(default)] user_id: String, #[server(default)] role: String) -> Result<(), AppError> {
    use crate::{auth::session, platform::request::respond};
    respond(
        async {
            let (state, _, member) = session::require_member().await?;
            service::change_role(&state, &member, parse_user_id(&user_id)?, parse_role(&role)?).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "orgs/members/remove")]
pub async fn remove_member(#[server(default)] user_id: String) -> Result<(), AppError> {
    use crate::{
        auth::session,
        platform::request::{self, respond},
    };
    respond(
        async {
            let (state, _, member) = session::require_member().await?;
            service::remove_member(&state, &member, parse_user_id(&user_id)?).await?;
            // A plain form post returns to the list, not to the confirmation it came from.
            if request::is_plain_form(&request::parts()?) {
                leptos_axum::redirect(page::MEMBERS_URL);
            }
            Ok(())
        }
        .await,
    )
}
