//! `enrol`: the registration client's command line, a thin shell over `enrol-client`.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "enrol", version, about = "Enrol registration client")]
struct Cli {
    /// Data directory (default: $ENROL_HOME, else ~/.local/share/enrol)
    #[arg(long, global = true, env = "ENROL_HOME")]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Initialise a data directory: database, machine key, first supervisor
    Init(cli::init::InitArgs),
    /// Manage operators (supervisors and administrators)
    #[command(subcommand)]
    Operator(cli::operator::OperatorCommand),
    /// Log in offline and start a session for later commands
    Login(cli::session::LoginArgs),
    /// End the current session
    Logout,
    /// Show the operator of the current session
    Whoami,
    /// Check the audit log
    #[command(subcommand)]
    Audit(cli::audit::AuditCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let context = cli::Context::new(cli.data_dir, cli.json);
    let result = match cli.command {
        Command::Init(args) => cli::init::run(&context, args),
        Command::Operator(command) => cli::operator::run(&context, command),
        Command::Login(args) => cli::session::login(&context, args),
        Command::Logout => cli::session::logout(&context),
        Command::Whoami => cli::session::whoami(&context),
        Command::Audit(command) => cli::audit::run(&context, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => context.report_error(&error),
    }
}
