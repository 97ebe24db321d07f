//! The same dashboard load against PostGraphile 5 serving the bench database as the
//! row-level-security role (`bench/compare/postgraphile/server.mjs`).
//!
//! PostGraphile has no sign-in, so the sessions are read from the database with the owner
//! role (the same seeded patients, spread the same way as Portico's sign-ins) and each gets
//! an HS256 token carrying its practice's id, which the server verifies on every request
//! before it sets `app.tenant_id` from it. The query
//! (`bench/compare/postgraphile/dashboard.graphql`) asks for the data Portico's dashboard is
//! made of; the time the last visit ended, which scopes the new results, is read here with
//! the session (a GraphQL argument cannot depend on another field of the same answer).

use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

use crate::load::{Outcome, Spread, measure};

/// The PostGraphile query for one patient's dashboard.
pub const DASHBOARD: &str = include_str!("../../../bench/compare/postgraphile/dashboard.graphql");

#[derive(clap::Args)]
pub struct Args {
    /// PostGraphile's base URL (its endpoint is `/graphql`).
    #[arg(long, default_value = "http://127.0.0.1:18283")]
    postgraphile_url: String,
    /// The owner role's URL of the bench database, to read the sessions' ids.
    #[arg(long, env = "PORTICO_BENCH_OWNER_URL")]
    database_url: Option<String>,
    /// The HS256 secret PostGraphile verifies tokens with (`JWT_SECRET` of server.mjs).
    #[arg(long, env = "PORTICO_BENCH_JWT_SECRET")]
    jwt_secret: Option<String>,
}

/// A seeded patient as PostGraphile sees them: ids, the last visit's end and a token.
struct Session {
    tenant: String,
    patient: String,
    since: String,
    token: String,
}

async fn sessions(args: &Args, spread: Spread) -> anyhow::Result<Vec<Session>> {
    let url = args
        .database_url
        .as_deref()
        .context("--database-url (the owner role's URL) is needed to read the sessions")?;
    let secret = args
        .jwt_secret
        .as_deref()
        .context("--jwt-secret is needed to sign PostGraphile's tokens")?;
    let key = EncodingKey::from_secret(secret.as_bytes());
    let db = Database::connect(url).await?;
    let mut out = Vec::new();
    for s in 0..spread.sessions {
        let (tenant, patient) = spread.pick(s);
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT t.id::text AS tenant, p.id::text AS patient, u.id::text AS user_id, \
                        (SELECT coalesce(e.ended_at, e.started_at) FROM encounters e \
                          WHERE e.tenant_id = p.tenant_id AND e.patient_id = p.id \
                            AND e.status = 'finished' \
                          ORDER BY e.started_at DESC LIMIT 1) AS since \
                   FROM tenants t \
                   JOIN users u ON u.tenant_id = t.id AND u.email = $2 \
                   JOIN patients p ON p.tenant_id = t.id AND p.user_id = u.id \
                  WHERE t.slug = $1",
                [
                    format!("bench-{tenant}").into(),
                    format!("patient{patient}@bench.example").into(),
                ],
            ))
            .await?
            .with_context(|| format!("no patient{patient} in bench-{tenant}: seed first"))?;
        let tenant: String = row.try_get("", "tenant")?;
        let user: String = row.try_get("", "user_id")?;
        let since: Option<DateTime<Utc>> = row.try_get("", "since")?;
        let now = Utc::now().timestamp();
        let claims = json!({
            "sub": user,
            "tenant": tenant,
            "role": "patient",
            "iat": now,
            "exp": now + 3600,
        });
        out.push(Session {
            token: jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)?,
            patient: row.try_get("", "patient")?,
            since: since.unwrap_or(DateTime::UNIX_EPOCH).to_rfc3339(),
            tenant,
        });
    }
    if out.is_empty() {
        bail!("no sessions");
    }
    Ok(out)
}

/// A good answer has what every seeded chart has: the patient, a last visit, results since
/// it, immunizations or prescriptions to derive reminders from, and a booked visit ahead.
fn good(status: u16, body: &Value) -> bool {
    if status != 200 || !body["errors"].is_null() {
        return false;
    }
    let p = &body["data"]["patient"];
    let nodes = |v: &Value| v["nodes"].as_array().map_or(0, Vec::len);
    p["id"].is_string()
        && p["lastVisit"]["nodes"][0]["rowId"].is_string()
        && nodes(&p["newResults"]) > 0
        && nodes(&p["immunizations"]) + nodes(&p["medicationRequests"]) > 0
        && p["nextAppointments"]["nodes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["status"] == "booked"))
}

pub(crate) async fn load(
    client: &reqwest::Client,
    args: &Args,
    spread: Spread,
    concurrency: usize,
    warmup: u64,
    seconds: u64,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let sessions = sessions(args, spread).await?;
    println!(
        "read {} patients across {} practices and signed their tokens in {:.1}s",
        sessions.len(),
        spread.tenants,
        started.elapsed().as_secs_f64()
    );
    let url = format!("{}/graphql", args.postgraphile_url.trim_end_matches('/'));
    let (sessions, url) = (&sessions, url.as_str());
    Ok(measure(concurrency, warmup, seconds, |n| async move {
        let session = &sessions[n % sessions.len()];
        let answer = async {
            let response = client
                .post(url)
                .header("X-Portico-Tenant", &session.tenant)
                .bearer_auth(&session.token)
                .json(&json!({
                    "query": DASHBOARD,
                    "variables": {
                        "tenant": session.tenant,
                        "patient": session.patient,
                        "since": session.since,
                        "now": Utc::now().to_rfc3339(),
                    },
                }))
                .send()
                .await?;
            let status = response.status().as_u16();
            anyhow::Ok((status, response.json::<Value>().await?))
        }
        .await;
        match answer {
            Ok((status, body)) if good(status, &body) => Ok(()),
            Ok((status, body)) => Err(format!("HTTP {status}: {body}")),
            Err(e) => Err(e.to_string()),
        }
    })
    .await)
}
