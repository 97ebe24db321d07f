//! Closed-loop load: `concurrency` clients, each sending its next request as soon as the
//! last one answered, for `seconds`. Every response is checked (HTTP 200, no GraphQL errors,
//! the data the scenario promises); a response that fails the check counts as an error and
//! its latency is not in the percentiles.
//!
//! The same loop drives Portico (`--target portico`, sessions signed in through its API) and
//! PostGraphile serving the same database (`--target postgraphile`, see [`crate::postgraphile`]),
//! so `scripts/bench-compare` measures both with one load generator.

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Portico's own API (`--base-url`).
    Portico,
    /// PostGraphile 5 over the same database (`--postgraphile-url`; dashboard only).
    Postgraphile,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "portico")]
    target: Target,
    #[arg(long, default_value = "http://127.0.0.1:18282")]
    base_url: String,
    #[command(flatten)]
    postgraphile: crate::postgraphile::Args,
    #[arg(long, value_enum)]
    scenario: Scenario,
    #[command(flatten)]
    spread: Spread,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Run the same load this long first, unmeasured (caches, plans, a JIT).
    #[arg(long, default_value_t = 0)]
    warmup: u64,
    /// Also write the figures as JSON here (for `portico-bench report`).
    #[arg(long)]
    json_out: Option<std::path::PathBuf>,
}

/// Which seeded patients the load signs in: `sessions` of them, spread over every practice.
#[derive(clap::Args, Clone, Copy)]
pub struct Spread {
    /// Practices seeded (sessions are spread over all of them).
    #[arg(long, default_value_t = 1000)]
    pub tenants: u32,
    /// Patients seeded per practice.
    #[arg(long, default_value_t = 100)]
    pub patients: u32,
    /// Distinct signed-in patients the load rotates through.
    #[arg(long, default_value_t = 200)]
    pub sessions: u32,
}

impl Spread {
    /// Session `s`'s practice (`bench-{t}`) and patient (`patient{j}@bench.example`), both
    /// numbered from 1 as `bench/scale/seed.sql` numbers them.
    pub fn pick(&self, s: u32) -> (u32, u32) {
        let tenant =
            1 + (u64::from(s) * u64::from(self.tenants) / u64::from(self.sessions.max(1))) as u32;
        let patient = 1 + (s * 37) % self.patients.max(1);
        (tenant, patient)
    }
}

/// A signed-in patient and what their requests need.
pub(crate) struct Session {
    pub slug: String,
    pub token: String,
    pub patient: String,
    kind: String,
}

