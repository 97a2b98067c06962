//! The command line: server administration on the same database as the server (which may be running),
//! and an API client for scripts. Passwords and token secrets come from standard input, a terminal
//! prompt or the environment, never from arguments (which others on the machine can read).
//!
//! Administration builds only what it uses: the database, the key and the core's services; no web
//! state, no background tasks. It works on an existing installation and never sets one up: run from
//! the wrong directory, it says where it looked instead of creating a new database and key there.

pub mod backup;
mod output;

pub use output::{LogToStderr, Stop, line, note};

use crate::{
    config::{ApiCall, AuditCommand, CommonArgs, HeaderArgs, OrgCommand, TokensCommand, UserCommand},
    http::api::json::RotatedTokenJson as RotatedToken,
    startup::{core_settings, open_database, secret_key_from_env},
};
use std::io::{BufRead, IsTerminal};
use tessera_core::{
    clock::Clock,
    context::Core,
    domain::{
        account::{Email, Password},
        org::{OrgName, Role},
    },
    keys,
    services::{
        accounts, audit, instance, members,
        tokens::{self, Incident},
    },
    time::{DAY_MS, Timestamp},
    verify::CacheMode,
};

async fn open(common: &CommonArgs) -> Result<Core, String> {
    let env_key = secret_key_from_env();
    let (data_dir, url) = common.existing_installation(env_key.is_some()).map_err(|e| e.to_string())?;
    let db = open_database(&common.db_options(url)).await.map_err(|e| e.to_string())?;
    let mut settings = core_settings(common).map_err(|e| e.to_string())?;
    // Email as the running server sends it: the same alerts as the dashboard's, queued in the outbox.
    if let Some(mail) = instance::mail_settings(&db).await.map_err(|e| e.to_string())? {
        settings.email = mail.email;
        settings.links_base = mail.links_base;
    }
    let key = keys::load(&db, env_key.as_deref(), &data_dir.join("secret.key")).await.map_err(|e| e.to_string())?;
    let (core, _background) = Core::new(db, Clock::system(), key, settings, CacheMode::Off);
    Ok(core)
}

fn read_password() -> Result<Password, String> {
    let raw = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password (again): ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords do not match".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("could not read the password: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    Password::parse(raw).map_err(|e| e.to_lowercase())
}

fn email(raw: &str) -> Result<Email, String> {
    Email::parse(raw).map_err(|e| format!("--email: {e}"))
}

pub fn setup_code(common: &CommonArgs) -> Result<(), Stop> {
    let data_dir = common.existing_data_dir().map_err(|e| e.to_string())?;
    let code = crate::startup::setup_code(&data_dir).map_err(|e| e.to_string())?;
    output::line(code)?;
    output::note(
        "Enter this code on the setup page. It is needed only while setup is open on a server that others can reach (listening beyond this machine, or behind a proxy).",
    );
    Ok(())
}

pub async fn user(common: &CommonArgs, command: UserCommand) -> Result<(), Stop> {
    match command {
        UserCommand::Create { email: raw } => {
            let email = email(&raw)?;
            let core = open(common).await?;
            let password = read_password()?;
            let id = accounts::create_user(&core, &email, &password).await.map_err(|e| e.to_string())?;
            output::line(format_args!("created account {email} ({id})"))?;
        }
        UserCommand::ResetPassword { email: raw } => {
            let email = email(&raw)?;
            let core = open(common).await?;
            let password = read_password()?;
            accounts::reset_password(&core, &email, &password).await.map_err(|e| e.to_string())?;
            output::line(format_args!("password of {email} changed; its sessions have ended"))?;
        }
    }
    Ok(())
}

pub async fn org(common: &CommonArgs, command: OrgCommand) -> Result<(), Stop> {
    let core = open(common).await?;
    match command {
        OrgCommand::Create { name, owner } => {
            let name = OrgName::parse(&name).map_err(|e| format!("--name: {e}"))?;
            let owner = accounts::find_user(&core, &email(&owner)?).await.map_err(|e| e.to_string())?;
            let id = members::operator_create_org(&core, &name, owner).await.map_err(|e| e.to_string())?;
            output::line(format_args!("created organization {name} ({id})"))?;
        }
        OrgCommand::AddMember { org, email: raw, role } => {
            let role: Role = role.parse().map_err(|e: String| format!("--role: {e}"))?;
            let org_id = members::find_org(&core, &org).await.map_err(|e| e.to_string())?;
            let user = accounts::find_user(&core, &email(&raw)?).await.map_err(|e| e.to_string())?;
            members::operator_add_member(&core, org_id, user, role).await.map_err(|e| e.to_string())?;
            output::line(format_args!("added {raw} to {org} as {role}"))?;
        }
    }
    Ok(())
}

