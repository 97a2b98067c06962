//! The command line: server administration on the same database as the server (which may be running),
//! and an API client for scripts. Passwords and token secrets come from standard input, a terminal
//! prompt or the environment, never from arguments (which others on the machine can read).
//!
//! Administration builds only what it uses: the database, the key and the core's services; no web
//! state, no background tasks.

use crate::{
    config::{ApiCall, AuditCommand, CommonArgs, HeaderArgs, OrgCommand, TokensCommand, UserCommand},
    startup::{core_settings, open_core, secret_key_from_env},
};
use std::io::{BufRead, IsTerminal};
use tessera_core::{
    clock::Clock,
    context::Core,
    domain::{
        account::{Email, Password},
        org::{OrgName, Role},
    },
    services::{accounts, audit, members, tokens},
    time::{DAY_MS, Timestamp},
    verify::CacheMode,
};

async fn open(common: &CommonArgs) -> Result<Core, String> {
    let data_dir = common.prepare_data_dir().map_err(|e| e.to_string())?;
    let url = common.database_url(&data_dir).map_err(|e| e.to_string())?;
    let settings = core_settings(common).map_err(|e| e.to_string())?;
    let key = secret_key_from_env();
    let (core, _background) = open_core(
        &common.db_options(url),
        key.as_deref(),
        &data_dir.join("secret.key"),
        settings,
        CacheMode::Off,
        Clock::system(),
    )
    .await
    .map_err(|e| e.to_string())?;
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

pub fn setup_code(common: &CommonArgs) -> Result<(), String> {
    let data_dir = common.prepare_data_dir().map_err(|e| e.to_string())?;
    let code = crate::startup::setup_code(&data_dir).map_err(|e| e.to_string())?;
    println!("{code}");
    eprintln!(
        "Enter this code on the setup page. It is needed only while setup is open on a server that others can reach (listening beyond this machine, or behind a proxy)."
    );
    Ok(())
}

pub async fn user(common: &CommonArgs, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Create { email: raw } => {
            let email = email(&raw)?;
            let password = read_password()?;
            let core = open(common).await?;
            let id = accounts::create_user(&core, &email, &password).await.map_err(|e| e.to_string())?;
            println!("created account {email} ({id})");
        }
        UserCommand::ResetPassword { email: raw } => {
            let email = email(&raw)?;
            let password = read_password()?;
            let core = open(common).await?;
            accounts::reset_password(&core, &email, &password).await.map_err(|e| e.to_string())?;
            println!("password of {email} changed; its sessions have ended");
        }
    }
    Ok(())
}

pub async fn org(common: &CommonArgs, command: OrgCommand) -> Result<(), String> {
    let core = open(common).await?;
    match command {
        OrgCommand::Create { name, owner } => {
            let name = OrgName::parse(&name).map_err(|e| format!("--name: {e}"))?;
            let owner = accounts::find_user(&core, &email(&owner)?).await.map_err(|e| e.to_string())?;
            let id = members::operator_create_org(&core, &name, owner).await.map_err(|e| e.to_string())?;
            println!("created organization {name} ({id})");
        }
        OrgCommand::AddMember { org, email: raw, role } => {
            let role: Role = role.parse().map_err(|e: String| format!("--role: {e}"))?;
            let org_id = members::find_org(&core, &org).await.map_err(|e| e.to_string())?;
            let user = accounts::find_user(&core, &email(&raw)?).await.map_err(|e| e.to_string())?;
            members::operator_add_member(&core, org_id, user, role).await.map_err(|e| e.to_string())?;
            println!("added {raw} to {org} as {role}");
        }
    }
    Ok(())
}

