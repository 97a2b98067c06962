//! Server administration from the command line, on the same database as the server (which may be
//! running). Passwords come from standard input or a terminal prompt, never from arguments.

use crate::{
    config::{CommonArgs, OrgCommand, UserCommand},
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
