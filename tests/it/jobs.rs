//! The job queue of the running profile (apalis on SQLite, or on Redis) and its worker.

use std::time::Duration;

use portico_core::ports::Job;
use portico_tests::spawn_app;

#[tokio::test]
async fn an_enqueued_job_is_run_by_the_in_process_worker() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("clinic-a").await;
    let services = app.services();
    let expected = if app.database.is_postgres() {
        "redis"
    } else {
        "sqlite"
    };
    assert_eq!(services.queue.backend(), expected);

    services
        .queue
        .enqueue(Job::VerifyAuditChain {
            tenant_id: tenant.id(),
        })
        .await
        .unwrap();
    // The worker takes the job: the queue drains.
    let mut depth = u64::MAX;
    for _ in 0..80 {
        depth = services.queue.depth().await.unwrap();
        if depth == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(depth, 0, "the worker ran the job");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("portico_jobs_total{kind=\"verify_audit_chain\",outcome=\"ok\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn without_workers_a_job_waits_in_the_queue() {
    let database = portico_tests::TestDatabase::create().await;
    let config = database.config();
    let app = portico_tests::start(config, database, false).await;
    app.ready().await;
    let tenant = app.create_tenant("clinic-a").await;
    let queue = app.services().queue;
    queue
        .enqueue(Job::VerifyAuditChain {
            tenant_id: tenant.id(),
        })
        .await
        .unwrap();
    assert_eq!(queue.depth().await.unwrap(), 1, "accepted work is kept");
    app.stop().await;
}
