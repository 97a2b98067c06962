//! The browser's cookies: the session (256 random bits, `HttpOnly; SameSite=Strict; Path=/`, and over
//! HTTPS `Secure` with the `__Host-` prefix) and the device cookie that exempts a browser from the
//! per-account sign-in limit of an account that signed in there before.

use crate::{
    request::{Cx, append_set_cookie, cookie},
    state::WebSettings,
};
use tessera_core::{
    error::Error,
    ids::{OrgId, UserId},
    services::{accounts, sessions},
};

pub const DEVICE_COOKIE: &str = "tessera_device";

pub fn session_cookie_name(web: &WebSettings) -> &'static str {
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
    if web.is_https() { "__Host-tessera_session" } else { "tessera_session" }
}

fn attributes(web: &WebSettings) -> &'static str {
    if web.is_https() { "; Path=/; HttpOnly; SameSite=Strict; Secure" } else { "; Path=/; HttpOnly; SameSite=Strict" }
}

/// No Max-Age: the browser forgets the cookie when it closes; the server enforces both timeouts anyway.
pub fn session_cookie(web: &WebSettings, value: &str) -> String {
    format!("{}={value}{}", session_cookie_name(web), attributes(web))
}

pub fn clear_session_cookie(web: &WebSettings) -> String {
    format!("{}=; Max-Age=0{}", session_cookie_name(web), attributes(web))
}

/// The session cookie's value in a request, if there is one.
pub fn session_of(web: &WebSettings, headers: &http::HeaderMap) -> Option<String> {
    cookie(headers, session_cookie_name(web)).filter(|v| !v.is_empty())
}

/// The pending sign-in's cookie: `__Host-` over HTTPS, like the session's.
pub fn pending_cookie_name(web: &WebSettings) -> &'static str {
    if web.is_https() { "__Host-tessera_pending_sign_in" } else { "tessera_pending_sign_in" }
}

pub fn clear_pending_cookie(web: &WebSettings) -> String {
    format!("{}=; Max-Age=0{}", pending_cookie_name(web), attributes(web))
}

/// A correct password of an account with 2FA: no session, only the sealed pending sign-in (five minutes)
/// that the second step takes; on to that step.
pub fn start_second_step(cx: &Cx, user_id: UserId, next: Option<&str>) {
    let web = &cx.state.web;
    let value = tessera_core::services::two_factor::pending_value(cx.core(), user_id, next);
    let max_age = tessera_core::services::two_factor::PENDING_LIFETIME_MS / 1_000;
    append_set_cookie(&format!("{}={value}; Max-Age={max_age}{}", pending_cookie_name(web), attributes(web)));
    crate::request::redirect(tessera_core::domain::links::LOGIN_SECOND_STEP_URL);
}

/// The account (and where to go next) of this browser's pending sign-in, if genuine and not expired.
pub fn pending_sign_in(cx: &Cx) -> Option<(UserId, Option<String>)> {
    let value = cookie(&cx.parts.headers, pending_cookie_name(&cx.state.web)).filter(|v| !v.is_empty())?;
    tessera_core::services::two_factor::open_pending(cx.core(), &value)
}

/// A new session for this browser (a new id every time, so a planted id is useless), then on to `next`.
pub async fn sign_in_browser(cx: &Cx, user_id: UserId, org_id: Option<OrgId>, next: Option<&str>) -> Result<(), Error> {
    // A session id the browser already had is ended, so it can't be reused after sign-in.
    if let Some(old) = &cx.request.identity {
        sessions::end(cx.core(), &old.key).await?;
    }
    let session = sessions::start(cx.core(), user_id, org_id).await?;
    let web = &cx.state.web;
    append_set_cookie(&session_cookie(web, session.cookie_value()));
    let secure = if web.is_https() { "; Secure" } else { "" };
    append_set_cookie(&format!(
        "{DEVICE_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict{secure}",
        accounts::device_cookie_value(cx.core(), user_id)
    ));
    crate::request::redirect(&tessera_core::domain::redirect::safe_next(next));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_flags() {
        let plain = WebSettings::local("127.0.0.1:0".parse().unwrap());
        assert_eq!(session_cookie(&plain, "abc"), "tessera_session=abc; Path=/; HttpOnly; SameSite=Strict");
        let https = WebSettings { public_origin: Some("https://t.example.com".into()), ..plain };
        assert_eq!(
            session_cookie(&https, "abc"),
            "__Host-tessera_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(clear_session_cookie(&https).contains("Max-Age=0"));
    }
}
