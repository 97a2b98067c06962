//! An organization's token policy: lifetime limits, the unused-token sweep, API rotation. Owners only.

use super::audit::{Recorder, Subject};
use crate::{
    context::Core,
    domain::{audit::EventType, org::Action, policy::TokenPolicy},
    error::Error,
    identity::{Caller, Member},
    store,
    views::PolicyView,
};
use serde_json::json;

pub async fn get(core: &Core, viewer: &Member) -> Result<PolicyView, Error> {
    viewer.require(Action::ViewTokens)?;
    let (policy, updated_at) = store::policies::get(core.db.pool(), viewer.org_id).await?;
    Ok(PolicyView { policy, updated_at })
}

/// How many live tokens a maximum lifetime of `policy.max_lifetime` would refuse from now on.
pub async fn affected(core: &Core, viewer: &Member, policy: &TokenPolicy) -> Result<i64, Error> {
    viewer.require(Action::ManagePolicy)?;
    Ok(store::tokens::count_over_lifetime(
        core.db.pool(),
        viewer.org_id,
        policy.max_lifetime.days(),
        core.clock.now(),
        core.clock.now(),
    )
    .await?)
}

/// Sets the policy. Tokens whose remaining lifetime exceeds a lowered maximum are refused from now on,
/// on every instance. Returns how many tokens that affects.
pub async fn set(core: &Core, caller: &Caller, policy: TokenPolicy) -> Result<i64, Error> {
    caller.require(Action::ManagePolicy)?;
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let (before, _) = store::policies::get(&mut *tx, caller.org_id()).await?;
    let affected =
        store::tokens::count_over_lifetime(&mut *tx, caller.org_id(), policy.max_lifetime.days(), now, now).await?;
    store::policies::set(&mut tx, caller.org_id(), &policy, caller.user_id(), now).await?;
    Recorder::for_caller(caller, now)
        .record(
            &mut tx,
            EventType::PolicyChanged,
            Subject::organization(caller.org_id(), &caller.member.org_name),
            json!({"before": before, "after": policy, "tokens_refused": affected}),
        )
        .await?;
    tx.commit(core).await?;
    tracing::info!(org = %caller.org_id(), by = %caller.user_id(), max_days = policy.max_lifetime.days(), affected, "token policy changed");
    Ok(affected)
}
