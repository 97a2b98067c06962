//! Settings → Members: the server functions (thin adapters over the core's members service) and the page.

mod page;

pub use page::MembersPage;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use tessera_core::{
    domain::org::Role,
    views::{InvitationEntry, MemberEntry},
};

/// The members page's data: the list, the pending invitations (for those who manage members), and what
/// the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub org_name: String,
    pub your_role: Role,
    pub you: tessera_core::ids::UserId,
    pub members: Vec<MemberEntry>,
    pub invitations: Vec<InvitationEntry>,
    /// The server sends email: invitations are emailed, not shown.
    pub email_enabled: bool,
}

/// The result of inviting someone: the one-time link to send them, shown once; or, when the server
/// sends email, nothing to show (the link went to them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    pub email: String,
    pub role: Role,
    pub link: Option<String>,
}

impl fmt::Debug for Invited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invited")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("link", &"[redacted]")
            .finish()
    }
}

#[cfg(feature = "ssr")]
mod parse {
    use tessera_core::{domain::org::Role, error::Error, ids::UserId};

    pub fn user_id(raw: &str) -> Result<UserId, Error> {
        raw.parse().map_err(|_| Error::not_found("That member"))
    }

    pub fn role(raw: &str) -> Result<Role, Error> {
        raw.parse().map_err(|message: String| Error::invalid("role", message))
    }
}

#[server(prefix = "/rpc", endpoint = "orgs/members")]
pub async fn list_members() -> Result<Roster, AppError> {
    use tessera_core::services::members;
    crate::request::serve_member(|cx, caller| async move {
        let member = &caller.member;
        let roster = members::list(cx.core(), member).await?;
        Ok(Roster {
            org_name: member.org_name.clone(),
            your_role: member.role,
            you: member.user_id,
            members: roster.members,
            invitations: roster.invitations,
            email_enabled: cx.core().settings.email,
        })
    })
    .await
}

/// Invites someone by email. Whether or not they have an account, the answer is the same (so nobody
/// learns which emails have accounts): a one-time link to send them, or, when the server sends email,
/// word that it was emailed. They accept it to join.
#[server(prefix = "/rpc", endpoint = "orgs/members/add")]
pub async fn invite_member(
    #[server(default)] email: String,
    #[server(default)] role: String,
) -> Result<Invited, AppError> {
    use tessera_core::{domain::account::Email, error::Error, services::members};
    crate::request::serve_member(|cx, caller| async move {
        cx.sudo()?;
        let email = Email::parse(&email).map_err(|m| Error::invalid("email", m))?;
        let invited = members::invite(cx.core(), &caller, &email, parse::role(&role)?).await?;
        let base = crate::request::public_base_url(&cx.state, &cx.parts);
        Ok(Invited {
            email: invited.email.to_string(),
            role: invited.role,
            link: invited.code.map(|code| format!("{base}/invite/{}", code.expose())),
        })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "orgs/invitations/revoke")]
pub async fn revoke_invitation(#[server(default)] id: String) -> Result<(), AppError> {
    use tessera_core::{error::Error, ids::InvitationId, services::members};
    crate::request::serve_member(|cx, caller| async move {
        let id: InvitationId = id.parse().map_err(|_| Error::not_found("That invitation"))?;
        members::revoke_invitation(cx.core(), &caller, id).await
    })
    .await
}

/// Emails a pending invitation again (with a new link; the previous one stops working).
#[server(prefix = "/rpc", endpoint = "orgs/invitations/resend")]
pub async fn resend_invitation(#[server(default)] id: String) -> Result<(), AppError> {
    use tessera_core::{error::Error, ids::InvitationId, services::members};
    crate::request::serve_member(|cx, caller| async move {
        let id: InvitationId = id.parse().map_err(|_| Error::not_found("That invitation"))?;
        members::resend_invitation(cx.core(), &caller, id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "orgs/members/role")]
pub async fn change_role(#[server(default)] user_id: String, #[server(default)] role: String) -> Result<(), AppError> {
    use tessera_core::services::members;
    crate::request::serve_member(|cx, caller| async move {
        members::change_role(cx.core(), &caller, parse::user_id(&user_id)?, parse::role(&role)?).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "orgs/members/remove")]
pub async fn remove_member(#[server(default)] user_id: String) -> Result<(), AppError> {
    use tessera_core::services::members;
    crate::request::serve_member(|cx, caller| async move {
        let target = parse::user_id(&user_id)?;
        let leaving = target == caller.member.user_id;
        members::remove(cx.core(), &caller, target).await?;
        if leaving {
            crate::request::redirect(crate::routes::TOKENS_URL);
        }
        Ok(())
    })
    .await
}

/// Incident response: every token the member created here stops working. Returns how many.
#[server(prefix = "/rpc", endpoint = "orgs/members/revoke-tokens")]
pub async fn revoke_member_tokens(#[server(default)] user_id: String) -> Result<usize, AppError> {
    use tessera_core::services::tokens;
    crate::request::serve_member(|cx, caller| async move {
        Ok(tokens::revoke_member_tokens(cx.core(), &caller, parse::user_id(&user_id)?).await?.len())
    })
    .await
}
