//! The production topology on one machine, under faults (`make test-cluster`).
//!
//! A PostgreSQL of the run's own (migrated as the owner, served as the row-level-security
//! role), a Redis of its own, two `portico serve --no-workers`, two `portico worker`, HAProxy
//! in front, a real SMTP server and the project's FHIR test server as the practice's EHR.
//! Patients book visits (each written back to the EHR), ask for refills (routed by a job) and
//! write to their care team; a nurse answers (each answer may email the patient a notice);
//! the practice admin asks for an EHR sync every few seconds; two staff subscribers listen,
//! one on each replica. Meanwhile the run kills (SIGKILL) one replica and one worker and
//! starts them again, restarts Redis (empty: it keeps nothing), and restarts PostgreSQL. Then
//! it checks, and prints as figures: every acknowledged booking, message and refill request
//! is stored exactly once; every booking is in the EHR exactly once; every refill request is
//! routed exactly once; every email notice is delivered, under one Message-ID; the
//! subscribers heard every message posted outside the fault windows; each process was ready
//! again within 10 s of Redis or PostgreSQL coming back without being restarted; no call
//! failed outside the fault windows.

mod services;
mod workload;

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    sync::{Arc, Mutex, atomic::AtomicUsize},
    time::{Duration, Instant},
};

use portico_tests::{Profile, TestDatabase, start, wait_until};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::support::{
    ehr::TOKEN,
    messaging::POST,
    processes::{
        Process, free_listen, free_port, redis_server, server, smtp_server, wait_ready, worker_on,
    },
};
use workload::{Client, Heard, Log, Setup};

const PATIENTS: usize = 8;
/// Load before the first fault and between faults.
const CALM: Duration = Duration::from_secs(8);
/// The longest a process may take to be ready again once Redis or PostgreSQL is back.
const RECOVERY: Duration = Duration::from_secs(10);
/// After every process is ready again: time for the load balancer's health checks and the
/// subscribers to come back, still counted inside the window.
const SETTLE: Duration = Duration::from_secs(2);
/// A message reaches subscribers a moment after its poster's answer: each subscriber reloads
/// it from the database under its own access rules before sending it, so one acknowledged
/// just before a fault may still be on its way when the fault cuts that off. On a loaded
/// machine (CI, debug binaries) that took over a second once.
const IN_FLIGHT: Duration = Duration::from_secs(3);

/// A fault, from when it was injected to when everything had recovered from it.
struct Window {
    name: &'static str,
    from: Instant,
    to: Instant,
    /// From the moment the fault ended (process started again, server back) until every
    /// process answered `/readyz`.
    recovered_in: Duration,
}

impl Window {
    fn overlaps(&self, from: Instant, to: Instant) -> bool {
        from <= self.to && to >= self.from
    }
}

