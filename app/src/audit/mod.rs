//! Settings → Audit log: every event that changed or revealed something about a token or a membership,
//! newest first, filterable by event type, token and member. Admins and owners.

mod page;

pub use page::{AuditArea, AuditPage};

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::views::{AuditEntry, MemberEntry, Page};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditData {
    pub events: Page<AuditEntry>,
    /// For the member filter.
    pub members: Vec<MemberEntry>,
}

#[server(prefix = "/rpc", endpoint = "audit/list")]
pub async fn list_audit(
    #[server(default)] r#type: Option<String>,
    #[server(default)] token_id: Option<String>,
    #[server(default)] member_id: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<AuditData, AppError> {
    use tessera_core::services::{audit, members};
    crate::request::serve_member(|cx, caller| async move {
        let member = &caller.member;
        let query =
            audit::Query::parse(r#type.as_deref(), token_id.as_deref(), member_id.as_deref(), after.as_deref(), None)?;
        let events = audit::list(cx.core(), member, query).await?;
        let members = members::list(cx.core(), member).await?.members;
        Ok(AuditData { events, members })
    })
    .await
}