pub async fn tokens(common: &CommonArgs, command: TokensCommand) -> Result<(), String> {
    let core = open(common).await?;
    let revoked = match command {
        TokensCommand::RevokeMember { org, email: raw } => {
            let org_id = members::find_org(&core, &org).await.map_err(|e| e.to_string())?;
            let user = accounts::find_user(&core, &email(&raw)?).await.map_err(|e| e.to_string())?;
            tokens::operator_revoke(&core, org_id, Some(user)).await.map_err(|e| e.to_string())?
        }
        TokensCommand::RevokeAll { org, confirm } => {
            let org_id = members::find_org(&core, &org).await.map_err(|e| e.to_string())?;
            let name = tessera_core::store::orgs::name_of(core.db.pool(), org_id)
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            if confirm.trim() != name {
                return Err(format!("--confirm must be the organization's exact name ({name})"));
            }
            tokens::operator_revoke(&core, org_id, None).await.map_err(|e| e.to_string())?
        }
    };
    println!("{} token{} revoked", revoked.len(), if revoked.len() == 1 { "" } else { "s" });
    for id in revoked {
        println!("{id}");
    }
    Ok(())
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

pub async fn audit(common: &CommonArgs, command: AuditCommand) -> Result<(), String> {
    let core = open(common).await?;
    match command {
        AuditCommand::Export { org, since: raw } => {
            let org_id = members::find_org(&core, &org).await.map_err(|e| e.to_string())?;
            let since = since(raw.as_deref(), core.clock.now())?;
            use std::io::Write;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let count = audit::export(&core, org_id, since, |line| {
                let _ = writeln!(out, "{line}");
            })
            .await
            .map_err(|e| e.to_string())?;
            drop(out);
            eprintln!("{count} events");
        }
    }
    Ok(())
}

/// Tokens expiring sooner than this get a warning on standard error (as `gh` does).
const WARN_DAYS: i64 = tessera_core::domain::token::EXPIRING_SOON_DAYS;

/// Calls the API with the token from the environment and prints the answer.
pub async fn api(url: &str, headers: &HeaderArgs, call: ApiCall) -> Result<(), String> {
    let id = std::env::var("TESSERA_TOKEN_ID").map_err(|_| "set TESSERA_TOKEN_ID to the Token ID".to_owned())?;
    let secret =
        std::env::var("TESSERA_TOKEN_SECRET").map_err(|_| "set TESSERA_TOKEN_SECRET to the Token Secret".to_owned())?;
    let (id_header, secret_header) = headers.header_names().map_err(|e| e.to_string())?;
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::new();
    let request = match &call {
        ApiCall::Whoami => client.get(format!("{base}/api/v1/whoami")),
        ApiCall::Revoke => client.delete(format!("{base}/api/v1/tokens/current")),
        ApiCall::Rotate { grace } => client
            .post(format!("{base}/api/v1/tokens/current/rotate"))
            .header("content-type", "application/json")
            .body(serde_json::json!({ "grace": grace }).to_string()),
    };
    let response = request
        .header(id_header, id.trim())
        .header(secret_header, secret.trim())
        .header("User-Agent", concat!("tessera-cli/", env!("CARGO_PKG_VERSION")))
        .send()
        .await
        .map_err(|e| format!("could not reach {base}: {e}"))?;
    let status = response.status();
    if let Some(expires) = response
        .headers()
        .get("x-tessera-token-expires-at")
        .and_then(|v| v.to_str().ok())
        .and_then(Timestamp::parse_rfc3339)
    {
        let now = Clock::system().now();
        if expires.millis() - now.millis() < WARN_DAYS * DAY_MS
            && !matches!(call, ApiCall::Revoke | ApiCall::Rotate { .. })
        {
            let when = if expires <= now {
                format!("'s expiry ({}) has passed by this machine's clock", expires.rfc3339())
            } else {
                format!(" {} ({})", tessera_core::time::expires_phrase(expires, now), expires.rfc3339())
            };
            eprintln!("warning: this token{when}; rotate it with `tessera api rotate` or create a new one");
        }
    }
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        return Err(format!("the API answered {status}: {message}"));
    }
    match call {
        ApiCall::Whoami | ApiCall::Rotate { .. } => {
            let value: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| format!("unexpected answer: {e}"))?;
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or(body));
        }
        ApiCall::Revoke => println!("the token is deleted and no longer works"),
    }
    Ok(())
}