/// Polls each address's `/readyz` until all answer 200; how long that took.
async fn all_ready(addresses: &[String], within: Duration) -> Duration {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let mut pending: Vec<&String> = addresses.iter().collect();
    wait_until("every process ready again", within * 3, async || {
        let mut still = Vec::new();
        for address in pending.drain(..) {
            let ok = client
                .get(format!("http://{address}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if !ok {
                still.push(address);
            }
        }
        pending = still;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(format!("{pending:?}"))
        }
    })
    .await;
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "the production topology under faults: `make test-cluster` runs it"]
async fn the_production_topology_survives_kills_and_restarts() {
    let root = std::env::temp_dir().join(format!("portico-cluster-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&root).unwrap();
    let pg = services::Postgres::start(&root, free_port());
    let redis_port = free_port();
    let mut redis = redis_server(redis_port).await;
    let maildir = root.join("maildir");
    let smtp = smtp_server(&maildir)
        .await
        .expect("aiosmtpd is installed (python3 -m pip install aiosmtpd)");
    let database = TestDatabase::create_empty_on(Profile::Postgres {
        admin_url: pg.admin_url(),
        redis_url: format!("redis://127.0.0.1:{redis_port}"),
    })
    .await;
    let mut config = database.config();
    config.notify.smtp_url = Some(SecretString::from(format!(
        "smtp://127.0.0.1:{}",
        smtp.port
    )));
    config.queue.outbox_claim_secs = 5;
    let ehr = portico_tests::fhir_server::FhirServer::start(&[("FHIR_BEARER_TOKEN", TOKEN)])
        .await
        .expect("Node.js is installed (the FHIR test server runs on it)");
    config.database.database_max_connections = 8;

    // An operator's instance (serving, no workers) migrates and sets the practice up.
    let app = start(config.clone(), database, false).await;
    app.ready().await;
    let setup: Arc<Setup> = Arc::new(workload::setup(&app, PATIENTS, &ehr).await);
    let tenant_id = portico_core::tenants::find_by_slug(&app.db(), workload::SLUG)
        .await
        .unwrap()
        .unwrap()
        .tenant
        .id;

    let apis = [free_listen(), free_listen()];
    let workers = [free_listen(), free_listen()];
    let mut api_processes: Vec<Process> = apis.iter().map(|l| server(&config, l)).collect();
    let mut worker_processes: Vec<Process> =
        workers.iter().map(|l| worker_on(&config, l)).collect();
    let everyone: Vec<String> = apis.iter().chain(workers.iter()).cloned().collect();
    for address in &everyone {
        wait_ready(address).await;
    }
    let lb = free_listen();
    let _haproxy = services::haproxy(&root, &lb, &apis);
    services::wait_listening(&lb).await;
    let client = Client::new(format!("http://{lb}"));

    // One subscriber on each replica; the first replica is the one that will be killed.
    let stop = CancellationToken::new();
    let heard: Vec<Arc<Mutex<Heard>>> = (0..2).map(|_| Arc::default()).collect();
    let mut tasks = Vec::new();
    for (host, heard) in apis.iter().zip(&heard) {
        tasks.push(tokio::spawn(workload::subscriber(
            host.clone(),
            setup.nurse.clone(),
            Arc::clone(heard),
            stop.clone(),
        )));
    }
    // Wait until both hear a message, so that the load starts with live subscriptions: post
    // warm-up messages until one of them was heard on both replicas.
    let mut posted: Vec<String> = Vec::new();
    wait_until("the subscriptions to go live", Duration::from_secs(30), async || {
        let live = posted.iter().any(|body| {
            heard
                .iter()
                .all(|h| h.lock().unwrap().bodies.iter().any(|(b, _)| b == body))
        });
        if live {
            return Ok(());
        }
        let body = format!("warm-up {}", posted.len());
        let patient = &setup.patients[0];
        // HAProxy may still be finding its backends up: before the load, a refusal is retried.
        client
            .call(
                &patient.signed.access,
                POST,
                serde_json::json!({ "input": { "threadId": patient.thread, "body": body, "internal": false } }),
            )
            .await?;
        posted.push(body);
        Err("not heard on both replicas yet".to_owned())
    })
    .await;

    // The load.
    let log = Arc::new(Mutex::new(Log::default()));
    let next_slot = Arc::new(AtomicUsize::new(0));
    let load_stop = CancellationToken::new();
    for who in 0..PATIENTS {
        tasks.push(tokio::spawn(workload::patient(
            client.clone(),
            Arc::clone(&setup),
            who,
            Arc::clone(&next_slot),
            Arc::clone(&log),
            load_stop.clone(),
        )));
    }
    tasks.push(tokio::spawn(workload::syncs(
        client.clone(),
        Arc::clone(&setup),
        Arc::clone(&log),
        load_stop.clone(),
    )));
    tasks.push(tokio::spawn(workload::nurse(
        client.clone(),
        Arc::clone(&setup),
        Arc::clone(&log),
        load_stop.clone(),
    )));
    let run_started = Instant::now();

    // The faults, one after another with calm load between them. The fixed pauses here are
    // the run itself: load that has to go on for a while, and outages that have to last,
    // not waits for something to happen.
    let mut windows = Vec::new();
    tokio::time::sleep(CALM).await;
    let from = Instant::now();
    api_processes[0].kill();
    worker_processes[0].kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    api_processes[0] = server(&config, &apis[0]);
    worker_processes[0] = worker_on(&config, &workers[0]);
    let recovered_in = all_ready(&everyone, RECOVERY).await;
    windows.push(Window {
        name: "kill -9 one API replica and one worker, start them again",
        from,
        to: Instant::now() + SETTLE,
        recovered_in,
    });

    for (name, fault) in [("restart Redis (empty)", 0), ("restart PostgreSQL", 1)] {
        tokio::time::sleep(CALM + SETTLE).await;
        let from = Instant::now();
        if fault == 0 {
            redis.kill();
            tokio::time::sleep(Duration::from_secs(1)).await;
            redis = redis_server(redis_port).await;
        } else {
            pg.restart();
        }
        let recovered_in = all_ready(&everyone, RECOVERY).await;
        for process in api_processes.iter_mut().chain(worker_processes.iter_mut()) {
            assert!(process.is_running(), "a process died of: {name}");
        }
        windows.push(Window {
            name,
            from,
            to: Instant::now() + SETTLE,
            recovered_in,
        });
    }
    tokio::time::sleep(CALM + SETTLE).await;
    load_stop.cancel();
    let run_time = run_started.elapsed();
    // Let the last calls finish and the subscribers hear them: a grace period the figures
    // below are measured after (a message never heard is what they report, so there is
    // nothing to wait for by polling).
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.cancel();
    for task in tasks {
        task.await.unwrap();
    }

    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let delivered = wait_for_outbox(&owner, tenant_id).await;
    wait_for_routing(&owner, tenant_id).await;
    let log = std::mem::take(&mut *log.lock().unwrap());
    let in_ehr = ehr_appointments(&ehr).await;
    let syncs = pairs(
        &owner,
        &format!(
            "SELECT status, count(*)::text FROM ehr_sync_runs WHERE tenant_id = '{tenant_id}' GROUP BY status"
        ),
    )
    .await;
    // What the email notices were: visit reminders (every visit booked inside the practice's
    // 30-day offset gets one at once), message notices, refill notices.
    let kinds = pairs(
        &owner,
        &format!(
            "SELECT split_part(idempotency_key, ':', 1), count(*)::text FROM outbox_messages \
             WHERE tenant_id = '{tenant_id}' AND channel = 'email' GROUP BY 1"
        ),
    )
    .await;
    let seen = Seen {
        log: &log,
        windows: &windows,
        heard: &heard,
        origin: run_started,
        smtp: received_ids(&maildir),
        in_ehr,
        syncs,
    };
    let report = Report::gather(seen, &owner, tenant_id).await;
    report.print(run_time, &windows, &delivered);
    println!("email notices by kind: {kinds:?}");
    assert!(
        kinds.get("reminder").is_some_and(|n| n != "0"),
        "reminders came due during the run: {kinds:?}"
    );
    report.assert_holds(&windows);
    drop(app);
    drop(pg);
    let _ = std::fs::remove_dir_all(&root);
}

/// Email notices and EHR write-backs in the outbox: (all, delivered), once every one is
/// delivered, for up to two minutes (a relay Redis lost is sent again by the every-minute
/// sweep).
async fn wait_for_outbox(owner: &sea_orm::DatabaseConnection, tenant: uuid::Uuid) -> (i64, i64) {
    wait_until("every notice and write-back delivered", Duration::from_secs(120), async || {
        let counts = (
            scalar(owner, &format!("SELECT count(*) FROM outbox_messages WHERE tenant_id = '{tenant}' AND channel IN ('email', 'ehr') AND cancelled_at IS NULL")).await,
            scalar(owner, &format!("SELECT count(*) FROM outbox_messages WHERE tenant_id = '{tenant}' AND channel IN ('email', 'ehr') AND cancelled_at IS NULL AND delivered_at IS NOT NULL")).await,
        );
        if counts.0 == counts.1 {
            Ok(counts)
        } else {
            Err(format!("{} of {} delivered", counts.1, counts.0))
        }
    })
    .await
}

/// Waits (up to two minutes) until no refill request waits for routing: a routing job that
/// failed while the database restarted, or was lost with a killed worker, is queued again by
/// the minute sweep once its request has waited `REROUTE_AFTER` (30 s).
async fn wait_for_routing(owner: &sea_orm::DatabaseConnection, tenant: uuid::Uuid) {
    wait_until("every refill request routed", Duration::from_secs(120), async || {
        let waiting = scalar(
            owner,
            &format!(
                "SELECT count(*) FROM refill_requests WHERE tenant_id = '{tenant}' AND status = 'requested'"
            ),
        )
        .await;
        if waiting == 0 { Ok(()) } else { Err(waiting) }
    })
    .await;
}

async fn scalar(owner: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = owner
        .query_one_raw(Statement::from_string(owner.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn strings(owner: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    owner
        .query_all_raw(Statement::from_string(owner.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn pairs(owner: &sea_orm::DatabaseConnection, sql: &str) -> HashMap<String, String> {
    use sea_orm::{ConnectionTrait, Statement};
    owner
        .query_all_raw(Statement::from_string(owner.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get_by_index::<String>(0).unwrap(),
                row.try_get_by_index::<String>(1).unwrap(),
            )
        })
        .collect()
}

/// Portico's appointments in the EHR: how many Appointment resources carry each Portico
/// appointment id (walking the search's pages).
async fn ehr_appointments(ehr: &portico_tests::fhir_server::FhirServer) -> HashMap<String, usize> {
    let client = reqwest::Client::new();
    let mut next = Some(format!("{}/Appointment?_count=200", ehr.base_url));
    let mut found = HashMap::new();
    while let Some(url) = next.take() {
        let page: serde_json::Value = client
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for entry in page["entry"].as_array().into_iter().flatten() {
            for identifier in entry["resource"]["identifier"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if identifier["system"] == "urn:portico:appointment"
                    && let Some(value) = identifier["value"].as_str()
                {
                    *found.entry(value.to_owned()).or_insert(0) += 1;
                }
            }
        }
        next = page["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str())
            .map(str::to_owned);
    }
    found
}

/// Every Message-ID the SMTP server received, with how many times.
fn received_ids(maildir: &Path) -> HashMap<String, usize> {
    let mut ids = HashMap::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let id = text
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("message-id")
                        .then(|| value.trim().trim_matches(['<', '>']).to_owned())
                })
                .unwrap_or_default();
            *ids.entry(id).or_insert(0) += 1;
        }
    }
    ids
}

/// What the run did and what its witnesses (the SMTP server, the EHR) saw.
struct Seen<'a> {
    log: &'a Log,
    windows: &'a [Window],
    heard: &'a [Arc<Mutex<Heard>>],
    /// When the load started: times in the report count from here.
    origin: Instant,
    smtp: HashMap<String, usize>,
    in_ehr: HashMap<String, usize>,
    syncs: HashMap<String, String>,
}

struct Report {
    calls: usize,
    failed_in_windows: usize,
    failed_outside: Vec<String>,
    acked_bookings: usize,
    stored_bookings: usize,
    bookings_missing: usize,
    slots_twice: usize,
    acked_messages: usize,
    messages_missing: usize,
    messages_twice: usize,
    /// Acknowledged bookings with no Appointment in the EHR, and Portico appointments that
    /// are there more than once.
    ehr_missing: usize,
    ehr_twice: usize,
    ehr_appointments: usize,
    /// EHR sync runs by status.
    syncs: HashMap<String, String>,
    acked_refills: usize,
    refills_missing: usize,
    refills_unrouted: usize,
    /// Requests whose routing was recorded other than once (in the audit log, sealed or
    /// still waiting for the sealer).
    refills_not_routed_once: usize,
    outbox_ids: HashSet<String>,
    smtp: HashMap<String, usize>,
    /// Per subscriber: messages it should have heard, and those it did not (with when they
    /// were posted).
    heard: Vec<(usize, Vec<String>, usize)>,
    /// Seconds from the start of the load: the windows, each subscriber's subscriptions, and
    /// the posts of the messages a subscriber missed.
    timeline: String,
}

impl Report {
    async fn gather(
        seen: Seen<'_>,
        owner: &sea_orm::DatabaseConnection,
        tenant: uuid::Uuid,
    ) -> Self {
        let Seen {
            log,
            windows,
            heard,
            origin,
            smtp,
            in_ehr,
            syncs,
        } = seen;
        let secs = |t: Instant| t.saturating_duration_since(origin).as_secs_f64();
        let outside = |from: Instant, to: Instant| !windows.iter().any(|w| w.overlaps(from, to));
        let outside_for_subscribers =
            |from: Instant, to: Instant| !windows.iter().any(|w| w.overlaps(from, to + IN_FLIGHT));
        let failed: Vec<_> = log.calls.iter().filter(|c| c.error.is_some()).collect();
        let failed_outside: Vec<String> = failed
            .iter()
            .filter(|c| outside(c.from, c.to))
            .map(|c| format!("{}: {}", c.what, c.error.as_deref().unwrap_or_default()))
            .collect();

        let stored: Vec<String> = strings(
            owner,
            &format!("SELECT id::text FROM appointments WHERE tenant_id = '{tenant}'"),
        )
        .await;
        let stored_set: HashSet<&String> = stored.iter().collect();
        let bookings_missing = log
            .bookings
            .iter()
            .filter(|(id, _)| !stored_set.contains(&id.to_string()))
            .count();
        let slots_twice = scalar(
            owner,
            &format!(
                "SELECT count(*) FROM (SELECT starts_at FROM appointments WHERE tenant_id = '{tenant}' \
                 AND status <> 'cancelled' GROUP BY provider_id, starts_at HAVING count(*) > 1) twice"
            ),
        )
        .await as usize;

        let bodies = strings(
            owner,
            &format!("SELECT body FROM thread_messages WHERE tenant_id = '{tenant}'"),
        )
        .await;
        let mut stored_bodies: HashMap<&str, usize> = HashMap::new();
        for body in &bodies {
            *stored_bodies.entry(body.as_str()).or_default() += 1;
        }
        let messages_missing = log
            .messages
            .iter()
            .filter(|(b, ..)| !stored_bodies.contains_key(b.as_str()))
            .count();
        let messages_twice = stored_bodies.values().filter(|n| **n > 1).count();

        let refills: HashMap<String, String> = pairs(
            owner,
            &format!("SELECT id::text, status FROM refill_requests WHERE tenant_id = '{tenant}'"),
        )
        .await;
        let routes: HashMap<String, String> = pairs(
            owner,
            &format!(
                "SELECT resource_id::text, count(*)::text FROM (\
                 SELECT resource_id FROM audit_events WHERE tenant_id = '{tenant}' AND action = 'refill.route' \
                 UNION ALL \
                 SELECT resource_id FROM audit_pending WHERE tenant_id = '{tenant}' AND action = 'refill.route'\
                 ) routes GROUP BY resource_id"
            ),
        )
        .await;
        let refills_missing = log
            .refills
            .iter()
            .filter(|id| !refills.contains_key(&id.to_string()))
            .count();
        let refills_unrouted = refills.values().filter(|s| *s == "requested").count();
        let refills_not_routed_once = refills
            .keys()
            .filter(|id| routes.get(*id).map(String::as_str) != Some("1"))
            .count();

        let outbox_ids: HashSet<String> = strings(
            owner,
            &format!(
                "SELECT id::text FROM outbox_messages WHERE tenant_id = '{tenant}' \
                 AND channel = 'email' AND cancelled_at IS NULL"
            ),
        )
        .await
        .into_iter()
        .map(|id| format!("{id}@portico"))
        .collect();

        let heard_report: Vec<(usize, Vec<String>, usize)> = heard
            .iter()
            .map(|h| {
                let h = h.lock().unwrap();
                let got: HashSet<&str> = h.bodies.iter().map(|(b, _)| b.as_str()).collect();
                let expected: Vec<&(String, Instant, Instant)> = log
                    .messages
                    .iter()
                    .filter(|(_, from, to)| outside_for_subscribers(*from, *to))
                    .collect();
                let missed: Vec<String> = expected
                    .iter()
                    .filter(|(b, ..)| !got.contains(b.as_str()))
                    .map(|(b, from, to)| format!("{b} posted {:.2}-{:.2}", secs(*from), secs(*to)))
                    .collect();
                (expected.len(), missed, h.subscribed.len())
            })
            .collect();
        let timeline = format!(
            "windows {:?}; subscriptions {:?}",
            windows
                .iter()
                .map(|w| (secs(w.from), secs(w.to)))
                .collect::<Vec<_>>(),
            heard
                .iter()
                .map(|h| h
                    .lock()
                    .unwrap()
                    .subscribed
                    .iter()
                    .map(|t| secs(*t))
                    .collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );

        Self {
            calls: log.calls.len(),
            failed_in_windows: failed.len() - failed_outside.len(),
            failed_outside,
            acked_bookings: log.bookings.len(),
            stored_bookings: stored.len(),
            bookings_missing,
            slots_twice,
            acked_messages: log.messages.len(),
            messages_missing,
            messages_twice,
            ehr_missing: log
                .bookings
                .iter()
                .filter(|(id, _)| !in_ehr.contains_key(&id.to_string()))
                .count(),
            ehr_twice: in_ehr.values().filter(|n| **n > 1).count(),
            ehr_appointments: in_ehr.values().sum(),
            syncs,
            acked_refills: log.refills.len(),
            refills_missing,
            refills_unrouted,
            refills_not_routed_once,
            outbox_ids,
            smtp,
            heard: heard_report,
            timeline,
        }
    }

    fn print(&self, run_time: Duration, windows: &[Window], delivered: &(i64, i64)) {
        let transmissions: usize = self.smtp.values().sum();
        let distinct_known = self
            .smtp
            .keys()
            .filter(|id| self.outbox_ids.contains(*id))
            .count();
        let resent = self.smtp.values().filter(|n| **n > 1).count();
        println!("\n== cluster run: {:.0} s of load", run_time.as_secs_f64());
        for w in windows {
            println!(
                "fault: {:<58} window {:>5.1} s, every process ready {:>5.2} s after it ended",
                w.name,
                (w.to - w.from).as_secs_f64(),
                w.recovered_in.as_secs_f64()
            );
        }
        println!(
            "calls: {} (failed inside fault windows: {}, outside: {})",
            self.calls,
            self.failed_in_windows,
            self.failed_outside.len()
        );
        println!(
            "bookings: {} acknowledged, {} stored, {} acknowledged but missing, {} slots booked twice",
            self.acked_bookings, self.stored_bookings, self.bookings_missing, self.slots_twice
        );
        println!(
            "messages: {} acknowledged, {} missing, {} stored more than once",
            self.acked_messages, self.messages_missing, self.messages_twice
        );
        println!(
            "EHR write-back: {} Appointment resources for Portico's appointments, {} acknowledged bookings missing, {} written twice; sync runs by status: {:?}",
            self.ehr_appointments, self.ehr_missing, self.ehr_twice, self.syncs
        );
        println!(
            "refills: {} acknowledged, {} missing, {} still unrouted, {} not routed exactly once",
            self.acked_refills,
            self.refills_missing,
            self.refills_unrouted,
            self.refills_not_routed_once
        );
        println!(
            "outbox (email notices and EHR write-backs): {} of {} delivered",
            delivered.1, delivered.0
        );
        println!(
            "email notices: {} in the outbox; SMTP received {} distinct ({} of them known), {} transmissions, {} sent again under the same Message-ID",
            self.outbox_ids.len(),
            self.smtp.len(),
            distinct_known,
            transmissions,
            resent
        );
        for (i, (expected, missed, subscriptions)) in self.heard.iter().enumerate() {
            println!(
                "subscriber on replica {} ({}): {} subscriptions, heard {} of {} messages posted outside the windows",
                i + 1,
                if i == 0 {
                    "killed and restarted"
                } else {
                    "survivor"
                },
                subscriptions,
                expected - missed.len(),
                expected
            );
        }
    }

    fn assert_holds(&self, windows: &[Window]) {
        assert!(
            self.failed_outside.is_empty(),
            "calls failed outside the fault windows: {:?}",
            self.failed_outside
        );
        assert!(
            self.acked_bookings > 0 && self.acked_messages > 0,
            "the load ran"
        );
        assert_eq!(self.bookings_missing, 0, "acknowledged bookings lost");
        assert_eq!(self.slots_twice, 0, "a slot booked twice");
        assert_eq!(self.messages_missing, 0, "acknowledged messages lost");
        assert_eq!(self.messages_twice, 0, "messages stored twice");
        assert_eq!(
            self.ehr_missing, 0,
            "acknowledged bookings never written back"
        );
        assert_eq!(self.ehr_twice, 0, "bookings written back twice");
        assert!(
            self.syncs.get("succeeded").is_some_and(|n| n != "0"),
            "EHR syncs ran: {:?}",
            self.syncs
        );
        assert!(self.acked_refills > 0, "refills were asked for");
        assert_eq!(self.refills_missing, 0, "acknowledged refill requests lost");
        assert_eq!(self.refills_unrouted, 0, "refill requests never routed");
        assert_eq!(
            self.refills_not_routed_once, 0,
            "refill requests routed other than once"
        );
        assert!(!self.outbox_ids.is_empty(), "notices were sent");
        let missing: Vec<&String> = self
            .outbox_ids
            .iter()
            .filter(|id| !self.smtp.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "notices never delivered: {missing:?}");
        let unknown: Vec<&String> = self
            .smtp
            .keys()
            .filter(|id| !self.outbox_ids.contains(*id))
            .collect();
        assert!(
            unknown.is_empty(),
            "emails that are not in the outbox: {unknown:?}"
        );
        for (i, (_, missed, _)) in self.heard.iter().enumerate() {
            assert!(
                missed.is_empty(),
                "subscriber {} missed {missed:?} ({})",
                i + 1,
                self.timeline
            );
        }
        for w in windows.iter().skip(1) {
            assert!(
                w.recovered_in <= RECOVERY,
                "{}: ready again only after {:?}",
                w.name,
                w.recovered_in
            );
        }
    }
}
