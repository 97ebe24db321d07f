//! `portico-bench`: seeds many practices into PostgreSQL and drives authenticated GraphQL
//! load against a running Portico, checking every response body (`scripts/bench-scale`);
//! measures reminder throughput through the workers, with an SMTP sink to deliver to
//! (`scripts/bench-reminders`); drives the same dashboard load against PostGraphile and
//! captures Portico's SQL for pgbench (`scripts/bench-compare`).

mod bulk_export;
mod capture;
mod ehr_ingest;
mod load;
mod postgraphile;
mod remind;
mod report;
mod seed;
mod smtp_sink;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Scale and throughput benchmarks for Portico on PostgreSQL + Redis")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seeds practices, patients, calendars and appointments (owner role, migrated schema).
    Seed(seed::Args),
    /// Signs patients in, then runs one scenario at a fixed concurrency for a while
    /// (against Portico, or the dashboard against PostGraphile).
    Load(load::Args),
    /// Captures the SQL of one dashboard request from the server log as a pgbench script.
    Capture(capture::Args),
    /// Prints the figures of `load --json-out` runs and a pgbench run side by side.
    Report(report::Args),
    /// Pushes a SendReminders job per practice and times until every due reminder is
    /// delivered by the running workers.
    Remind(remind::Args),
    /// Accepts and counts email over SMTP, keeping nothing.
    SmtpSink(smtp_sink::Args),
    /// A full EHR sync of one practice from a FHIR server, with parse and mapping times.
    EhrIngest(ehr_ingest::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed(args) => seed::run(args).await,
        Command::Load(args) => load::run(args).await,
        Command::Capture(args) => capture::run(args).await,
        Command::Report(args) => report::run(args),
        Command::Remind(args) => remind::run(args).await,
        Command::SmtpSink(args) => smtp_sink::run(args).await,
        Command::EhrIngest(args) => ehr_ingest::run(args).await,
    }
}
