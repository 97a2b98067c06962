//! Server administration from the command line, on the same database as the server (which may be
//! running). Passwords come from standard input or a terminal prompt, never from arguments.

use crate::{
    config::{ApiCall, CommonArgs, OrgCommand, UserCommand},
    startup::{ServerConfig, build_state, secret_key_from_env},
};
use app::{
    auth::{
        domain::{Email, Password},
        service,
    },
    orgs::{domain::OrgName, domain::Role, service as orgs},
    platform::{clock::Clock, state::AppState},
};
use std::io::{BufRead, IsTerminal};

async fn open(common: &CommonArgs) -> Result<AppState, String> {
    let data_dir = common.prepare_data_dir().map_err(|e| e.to_string())?;
    let url = common.database_url(&data_dir).map_err(|e| e.to_string())?;
    let mut config = ServerConfig::local(data_dir, url.clone());
    config.database = common.db_options(url);
    config.secret_key = secret_key_from_env();
    build_state(&config, Clock::system(), config.listen).await.map_err(|e| e.to_string())
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

pub async fn user(common: &CommonArgs, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Create { email: raw } => {
            let email = email(&raw)?;
            let password = read_password()?;
            let state = open(common).await?;
            let id = service::create_user(&state, &email, &password).await.map_err(|e| e.to_string())?;
            println!("created account {email} ({id})");
        }
        UserCommand::ResetPassword { email: raw } => {
            let email = email(&raw)?;
            let password = read_password()?;
            let state = open(common).await?;
            service::reset_password(&state, &email, &password).await.map_err(|e| e.to_string())?;
            println!("password of {email} changed; its sessions have ended");
        }
    }
    Ok(())
}

pub async fn org(common: &CommonArgs, command: OrgCommand) -> Result<(), String> {
    let state = open(common).await?;
    match command {
        OrgCommand::Create { name, owner } => {
            let name = OrgName::parse(&name).map_err(|e| format!("--name: {e}"))?;
            let owner = service::find_user(&state, &email(&owner)?).await.map_err(|e| e.to_string())?;
            let id = service::create_org_for(&state, &name, owner).await.map_err(|e| e.to_string())?;
            println!("created organization {name} ({id})");
        }
        OrgCommand::AddMember { org, email: raw, role } => {
            let role: Role = role.parse().map_err(|e: String| format!("--role: {e}"))?;
            let org_id = orgs::find_org(&state, &org).await.map_err(|e| e.to_string())?;
            let user = service::find_user(&state, &email(&raw)?).await.map_err(|e| e.to_string())?;
            orgs::add_member_as_admin(&state, org_id, user, role).await.map_err(|e| e.to_string())?;
            println!("added {raw} to {org} as {role}");
        }
    }
    Ok(())
}

/// Calls the API with the token from the environment and prints the answer.
pub async fn api(url: &str, call: ApiCall) -> Result<(), String> {
    let id = std::env::var("TESSERA_TOKEN_ID").map_err(|_| "set TESSERA_TOKEN_ID to the Token ID".to_owned())?;
    let secret =
        std::env::var("TESSERA_TOKEN_SECRET").map_err(|_| "set TESSERA_TOKEN_SECRET to the Token Secret".to_owned())?;
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::new();
    let request = match call {
        ApiCall::Whoami => client.get(format!("{base}/api/v1/whoami")),
        ApiCall::Revoke => client.delete(format!("{base}/api/v1/tokens/current")),
    };
    let response = request
        .header("X-ZeroPath-API-Token-Id", id.trim())
        .header("X-ZeroPath-API-Token-Secret", secret.trim())
        .header("User-Agent", concat!("tessera-cli/", env!("CARGO_PKG_VERSION")))
        .send()
        .await
        .map_err(|e| format!("could not reach {base}: {e}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        return Err(format!("the API answered {status}: {message}"));
    }
    match call {
        ApiCall::Whoami => {
            let value: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| format!("unexpected answer: {e}"))?;
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or(body));
        }
        ApiCall::Revoke => println!("the token is deleted and no longer works"),
    }
    Ok(())
}
