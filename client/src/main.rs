//! `enrol`: the registration client's command line, a thin shell over `enrol-client`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::Cli::parse().run()
}
