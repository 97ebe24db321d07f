//! Redis killed (SIGKILL) while a `portico worker` process delivers a batch of 400 emails,
//! and started again on the same port, empty (it keeps nothing on disk): the worker
//! reconnects and keeps running, and every message is delivered exactly once. The jobs Redis
//! lost are recovered from the transactional outbox: once a claim lapses, a relay hands the
//! undelivered messages to the queue again.
//!
//! The test runs its own `redis-server` on a free loopback port, never the shared one, with
//! the database of the current profile (SQLite, or PostgreSQL when it is configured).

use std::time::Duration;

use portico_tests::{TestDatabase, start, tool_installed};
use secrecy::SecretString;

use crate::support::processes::{
    assert_each_delivered_once, batch_of_emails, delivered_files, free_port, redis_server,
    relay_until_delivered, wait_for_files, worker,
};

const MESSAGES: usize = 400;

#[tokio::test]
async fn a_worker_survives_a_redis_restart_and_delivers_every_message_once() {
    let install = "apt-get install redis-server";
    if !tool_installed("redis-server", "redis-server", &["--version"], install) {
        return;
    }
    let port = free_port();
    let mut redis = redis_server(port).await;

    let database = TestDatabase::create().await;
    let mut config = database.config();
    config.queue.redis_url = Some(SecretString::from(format!("redis://127.0.0.1:{port}")));
    config.queue.outbox_claim_secs = 2;
    // This process serves only (and relays, as the sweep would); the worker is a process of
    // its own.
    let app = start(config.clone(), database, false).await;
    app.ready().await;
    assert_eq!(app.services().queue.backend(), "redis");
    let tenant = batch_of_emails(&app, "restart", MESSAGES).await;

    // Kill Redis once delivery is under way, and bring it back empty on the same port.
    let mut worker = worker(&config);
    wait_for_files(&config.notify.outbox_dir, 20).await;
    redis.kill(); // SIGKILL
    let at_kill = delivered_files(&config.notify.outbox_dir).len();
    assert!(
        at_kill < MESSAGES,
        "Redis was killed too late to test anything"
    );
    // A fixed pause on purpose: Redis stays down for a while, so the worker meets the
    // outage (failed polls and reconnects) rather than a restart too quick to notice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _redis = redis_server(port).await;

    let undelivered = relay_until_delivered(&app, &tenant).await;
    assert!(
        worker.is_running(),
        "the worker exited on the Redis failure"
    );
    assert_eq!(
        undelivered, 0,
        "messages left undelivered (at kill: {at_kill})"
    );
    assert_each_delivered_once(&config.notify.outbox_dir, MESSAGES);
}