pub(crate) async fn gql(
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

/// Signs in the spread's patients through Portico's API, four at a time.
pub(crate) async fn sign_in_all(
    client: &reqwest::Client,
    base: &str,
    spread: Spread,
) -> anyhow::Result<Vec<Session>> {
    let sessions: Vec<Session> = stream::iter(0..spread.sessions)
        .map(|s| {
            let (tenant, patient) = spread.pick(s);
            sign_in(client, base, tenant, patient)
        })
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    if sessions.is_empty() {
        bail!("no sessions");
    }
    Ok(sessions)
}

/// The dashboard query Portico serves (`bench/scale/dashboard.graphql`).
pub(crate) const DASHBOARD: &str = include_str!("../../../bench/scale/dashboard.graphql");

/// What the scenario promises in a good answer.
pub(crate) fn good(scenario: Scenario, status: u16, body: &Value) -> bool {
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

/// The outcome of a closed-loop run: the latencies of the good answers, sorted, and the
/// errors.
pub(crate) struct Outcome {
    pub latencies: Vec<Duration>,
    pub errors: Vec<String>,
    pub seconds: u64,
    pub concurrency: usize,
}

impl Outcome {
    pub fn figures(&self) -> Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        json!({
            "ok": self.latencies.len(),
            "errors": self.errors.len(),
            "seconds": self.seconds,
            "clients": self.concurrency,
            "rps": self.latencies.len() as f64 / self.seconds.max(1) as f64,
            "p50_ms": ms(percentile(&self.latencies, 50.0)),
            "p90_ms": ms(percentile(&self.latencies, 90.0)),
            "p99_ms": ms(percentile(&self.latencies, 99.0)),
            "max_ms": ms(self.latencies.last().copied().unwrap_or_default()),
        })
    }

    pub fn print(&self, label: &str) {
        let f = self.figures();
        println!(
            "{label}: {} ok, {} errors, {:.0} req/s, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} clients, {}s)",
            f["ok"],
            f["errors"],
            f["rps"].as_f64().unwrap_or_default(),
            f["p50_ms"].as_f64().unwrap_or_default(),
            f["p90_ms"].as_f64().unwrap_or_default(),
            f["p99_ms"].as_f64().unwrap_or_default(),
            f["max_ms"].as_f64().unwrap_or_default(),
            self.concurrency,
            self.seconds,
        );
        for sample in self.errors.iter().take(3) {
            println!("  error: {}", sample.chars().take(300).collect::<String>());
        }
    }

    pub fn write(&self, label: &str, path: Option<&std::path::Path>) -> anyhow::Result<()> {
        if let Some(path) = path {
            let mut figures = self.figures();
            figures["label"] = json!(label);
            std::fs::write(path, format!("{figures}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }
}

/// [`closed_loop`] for `warmup` seconds, unmeasured, then for `seconds`.
pub(crate) async fn measure<F, Fut>(
    concurrency: usize,
    warmup: u64,
    seconds: u64,
    request: F,
) -> Outcome
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    if warmup > 0 {
        closed_loop(concurrency, warmup, &request).await;
    }
    closed_loop(concurrency, seconds, &request).await
}

/// Runs `concurrency` clients for `seconds`. Client `w` sends requests `w`, `w +
/// concurrency`, `w + 2 * concurrency`, ... (so concurrent requests are for different
/// sessions); `request(n)` answers `Ok` for a good answer, `Err` with what was wrong.
pub(crate) async fn closed_loop<F, Fut>(concurrency: usize, seconds: u64, request: F) -> Outcome
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let request = &request;
    let results = futures::future::join_all((0..concurrency).map(|worker| async move {
        let mut latencies = Vec::new();
        let mut errors = Vec::new();
        let mut n = worker;
        while Instant::now() < deadline {
            let sent = Instant::now();
            let answer = request(n).await;
            let took = sent.elapsed();
            n += concurrency;
            match answer {
                Ok(()) => latencies.push(took),
                Err(e) => errors.push(e),
            }
        }
        (latencies, errors)
    }))
    .await;
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for (l, e) in results {
        latencies.extend(l);
        errors.extend(e);
    }
    latencies.sort();
    Outcome {
        latencies,
        errors,
        seconds,
        concurrency,
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    if args.target == Target::Postgraphile {
        if args.scenario != Scenario::Dashboard {
            bail!("PostGraphile serves the dashboard scenario only");
        }
        let outcome = crate::postgraphile::load(
            &client,
            &args.postgraphile,
            args.spread,
            args.concurrency,
            args.warmup,
            args.seconds,
        )
        .await?;
        outcome.print("PostGraphile dashboard");
        return outcome.write("postgraphile", args.json_out.as_deref());
    }

    let base = args.base_url.trim_end_matches('/').to_owned();
    let started = Instant::now();
    let sessions = sign_in_all(&client, &base, args.spread).await?;
    println!(
        "signed in {} patients across {} practices in {:.1}s",
        sessions.len(),
        args.spread.tenants,
        started.elapsed().as_secs_f64()
    );

    let query = match args.scenario {
        Scenario::Dashboard => DASHBOARD,
        Scenario::Slots => include_str!("../../../bench/scale/slots.graphql"),
    };
    let today = chrono::Utc::now().date_naive();
    let sessions = &sessions;
    let (client, base) = (&client, base.as_str());
    let outcome = measure(
        args.concurrency,
        args.warmup,
        args.seconds,
        |n| async move {
            let session = &sessions[n % sessions.len()];
            let variables = match args.scenario {
                Scenario::Dashboard => json!({ "patient": session.patient }),
                Scenario::Slots => json!({
                    "type": session.kind,
                    "from": (today + chrono::Duration::days(1)).to_string(),
                    "to": (today + chrono::Duration::days(7)).to_string(),
                }),
            };
            match gql(
                client,
                base,
                &session.slug,
                Some(&session.token),
                query,
                variables,
            )
            .await
            {
                Ok((status, body)) if good(args.scenario, status, &body) => Ok(()),
                Ok((status, body)) => Err(format!("HTTP {status}: {body}")),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    outcome.print(&format!("{:?}", args.scenario));
    outcome.write("portico", args.json_out.as_deref())
}
