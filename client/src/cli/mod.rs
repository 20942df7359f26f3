//! The `enrol` command tree: one subcommand group per area, each in its own module, plus the
//! plumbing they share: the data directory, passwords, the session token, and output (human
//! text or `--json`).

pub mod approve;
pub mod audit;
pub mod devices;
pub mod init;
pub mod operator;
pub mod packets;
pub mod register;
mod schema;
pub mod session;
pub mod sync;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand};
use enrol_client::token::SessionToken;
use enrol_client::{Client, Options, Session};
use serde::Serialize;

#[derive(Parser)]
#[command(name = "enrol", version, about = "Enrol registration client")]
pub struct Cli {
    /// Data directory (default: $ENROL_HOME, else ~/.local/share/enrol)
    #[arg(long, global = true, env = "ENROL_HOME")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Initialise a data directory: database, machine key, first supervisor (or onboard online)
    Init(init::InitArgs),
    /// Manage operators (supervisors and administrators)
    #[command(subcommand)]
    Operator(operator::OperatorCommand),
    /// Log in offline and start a session for later commands
    Login(session::LoginArgs),
    /// End the current session
    Logout,
    /// Show the operator of the current session
    Whoami,
    /// Check the audit log
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// List the SBI biometric devices on this machine and whether they are trusted
    Devices(devices::DevicesArgs),
    /// Register a resident from files (record, documents, ISO biometrics) and sign off
    Register(Box<register::RegisterArgs>),
    /// Stored packets: list, show, verify, trust the pipeline certificate
    #[command(subcommand)]
    Packets(packets::PacketsCommand),
    /// Approve a pending registration, or all of them (supervisors)
    Approve(approve::ApproveArgs),
    /// Reject a pending registration with a reason (supervisors)
    Reject(approve::RejectArgs),
    /// Identity schemas, UI specs and record validation.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Pull the published configuration and the centre's operators, send approved packets,
    /// poll their statuses, apply retention
    Sync(sync::SyncArgs),
    /// Each packet's state: approval, upload, receipt, server status
    Status,
    /// Write approved packets without a receipt into a bundle folder (sneakernet)
    Export(sync::ExportArgs),
    /// Mark packets received from the receipts the server wrote into a bundle folder
    ImportReceipts(sync::ImportReceiptsArgs),
}

impl Cli {
    /// Runs the command and turns its outcome into the exit code.
    pub fn run(self) -> ExitCode {
        let context = Context::new(self.data_dir, self.json);
        let result = match self.command {
            Command::Init(args) => init::run(&context, args),
            Command::Operator(command) => operator::run(&context, command),
            Command::Login(args) => session::login(&context, args),
            Command::Logout => session::logout(&context),
            Command::Whoami => session::whoami(&context),
            Command::Audit(command) => audit::run(&context, command),
            Command::Devices(args) => devices::run(&context, args),
            Command::Register(args) => register::run(&context, *args),
            Command::Packets(command) => packets::run(&context, command),
            Command::Approve(args) => approve::approve(&context, args),
            Command::Reject(args) => approve::reject(&context, args),
            Command::Sync(args) => sync::sync(&context, args),
            Command::Status => sync::status(&context),
            Command::Export(args) => sync::export(&context, args),
            Command::ImportReceipts(args) => sync::import_receipts(&context, args),
            Command::Schema(command) => {
                return command.run().unwrap_or_else(|error| {
                    eprintln!("enrol: {error:#}");
                    // Like clap's usage errors: the input could not be used at all.
                    ExitCode::from(2)
                });
            }
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => context.report_error(&error),
        }
    }
}

/// What every command gets: where the data is and how to print.
pub struct Context {
    data_dir: PathBuf,
    json: bool,
}

impl Context {
    pub fn new(data_dir: Option<PathBuf>, json: bool) -> Context {
        let data_dir = data_dir.unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            home.join(".local/share/enrol")
        });
        Context { data_dir, json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn client(&self) -> anyhow::Result<Client> {
        Client::open(&self.data_dir, Options::default())
            .with_context(|| format!("cannot open {}", self.data_dir.display()))
    }

    /// The session of the current token (`ENROL_SESSION`, else the runtime file of `login`).
    pub fn session(&self) -> anyhow::Result<Session> {
        let client = self.client()?;
        let token = session::find_token(self)?;
        Ok(client.resume(&token)?)
    }

    /// Prints `value` as JSON, or `text` for people.
    pub fn print<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            let text = text();
            if !text.is_empty() {
                println!("{text}");
            }
        }
        Ok(())
    }

    /// Prints an error with its stable code (JSON on stdout with `--json`).
    pub fn report_error(&self, error: &anyhow::Error) -> ExitCode {
        let code = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<enrol_client::Error>())
            .map(enrol_client::Error::code)
            .or_else(|| {
                error
                    .chain()
                    .find_map(|cause| cause.downcast_ref::<enrol_client::sync::SyncError>())
                    .map(enrol_client::sync::SyncError::code)
            })
            .unwrap_or("ERROR");
        if self.json {
            let body =
                serde_json::json!({"error": {"code": code, "message": format!("{error:#}")}});
            println!("{body}");
        }
        eprintln!("error: {error:#} [{code}]");
        ExitCode::FAILURE
    }
}

/// Where passwords come from: lines of standard input, or environment variables.
pub struct Passwords {
    stdin_lines: Option<Vec<String>>,
}

impl Passwords {
    /// Reads up to `count` lines of stdin when `from_stdin`.
    pub fn read(from_stdin: bool, count: usize) -> anyhow::Result<Passwords> {
        if !from_stdin {
            return Ok(Passwords { stdin_lines: None });
        }
        let mut lines = Vec::with_capacity(count);
        let stdin = std::io::stdin();
        for line in stdin.lock().lines().take(count) {
            lines.push(line.context("cannot read the password from standard input")?);
        }
        Ok(Passwords {
            stdin_lines: Some(lines),
        })
    }

    /// The `index`-th password: line `index` of stdin, else the environment variable `env`.
    pub fn get(&self, index: usize, env: &str, what: &str) -> anyhow::Result<String> {
        match &self.stdin_lines {
            Some(lines) => lines
                .get(index)
                .map(|line| line.trim_end_matches('\r').to_owned())
                .ok_or_else(|| anyhow!("standard input ended before the {what}")),
            None => std::env::var(env).map_err(|_| {
                anyhow!("give the {what} on standard input with --password-stdin, or in {env}")
            }),
        }
    }
}

/// Parses a session token from text.
pub fn parse_token(text: &str) -> anyhow::Result<SessionToken> {
    Ok(SessionToken::parse(text)?)
}
