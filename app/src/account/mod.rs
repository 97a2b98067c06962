//! Settings → Account security: the person's own two-factor authentication (an authenticator app and
//! recovery codes), and confirming who they are again for sudo mode. Nothing here belongs to an
//! organization.

mod pages;

pub use pages::{ConfirmIdentityPage, SecurityPage};

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An authenticator app waiting for its first code: the key and its QR code. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSetup {
    /// The key in base32.
    pub setup_key: String,
    /// The QR code, an SVG as a `data:` URL.
    pub qr_data_url: String,
}

impl fmt::Debug for PendingSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingSetup([redacted])")
    }
}

/// What the account security page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityData {
    pub email: String,
    pub enabled: bool,
    pub pending: Option<PendingSetup>,
    pub recovery_codes_left: i64,
}

#[cfg(feature = "ssr")]
fn pending_setup(e: tessera_core::services::two_factor::Enrolment) -> PendingSetup {
    let qr_data_url = e.qr_data_url();
    PendingSetup { setup_key: e.setup_key, qr_data_url }
}

#[server(prefix = "/rpc", endpoint = "account/security")]
pub async fn get_security() -> Result<SecurityData, AppError> {
    use tessera_core::services::two_factor;
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        let status = two_factor::status(cx.core(), identity.user_id, &identity.email).await?;
        Ok(SecurityData {
            email: identity.email.clone(),
            enabled: status.enabled,
            pending: status.pending.map(pending_setup),
            recovery_codes_left: status.recovery_codes_left,
        })
    })
    .await
}

/// Starts setting up an authenticator app: a new key, shown until its first code confirms it.
#[server(prefix = "/rpc", endpoint = "account/totp/begin")]
pub async fn begin_totp() -> Result<PendingSetup, AppError> {
    use tessera_core::services::two_factor;
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        Ok(pending_setup(two_factor::begin(cx.core(), identity.user_id, &identity.email).await?))
    })
    .await
}

/// Confirms the authenticator app with its first code: 2FA is on. Answers the recovery codes, once.
#[server(prefix = "/rpc", endpoint = "account/totp/confirm")]
pub async fn confirm_totp(#[server(default)] code: String) -> Result<Vec<String>, AppError> {
    use tessera_core::services::two_factor;
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        let codes = two_factor::confirm(cx.core(), identity.user_id, &code, &cx.request.origin).await?;
        Ok(codes.0)
    })
    .await
}

/// Turns 2FA off, with a current authentication code or a recovery code.
#[server(prefix = "/rpc", endpoint = "account/totp/disable")]
pub async fn disable_totp(
    #[server(default)] code: String,
    #[server(default)] recovery_code: String,
) -> Result<(), AppError> {
    use tessera_core::services::two_factor;
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        two_factor::disable(cx.core(), identity.user_id, factor(code, recovery_code), &cx.request.origin).await
    })
    .await
}

/// New recovery codes (the old ones stop working), with a current authentication code.
#[server(prefix = "/rpc", endpoint = "account/recovery-codes")]
pub async fn regenerate_recovery_codes(#[server(default)] code: String) -> Result<Vec<String>, AppError> {
    use tessera_core::services::two_factor;
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        Ok(two_factor::regenerate_recovery_codes(cx.core(), identity.user_id, &code, &cx.request.origin).await?.0)
    })
    .await
}

/// Sudo mode: the password (and the code, with 2FA on) again; then back to `back`.
#[server(prefix = "/rpc", endpoint = "account/confirm")]
pub async fn confirm_identity(
    #[server(default)] password: String,
    #[server(default)] code: String,
    #[server(default)] recovery_code: String,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use tessera_core::services::two_factor;
    crate::request::serve(|cx| async move {
        let identity = cx.identity()?;
        let factor = (!code.trim().is_empty() || !recovery_code.trim().is_empty()).then(|| factor(code, recovery_code));
        two_factor::reauthenticate(cx.core(), identity, password, factor, &cx.request.origin).await?;
        if !back.is_empty() {
            crate::request::redirect(&back);
        }
        Ok(())
    })
    .await
}

/// The factor typed: a recovery code when one was, else the authentication code.
#[cfg(feature = "ssr")]
pub fn factor(code: String, recovery_code: String) -> tessera_core::services::two_factor::SecondFactor {
    use tessera_core::services::two_factor::SecondFactor;
    if recovery_code.trim().is_empty() { SecondFactor::Code(code) } else { SecondFactor::RecoveryCode(recovery_code) }
}