pub async fn tokens(common: &CommonArgs, command: TokensCommand) -> Result<(), Stop> {
    let core = open(common).await?;
    let (org, incident_of) = match &command {
        TokensCommand::RevokeMember { org, email: raw } => {
            let user = accounts::find_user(&core, &email(raw)?).await.map_err(|e| e.to_string())?;
            (org, Incident::Member(user))
        }
        TokensCommand::RevokeAll { org, confirm } => (org, Incident::Organization { confirmation: confirm }),
        TokensCommand::Leaked { org, id, url, source } => {
            return leaked(&core, org, id, (url.as_deref(), source.as_deref())).await;
        }
    };
    let org_id = members::find_org(&core, org).await.map_err(|e| e.to_string())?;
    let revoked = tokens::operator_revoke(&core, org_id, incident_of).await.map_err(|e| match incident_of {
        Incident::Organization { .. } if e.field() == Some("confirm") => format!("--confirm: {e}"),
        _ => e.to_string(),
    })?;
    if core.settings.email {
        output::note("Their creators are emailed, as when it is done in the dashboard (the running server sends it).");
    }
    output::line(format_args!("{} token{} revoked", revoked.len(), if revoked.len() == 1 { "" } else { "s" }))?;
    output::lines(revoked)
}

/// The operator reports a token as leaked, through the same path as every intake.
async fn leaked(core: &Core, org: &str, id: &str, (url, source): (Option<&str>, Option<&str>)) -> Result<(), Stop> {
    let org_id = members::find_org(core, org).await.map_err(|e| e.to_string())?;
    let id = id.trim().parse().map_err(|_| format!("--id: {id} is not a Token ID"))?;
    let location = tessera_core::domain::token::LeakLocation::new(url, source);
    let revoked =
        tessera_core::services::leaks::operator_report(core, org_id, id, &location).await.map_err(|e| e.to_string())?;
    output::line(if revoked {
        "the token is revoked (with its rotation family) and marked exposed; its owners are told"
    } else {
        "the report is recorded; the token already no longer worked"
    })
}

/// `2026-01-01T00:00:00Z`, or `30d` for 30 days back.
fn since(raw: Option<&str>, now: Timestamp) -> Result<Timestamp, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(Timestamp(0)),
        Some(days) if days.ends_with('d') => days[..days.len() - 1]
            .parse::<i64>()
            .ok()
            .filter(|d| *d >= 0)
            .map(|d| now.minus_ms(d * DAY_MS))
            .ok_or_else(|| format!("--since {days}: a number of days looks like 30d")),
        Some(instant) => Timestamp::parse_rfc3339(instant)
            .ok_or_else(|| format!("--since {instant}: use an RFC 3339 instant like 2026-01-01T00:00:00Z, or 30d")),
    }
}

pub async fn audit(common: &CommonArgs, command: AuditCommand) -> Result<(), Stop> {
    let core = open(common).await?;
    match command {
        AuditCommand::Export { org, since: raw } => {
            let org_id = members::find_org(&core, &org).await.map_err(|e| e.to_string())?;
            let since = since(raw.as_deref(), core.clock.now())?;
            let mut events = Vec::new();
            let count =
                audit::export(&core, org_id, since, |line| events.push(line)).await.map_err(|e| e.to_string())?;
            output::lines(events)?;
            output::note(format_args!("{count} events"));
        }
    }
    Ok(())
}

/// Tokens expiring sooner than this get a warning on standard error (as `gh` does).
const WARN_DAYS: i64 = tessera_core::domain::token::EXPIRING_SOON_DAYS;

