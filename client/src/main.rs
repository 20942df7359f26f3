//! `enrol`: the registration client's command line.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("enrol: {error:#}");
            // Like clap's usage errors: the input could not be used at all.
            ExitCode::from(2)
        }
    }
}
