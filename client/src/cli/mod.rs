//! The `enrol` command tree: one subcommand group per area, each in its own module.

mod schema;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "enrol", version, about = "Enrol registration client")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Identity schemas, UI specs and record validation.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
}

impl Command {
    /// Runs the command; an `Err` means the input could not be used (exit code 2).
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Schema(command) => command.run(),
        }
    }
}
