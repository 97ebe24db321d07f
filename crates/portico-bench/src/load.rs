//! Closed-loop load: `concurrency` clients, each sending its next request as soon as the
//! last one answered, for `seconds`. Every response is checked (HTTP 200, no GraphQL errors,
//! the data the scenario promises); a response that fails the check counts as an error and
//! its latency is not in the percentiles.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use serde_json::{Value, json};

use crate::seed::PASSWORD;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// A patient's dashboard (`bench/scale/dashboard.graphql`).
    Dashboard,
    /// A week of open slots for the practice's follow-up type (`bench/scale/slots.graphql`).
    Slots,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "http://127.0.0.1:18282")]
    base_url: String,
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Practices seeded (sessions are spread over all of them).
    #[arg(long, default_value_t = 1000)]
    tenants: u32,
    /// Patients seeded per practice.
    #[arg(long, default_value_t = 100)]
    patients: u32,
    /// Distinct signed-in patients the load rotates through.
    #[arg(long, default_value_t = 200)]
    sessions: u32,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

/// A signed-in patient and what their requests need.
struct Session {
    slug: String,
    token: String,
    patient: String,
    kind: String,
}

async fn gql(
    client: &reqwest::Client,
    base: &str,
    slug: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<(u16, Value)> {
    let mut request = client
        .post(format!("{base}/graphql"))
        .header("X-Portico-Tenant", slug)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    tenant: u32,
    patient: u32,
) -> anyhow::Result<Session> {
    let slug = format!("bench-{tenant}");
    let (_, signed) = gql(
        client,
        base,
        &slug,
        None,
        "mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } } }",
        json!({ "input": { "email": format!("patient{patient}@bench.example"), "password": PASSWORD } }),
    )
    .await?;
    let token = signed["data"]["signIn"]["session"]["accessToken"]
        .as_str()
        .with_context(|| format!("sign-in failed: {signed}"))?
        .to_owned();
    let (_, me) = gql(
        client,
        base,
        &slug,
        Some(&token),
        "{ me { charts { patient { id } } } appointmentTypes { id } }",
        json!({}),
    )
    .await?;
    Ok(Session {
        patient: me["data"]["me"]["charts"][0]["patient"]["id"]
            .as_str()
            .with_context(|| format!("no chart: {me}"))?
            .to_owned(),
        kind: me["data"]["appointmentTypes"][0]["id"]
            .as_str()
            .with_context(|| format!("no appointment type: {me}"))?
            .to_owned(),
        slug,
        token,
    })
}

/// What the scenario promises in a good answer.
fn good(scenario: Scenario, status: u16, body: &Value) -> bool {
    if status != 200 || !body["errors"].is_null() {
        return false;
    }
    match scenario {
        Scenario::Dashboard => {
            // Every seeded chart has a booked visit ahead, results since its last visit and
            // something to renew.
            let d = &body["data"]["patient"]["dashboard"];
            let nonempty = |v: &Value| v.as_array().is_some_and(|a| !a.is_empty());
            d["lastVisit"]["id"].is_string()
                && nonempty(&d["newResults"])
                && nonempty(&d["reminders"])
                && d["nextAppointments"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x["status"] == "BOOKED"))
        }
        Scenario::Slots => body["data"]["availableSlots"]
            .as_array()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|x| x["start"].is_string())),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let base = args.base_url.trim_end_matches('/').to_owned();
    let started = Instant::now();
    let sessions: Vec<Session> = stream::iter(0..args.sessions)
        .map(|s| {
            let tenant = 1
                + (u64::from(s) * u64::from(args.tenants) / u64::from(args.sessions.max(1))) as u32;
            let patient = 1 + (s * 37) % args.patients.max(1);
            sign_in(&client, &base, tenant, patient)
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    if sessions.is_empty() {
        bail!("no sessions");
    }
    println!(
        "signed in {} patients across {} practices in {:.1}s",
        sessions.len(),
        args.tenants,
        started.elapsed().as_secs_f64()
    );

    let query = match args.scenario {
        Scenario::Dashboard => include_str!("../../../bench/scale/dashboard.graphql"),
        Scenario::Slots => include_str!("../../../bench/scale/slots.graphql"),
    };
    let today = chrono::Utc::now().date_naive();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let sessions = &sessions;
    let results = futures::future::join_all((0..args.concurrency).map(|worker| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            let mut n = worker;
            while Instant::now() < deadline {
                let session = &sessions[n % sessions.len()];
                n += args.concurrency;
                let variables = match args.scenario {
                    Scenario::Dashboard => json!({ "patient": session.patient }),
                    Scenario::Slots => json!({
                        "type": session.kind,
                        "from": (today + chrono::Duration::days(1)).to_string(),
                        "to": (today + chrono::Duration::days(7)).to_string(),
                    }),
                };
                let sent = Instant::now();
                let answer = gql(
                    &client,
                    &base,
                    &session.slug,
                    Some(&session.token),
                    query,
                    variables,
                )
                .await;
                let took = sent.elapsed();
                match answer {
                    Ok((status, body)) if good(args.scenario, status, &body) => {
                        latencies.push(took)
                    }
                    Ok((status, body)) => errors.push(format!("HTTP {status}: {body}")),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            (latencies, errors)
        }
    }))
    .await;
    let elapsed = args.seconds as f64;
    let mut latencies: Vec<Duration> = results.iter().flat_map(|(l, _)| l.clone()).collect();
    let errors: Vec<&String> = results.iter().flat_map(|(_, e)| e).collect();
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:?}: {} ok, {} errors, {:.0} req/s, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} clients, {}s)",
        args.scenario,
        latencies.len(),
        errors.len(),
        latencies.len() as f64 / elapsed,
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default()),
        args.concurrency,
        args.seconds,
    );
    for sample in errors.iter().take(3) {
        println!("  error: {}", sample.chars().take(300).collect::<String>());
    }
    Ok(())
}
