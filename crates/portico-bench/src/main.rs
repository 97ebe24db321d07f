//! `portico-bench`: seeds many practices into PostgreSQL and drives authenticated GraphQL
//! load against a running Portico, checking every response body. See `scripts/bench-scale`.

mod load;
mod seed;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Scale benchmark for Portico on PostgreSQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seeds practices, patients, calendars and appointments (owner role, migrated schema).
    Seed(seed::Args),
    /// Signs patients in, then runs one scenario at a fixed concurrency for a while.
    Load(load::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed(args) => seed::run(args).await,
        Command::Load(args) => load::run(args).await,
    }
}
