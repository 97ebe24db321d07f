//! EHR ingest throughput: a full sync of one practice from a FHIR server (the test server
//! of `tests/fhir-server`, seeded by `scripts/bench-ehr`), timed end to end, next to the
//! time the same pages take to fetch alone, to parse with serde_json alone and to map alone.
//! The sync runs under the statement counter, which sums the time spent waiting on the
//! database; the share of the sync's time in the EHR (HTTP), parsing, mapping and the
//! database is printed, the rest being Portico's own work on the pages. The database is a
//! migrated SQLite file or PostgreSQL (owner URL).

use std::time::{Duration, Instant};

use anyhow::Context;
use portico_core::{
    Db, TenantTx,
    audit::Actor,
    ehr::{
        connection::{self, AuthInput, ConnectionInput},
        model::ResourceKind,
        runs, sync,
    },
    tenancy::Access,
    tenants::{self, NewTenant},
};
use serde_json::Value;

#[derive(clap::Args)]
pub struct Args {
    /// A migrated database (`portico migrate`).
    #[arg(long)]
    database_url: String,
    /// The FHIR base URL.
    #[arg(long)]
    base_url: String,
    #[arg(long)]
    token: String,
    /// Resources per page.
    #[arg(long, default_value_t = 1000)]
    page_size: u32,
    /// Then export the practice with Bulk Data (`scripts/bench-export`).
    #[arg(long)]
    export: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url, 8).await?;
    let slug = format!("ehr-bench-{}", uuid::Uuid::now_v7().simple());
    let tenant = tenants::create(
        &db,
        NewTenant {
            slug: slug[..30].to_owned(),
            name: "EHR bench".to_owned(),
            time_zone: "America/New_York".to_owned(),
            branding: None,
            custom_domain: None,
        },
    )
    .await?;
    let sealer =
        portico_auth::sealing::Sealer::from_base64(&portico_auth::sealing::Sealer::generate_key())
            .map_err(anyhow::Error::msg)?;
    let connector = portico_fhir::FhirConnector {
        allow_loopback_http: true,
        page_size: args.page_size,
        request_timeout: Duration::from_secs(120),
        ..portico_fhir::FhirConnector::default()
    };
    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write).await?;
    connection::save(
        &tx,
        &Actor::system(),
        &connector,
        &sealer,
        ConnectionInput {
            base_url: args.base_url.clone(),
            auth: AuthInput::Bearer {
                token: Some(args.token.clone()),
            },
            sync_interval_minutes: 60,
            resource_types: ResourceKind::ALL.to_vec(),
            enabled: true,
            send_readings: false,
        },
        chrono::Utc::now(),
    )
    .await?;
    tx.commit().await?;

    let started = Instant::now();
    let (run, statements) = portico_core::statements::counted(sync::run(
        &db,
        &connector,
        &sealer,
        tenant.id(),
        runs::MANUAL,
        None,
    ))
    .await;
    let run = run?.context("no run")?;
    let sync_time = started.elapsed();
    let counts = runs::counts_of(&run);
    let fetched: u64 = counts.values().map(|c| c.fetched).sum();
    let applied: u64 = counts.values().map(|c| c.applied).sum();
    let rejected: u64 = counts.values().map(|c| c.rejected).sum();
    let waiting: u64 = counts.values().map(|c| c.waiting).sum();
    println!(
        "run {}: {fetched} resources read, {applied} applied, {rejected} refused, {waiting} waiting",
        run.status
    );
    for (kind, c) in &counts {
        println!(
            "  {kind:<20} {:>6} read {:>6} applied",
            c.fetched, c.applied
        );
    }

    // The same pages again, raw, to time parsing and mapping on their own.
    let client = reqwest::Client::new();
    let mut fetch_time = Duration::ZERO;
    let mut pages: Vec<(ResourceKind, Vec<u8>)> = Vec::new();
    for kind in ResourceKind::ALL {
        let mut url = format!(
            "{}/{}?_sort=_lastUpdated&_count={}",
            args.base_url,
            kind.as_str(),
            args.page_size
        );
        if let Some((key, value)) = kind.search_filter() {
            url.push_str(&format!("&{key}={value}"));
        }
        loop {
            let started = Instant::now();
            let body = client
                .get(&url)
                .bearer_auth(&args.token)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?
                .to_vec();
            fetch_time += started.elapsed();
            let next = serde_json::from_slice::<Value>(&body)?["link"]
                .as_array()
                .and_then(|links| {
                    links
                        .iter()
                        .find(|l| l["relation"] == "next")
                        .and_then(|l| l["url"].as_str().map(str::to_owned))
                });
            pages.push((kind, body));
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
    }
    let bytes: usize = pages.iter().map(|(_, b)| b.len()).sum();
    let started = Instant::now();
    let mut parsed = Vec::with_capacity(pages.len());
    for (kind, body) in &pages {
        parsed.push((*kind, serde_json::from_slice::<Value>(body)?));
    }
    let parse_time = started.elapsed();
    let started = Instant::now();
    let mut mapped = 0usize;
    for (kind, bundle) in &parsed {
        mapped += portico_fhir::inbound::map_bundle(bundle, *kind, &args.base_url)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .changes
            .len();
    }
    let map_time = started.elapsed();
    let per_second = |n: u64, t: Duration| n as f64 / t.as_secs_f64();
    println!(
        "full sync:            {:>8.2} s  {:>9.0} resources/s (HTTP, parse, map, database)",
        sync_time.as_secs_f64(),
        per_second(fetched, sync_time)
    );
    println!(
        "EHR fetch alone:      {:>8.3} s  {:>9.0} resources/s (HTTP, the same pages)",
        fetch_time.as_secs_f64(),
        per_second(fetched, fetch_time)
    );
    println!(
        "serde_json parse:     {:>8.3} s  {:>9.0} resources/s ({:.1} MB in {} pages)",
        parse_time.as_secs_f64(),
        per_second(fetched, parse_time),
        bytes as f64 / 1e6,
        pages.len()
    );
    println!(
        "FHIR mapping:         {:>8.3} s  {:>9.0} resources/s ({mapped} mapped, fhir-model)",
        map_time.as_secs_f64(),
        per_second(mapped as u64, map_time)
    );
    let database = statements.database_time();
    println!(
        "database:             {:>8.3} s  {:>9} statements ({:.1} per resource)",
        database.as_secs_f64(),
        statements.statements,
        f64::from(statements.statements) / fetched.max(1) as f64
    );
    // The sync's time by where it went: the EHR, parsing and mapping as timed alone on the
    // same pages, the database as the statement counter summed it, the rest Portico's own
    // work (checking and shaping rows, matching in memory). The sync fetches a page while it
    // applies the one before, so the EHR's share overlaps the others and the shares can add
    // up past 100% (the rest is then 0).
    let total = sync_time.as_secs_f64();
    let share = |t: Duration| 100.0 * t.as_secs_f64() / total;
    let rest = sync_time
        .saturating_sub(fetch_time)
        .saturating_sub(parse_time)
        .saturating_sub(map_time)
        .saturating_sub(database);
    println!(
        "share of the sync:    EHR {:.0}%  parsing {:.0}%  mapping {:.0}%  database {:.0}%  rest {:.0}%",
        share(fetch_time),
        share(parse_time),
        share(map_time),
        share(database),
        share(rest)
    );
    if args.export {
        crate::bulk_export::run(&db, &tenant).await?;
    }
    Ok(())
}
