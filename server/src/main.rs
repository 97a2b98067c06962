use clap::Parser;
use std::process::ExitCode;
use tessera::{
    cli::{self, Stop},
    config::{Cli, Command},
    startup::{self, Application, ServerConfig},
    telemetry,
};
use tessera_core::clock::Clock;

fn main() -> ExitCode {
    // Rendering a page nests deeply in unoptimised builds: give the workers room (the default is 2 MiB).
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build();
    match runtime {
        Ok(runtime) => runtime.block_on(start()),
        Err(e) => {
            cli::note(format_args!("error: could not start the async runtime: {e}"));
            ExitCode::FAILURE
        }
    }
}

async fn start() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, None | Some(Command::Serve(_))) {
        telemetry::init(cli.common.log_format, std::io::IsTerminal::is_terminal(&std::io::stdout()), std::io::stdout);
    } else {
        // The commands' answers are on standard output; their log lines must not mix with them.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        telemetry::init(cli.common.log_format, ansi, || cli::LogToStderr);
    }
    match run(cli).await {
        // The reader of standard output went away (`tessera … | head`): a normal end, as for `ls | head`.
        Ok(()) | Err(Stop::ReaderGone) => ExitCode::SUCCESS,
        Err(Stop::Failed(message)) => {
            cli::note(format_args!("error: {message}"));
            ExitCode::FAILURE
        }
    }
}

/// Every failure comes back as one line that says what to fix.
async fn run(cli: Cli) -> Result<(), Stop> {
    match cli.command {
        None => Ok(serve(&cli.common, &cli.serve).await?),
        Some(Command::Serve(args)) => Ok(serve(&cli.common, &args).await?),
        Some(Command::Migrate) => {
            let data_dir = cli.common.prepare_data_dir().map_err(|e| e.to_string())?;
            let url = cli.common.database_url(&data_dir).map_err(|e| e.to_string())?;
            startup::open_database(&cli.common.db_options(url)).await.map_err(|e| e.to_string())?;
            cli::line("migrations applied")
        }
        Some(Command::SetupCode) => cli::setup_code(&cli.common),
        Some(Command::User(command)) => cli::user(&cli.common, command).await,
        Some(Command::Org(command)) => cli::org(&cli.common, command).await,
        Some(Command::Tokens(command)) => cli::tokens(&cli.common, command).await,
        Some(Command::Audit(command)) => cli::audit(&cli.common, command).await,
        Some(Command::Backup(args)) => cli::backup::backup(&cli.common, args).await,
        Some(Command::Restore(args)) => cli::backup::restore(&cli.common, args).await,
        Some(Command::Api { url, headers, call }) => cli::api(&url, &headers, call).await,
    }
}

async fn serve(common: &tessera::config::CommonArgs, args: &tessera::config::ServeArgs) -> Result<(), String> {
    let config = ServerConfig::from_args(common, args).map_err(|e| e.to_string())?;
    let schedule = args.backup_schedule()?;
    let data_dir = config.data_dir.clone();
    let app = Application::build(config, Clock::system()).await.map_err(|e| e.to_string())?;
    if let Some(schedule) = schedule {
        let db = app.core().db.clone();
        if db.backend() != tessera_core::db::Backend::Sqlite {
            return Err("--backup-dir backs up the embedded SQLite database; back up PostgreSQL with pg_dump (README, \"Backups\")".into());
        }
        tokio::spawn(tessera::backup::run_schedule(db, schedule));
    }
    let url = format!("http://{}", app.local_addr());
    tracing::info!(%url, "Tessera is listening");
    // A closed standard output loses this line (and the log), not the server.
    let _ = cli::line(format_args!("Tessera is running at {url}"));
    if app.state().app.setup.requires_code() {
        announce_setup_code(&data_dir)?;
    }
    app.run_until(startup::shutdown_signal()).await.map_err(|e| format!("the server stopped: {e}"))
}

/// Setup needs the operator's code (others can reach this server). At a terminal (`make run`) the code is
/// printed for the person who started the server; otherwise stdout is a log, and only the way to get it is.
fn announce_setup_code(data_dir: &std::path::Path) -> Result<(), String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        let code = startup::setup_code(data_dir).map_err(|e| e.to_string())?;
        let _ = cli::line(format_args!("First-run setup asks for this one-time code: {code}"));
    } else {
        let _ = cli::line(format_args!("First-run setup asks for a one-time code: print it with `tessera setup-code`"));
    }
    Ok(())
}
