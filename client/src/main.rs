//! `enrol`: the registration client's command line.

use clap::Parser;

#[derive(Parser)]
#[command(name = "enrol", version, about = "Enrol registration client")]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
