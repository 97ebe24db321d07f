//! A worker process killed with SIGKILL in the middle of a batch of 1,000 reminders, then
//! started again: every reminder is delivered, and each exactly once (a message a dead worker
//! had claimed goes out again under the same message id, so it is the same email).

use portico_tests::{TestDatabase, start};

use crate::support::processes::{
    assert_each_delivered_once, batch_of_emails, delivered_files, relay_until_delivered,
    wait_for_files, worker,
};

const MESSAGES: usize = 1000;

#[tokio::test]
async fn a_worker_killed_mid_batch_and_restarted_delivers_every_reminder_once() {
    let database = TestDatabase::create().await;
    let mut config = database.config();
    config.queue.outbox_claim_secs = 2;
    // This process serves only; the workers are separate processes.
    let app = start(config.clone(), database, false).await;
    app.ready().await;
    let tenant = batch_of_emails(&app, "crash", MESSAGES).await;

    // Kill the first worker once part of the batch is out.
    let mut first = worker(&config);
    wait_for_files(&config.notify.outbox_dir, MESSAGES / 5).await;
    first.kill(); // SIGKILL
    let at_kill = delivered_files(&config.notify.outbox_dir).len();
    assert!(at_kill < MESSAGES, "killed too late to test anything");

    // A new worker finishes the batch; claims the dead worker held lapse and are relayed again.
    let _second = worker(&config);
    let undelivered = relay_until_delivered(&app, &tenant).await;
    assert_eq!(
        undelivered, 0,
        "messages left undelivered (at kill: {at_kill})"
    );
    assert_each_delivered_once(&config.notify.outbox_dir, MESSAGES);
}
