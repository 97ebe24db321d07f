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
    // The worker runs the job: its outcome is counted, and the queue is empty.
    let counted = "portico_jobs_total{kind=\"verify_audit_chain\",outcome=\"ok\"}";
    let metrics =
        portico_tests::wait_until("the job counted", Duration::from_secs(10), async || {
            let metrics = app
                .client
                .get(app.url("/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if metrics.contains(counted) {
                Ok(metrics)
            } else {
                Err(metrics)
            }
        })
        .await;
    assert!(
        metrics.contains(counted),
        "the worker ran the job:\n{metrics}"
    );
    assert_eq!(services.queue.depth().await.unwrap(), 0);
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

/// Finished jobs leave Redis at the hourly vacuum (here with no grace): apalis would keep
/// every one's payload and metadata otherwise. The embedded profile keeps its own.
#[tokio::test]
async fn finished_jobs_are_vacuumed_from_redis() {
    use portico_jobs::cron_lease::exclusive;
    let app = spawn_app().await;
    let tenant = app.create_tenant("vacuumed").await;
    let config = app.database.config();
    let queue = match &config.queue.redis_url {
        Some(url) => portico_jobs::ApalisQueue::redis(
            secrecy::ExposeSecret::expose_secret(url),
            &config.queue.redis_prefix,
        )
        .await
        .unwrap(),
        None => portico_jobs::ApalisQueue::sqlite(&app.database.app_url)
            .await
            .unwrap(),
    };
    let enqueue_five = async || {
        for _ in 0..5 {
            app.services()
                .queue
                .enqueue(Job::VerifyAuditChain {
                    tenant_id: tenant.id(),
                })
                .await
                .unwrap();
        }
    };
    if !app.database.is_postgres() {
        enqueue_five().await;
        assert_eq!(queue.vacuum(Duration::ZERO).await.unwrap(), 0);
        return;
    }
    // The in-process worker's every-minute sweep queues a reminder and a relay job for the
    // practice, and its hourly vacuum deletes finished jobs: the test holds both crons'
    // leases, so that the jobs on the queues are its five and it alone vacuums them.
    let db = app.db();
    let held = exclusive(&db, "outbox-sweep", || async {
        let inner = exclusive(&db, "queue-vacuum", || async {
            enqueue_five().await;
            // Each job is deleted once it has run; nothing is deleted twice.
            let mut deleted = 0;
            portico_tests::wait_until("five jobs vacuumed", Duration::from_secs(60), async || {
                deleted += queue.vacuum(Duration::ZERO).await.unwrap();
                if deleted >= 5 { Ok(()) } else { Err(deleted) }
            })
            .await;
            assert_eq!(deleted, 5, "the five finished jobs were vacuumed");
            assert_eq!(queue.vacuum(Duration::ZERO).await.unwrap(), 0);
            Ok::<(), sea_orm::DbErr>(())
        })
        .await?;
        assert!(inner, "the vacuum's lease was free to take");
        Ok::<(), sea_orm::DbErr>(())
    })
    .await;
    assert!(
        matches!(held, Ok(true)),
        "the crons' leases were free to take: {held:?}"
    );
}

/// A cron tick runs on one worker process at a time on PostgreSQL: while one holds the tick's
/// lease, another skips it; once it is done, the next takes it. (The embedded profile is one
/// process and takes no lease.)
#[tokio::test]
async fn a_cron_tick_runs_on_one_worker_at_a_time() {
    use portico_jobs::cron_lease::exclusive;
    let app = spawn_app().await;
    // Two database handles, as two worker processes would have.
    let config = app.database.config();
    let first = portico_core::Db::connect(
        secrecy::ExposeSecret::expose_secret(&config.database.database_url),
        2,
    )
    .await
    .unwrap();
    let second = app.db();
    let (entered_tx, entered) = tokio::sync::oneshot::channel::<()>();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let holder = tokio::spawn(async move {
        exclusive(&first, "test-tick", || async {
            entered_tx.send(()).unwrap();
            released.await.unwrap();
            Ok::<(), sea_orm::DbErr>(())
        })
        .await
        .unwrap()
    });
    entered.await.unwrap();
    let while_held = exclusive(&second, "test-tick", || async {
        Ok::<(), sea_orm::DbErr>(())
    })
    .await
    .unwrap();
    let other_name = exclusive(&second, "another-tick", || async {
        Ok::<(), sea_orm::DbErr>(())
    })
    .await
    .unwrap();
    release.send(()).unwrap();
    assert!(holder.await.unwrap(), "the first worker ran its tick");
    let after = exclusive(&second, "test-tick", || async {
        Ok::<(), sea_orm::DbErr>(())
    })
    .await
    .unwrap();
    assert_eq!(
        while_held,
        !app.database.is_postgres(),
        "skipped while held (PostgreSQL)"
    );
    assert!(other_name, "another cron's lease is its own");
    assert!(after, "taken again once released");
}
