//! The side-by-side table of `scripts/bench-compare`: Portico and PostGraphile from
//! `portico-bench load --json-out`, pgbench from its per-transaction log (`pgbench -l`: one
//! line per transaction, whose third field is its latency in microseconds, or `failed`) and
//! its output (failed transactions, aborted clients).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct Args {
    /// `load --json-out` of the Portico run.
    #[arg(long)]
    portico: PathBuf,
    /// `load --json-out` of the PostGraphile run.
    #[arg(long)]
    postgraphile: Option<PathBuf>,
    /// pgbench's `--log-prefix` (its logs are PREFIX.PID and PREFIX.PID.THREAD).
    #[arg(long)]
    pgbench_log_prefix: Option<PathBuf>,
    /// pgbench's standard output.
    #[arg(long)]
    pgbench_output: Option<PathBuf>,
    /// pgbench's `-T`.
    #[arg(long, default_value_t = 20)]
    pgbench_seconds: u64,
    /// pgbench's `-c`.
    #[arg(long, default_value_t = 32)]
    pgbench_clients: usize,
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// pgbench's figures in `load --json-out`'s shape.
fn pgbench(args: &Args, prefix: &Path) -> anyhow::Result<Value> {
    let dir = prefix.parent().unwrap_or(Path::new("."));
    let stem = prefix
        .file_name()
        .context("--pgbench-log-prefix names a file")?
        .to_string_lossy()
        .into_owned();
    let mut latencies = Vec::new();
    let mut failed = 0u64;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // PREFIX.PID or PREFIX.PID.THREAD, nothing else.
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.strip_prefix(&format!("{stem}.")).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        });
        if !ours {
            continue;
        }
        for line in std::fs::read_to_string(entry.path())?.lines() {
            match line.split_whitespace().nth(2) {
                Some(us) => match us.parse::<f64>() {
                    Ok(us) => latencies.push(us / 1000.0),
                    Err(_) => failed += 1,
                },
                None => continue,
            }
        }
    }
    // Failed transactions and aborted clients, as pgbench reports them.
    if let Some(output) = &args.pgbench_output {
        let text = std::fs::read_to_string(output)?;
        for line in text.lines() {
            if let Some(n) = line
                .strip_prefix("number of failed transactions: ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
            {
                failed = failed.max(n);
            }
        }
        failed += text.lines().filter(|l| l.contains(" aborted ")).count() as u64;
    }
    latencies.sort_by(f64::total_cmp);
    Ok(json!({
        "label": "pgbench",
        "ok": latencies.len(),
        "errors": failed,
        "seconds": args.pgbench_seconds,
        "clients": args.pgbench_clients,
        "rps": latencies.len() as f64 / args.pgbench_seconds.max(1) as f64,
        "p50_ms": percentile(&latencies, 50.0),
        "p90_ms": percentile(&latencies, 90.0),
        "p99_ms": percentile(&latencies, 99.0),
        "max_ms": latencies.last().copied().unwrap_or_default(),
    }))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut rows = vec![("Portico", read_json(&args.portico)?)];
    if let Some(path) = &args.postgraphile {
        rows.push(("PostGraphile", read_json(path)?));
    }
    if let Some(prefix) = &args.pgbench_log_prefix {
        rows.push(("pgbench (SQL)", pgbench(&args, prefix)?));
    }
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or_default();
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors"
    );
    for (label, v) in &rows {
        println!(
            "{label:<14} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>8}",
            f(v, "rps"),
            f(v, "p50_ms"),
            f(v, "p90_ms"),
            f(v, "p99_ms"),
            v["errors"].to_string()
        );
    }
    let portico = &rows[0].1;
    for (label, v) in &rows[1..] {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!(
            "Portico / {label}: throughput {:.2}x, p50 {:.2}x, p99 {:.1} ms vs {:.1} ms ({:.2}x)",
            ratio(f(portico, "rps"), f(v, "rps")),
            ratio(f(portico, "p50_ms"), f(v, "p50_ms")),
            f(portico, "p99_ms"),
            f(v, "p99_ms"),
            ratio(f(portico, "p99_ms"), f(v, "p99_ms")),
        );
    }
    Ok(())
}