/// Calls the API with the token from the environment and prints the answer.
pub async fn api(url: &str, headers: &HeaderArgs, call: ApiCall) -> Result<(), Stop> {
    let id = std::env::var("TESSERA_TOKEN_ID").map_err(|_| "set TESSERA_TOKEN_ID to the Token ID".to_owned())?;
    let secret =
        std::env::var("TESSERA_TOKEN_SECRET").map_err(|_| "set TESSERA_TOKEN_SECRET to the Token Secret".to_owned())?;
    let (id_header, secret_header) = headers.header_names().map_err(|e| e.to_string())?;
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::new();
    let request = match &call {
        ApiCall::Whoami => client.get(format!("{base}/api/v1/whoami")),
        ApiCall::Revoke => client.delete(format!("{base}/api/v1/tokens/current")),
        ApiCall::Rotate { grace, expires_in_days } => {
            let mut body = serde_json::json!({ "grace": grace });
            if let Some(days) = expires_in_days {
                body["expires_in_days"] = (*days).into();
            }
            client
                .post(format!("{base}/api/v1/tokens/current/rotate"))
                .header("content-type", "application/json")
                .body(body.to_string())
        }
        ApiCall::Leaked { id: other, url, source } => {
            let target = other.as_deref().unwrap_or(id.trim());
            let body = serde_json::json!({ "url": url, "source": source });
            client
                .post(format!("{base}/api/v1/tokens/{}/leaked", target.trim()))
                .header("content-type", "application/json")
                .body(body.to_string())
        }
    };
    let response = request
        .header(id_header, id.trim())
        .header(secret_header, secret.trim())
        .header("User-Agent", concat!("tessera-cli/", env!("CARGO_PKG_VERSION")))
        .send()
        .await
        .map_err(|e| format!("could not reach {base}: {e}"))?;
    let status = response.status();
    if !matches!(call, ApiCall::Revoke | ApiCall::Rotate { .. } | ApiCall::Leaked { .. }) {
        warn_if_expiring(response.headers());
    }
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        return Err(format!("the API answered {status}: {message}").into());
    }
    match call {
        ApiCall::Whoami => {
            let value: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| format!("unexpected answer: {e}"))?;
            output::line(serde_json::to_string_pretty(&value).unwrap_or(body))?;
        }
        ApiCall::Rotate { .. } => print_rotated(&body)?,
        ApiCall::Revoke => output::line("the token is deleted and no longer works")?,
        ApiCall::Leaked { .. } => {
            let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if value["revoked"].as_bool() == Some(true) {
                output::line("the token is revoked (with its rotation family) and marked exposed; its owners are told")?
            } else {
                output::line("the report is recorded; the token already no longer worked")?
            }
        }
    }
    Ok(())
}

/// A warning on standard error when the token expires within a week (as `gh` does).
fn warn_if_expiring(headers: &reqwest::header::HeaderMap) {
    let expiry = headers.get("x-tessera-token-expires-at").and_then(|v| v.to_str().ok());
    let Some(expires) = expiry.and_then(Timestamp::parse_rfc3339) else { return };
    let now = Clock::system().now();
    if expires.millis() - now.millis() >= WARN_DAYS * DAY_MS {
        return;
    }
    let when = if expires <= now {
        format!("'s expiry ({}) has passed by this machine's clock", expires.rfc3339())
    } else {
        format!(" {} ({})", tessera_core::time::expires_phrase(expires, now), expires.rfc3339())
    };
    output::note(format_args!("warning: this token{when}; rotate it with `tessera api rotate` or create a new one"));
}

/// The new pair as `export` lines on standard output (for `eval`), everything else on standard error.
/// The rotation has happened: if the pair can't be printed, that is a failure, said on standard error.
fn print_rotated(body: &str) -> Result<(), Stop> {
    let rotated: RotatedToken = serde_json::from_str(body).map_err(|e| format!("unexpected answer: {e}"))?;
    let exports = [
        format!("export TESSERA_TOKEN_ID={}", shell_word(&rotated.id)),
        format!("export TESSERA_TOKEN_SECRET={}", shell_word(&rotated.secret)),
    ];
    if let Err(stop) = output::lines(exports) {
        let why = match stop {
            Stop::ReaderGone => "standard output was closed".to_owned(),
            Stop::Failed(e) => e,
        };
        return Err(Stop::Failed(format!(
            "the token was rotated, but its successor {new} could not be printed ({why}); its secret is lost. The old \
             secret works until {until}: before then, create a new token in the dashboard and delete {new} (that \
             ends the old secret too)",
            new = rotated.id,
            until = rotated.old_secret_valid_until,
        )));
    }
    output::note(format_args!(
        "Rotated {old}: the new token {new} expires at {expires}; the old secret works until {until}.\n\
         The new secret is shown only this once: store both values where the old ones were \
         (`eval \"$(tessera api rotate)\"` switches this shell to them). Running this again with the old \
         pair is refused and changes nothing.",
        old = rotated.replaces,
        new = rotated.id,
        expires = rotated.expires_at,
        until = rotated.old_secret_valid_until,
    ));
    Ok(())
}

/// A value a POSIX shell reads back as itself: bare when it is made of safe characters (Token IDs and
/// secrets are), single-quoted otherwise, so an answer can never run a command through `eval`.
fn shell_word(value: &str) -> String {
    let safe = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if safe { value.to_owned() } else { format!("'{}'", value.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn printed_values_are_read_back_as_themselves_by_a_shell() {
        assert_eq!(shell_word("tsr_abcDEF123"), "tsr_abcDEF123");
        assert_eq!(shell_word("0190-ab"), "0190-ab");
        assert_eq!(shell_word("x; rm -rf ~"), "'x; rm -rf ~'");
        assert_eq!(shell_word("it's $(id)"), r"'it'\''s $(id)'");
        assert_eq!(shell_word(""), "''");
    }
}
