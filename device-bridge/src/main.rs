//! `enrol-bridge`: command line entry point.

use clap::Parser;

#[derive(Parser)]
#[command(name = "enrol-bridge", version)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
