//! The transactional outbox: what a rolled-back transaction wrote is never sent; a message
//! written twice under one key, relayed twice, or delivered by two jobs at once goes out once.

use std::time::Duration;

use portico_core::{
    TenantTx, outbox,
    ports::{Email, Job},
    tenancy::Access,
};
use portico_tests::{TestApp, spawn_app, wait_until};

use crate::support::processes::relay;

fn email(to: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Something is waiting for you".to_owned(),
        text: "Sign in to the portal to see it.".to_owned(),
        html: None,
        message_id: None,
    }
}

/// Waits until the queue is empty and no message of the tenant is still undelivered.
async fn settle(
    app: &TestApp,
    tenant: &portico_core::tenants::ResolvedTenant,
) -> Vec<portico_core::entities::outbox_message::Model> {
    let queue = app.services().queue;
    wait_until(
        "the outbox to settle",
        Duration::from_secs(10),
        async || {
            let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
                .await
                .unwrap();
            let pending = outbox::pending(&tx, 100).await.unwrap();
            let all = outbox_rows(&tx).await;
            tx.rollback().await.unwrap();
            let undelivered = all.iter().any(|m| m.delivered_at.is_none());
            (pending.is_empty() && !undelivered && queue.depth().await.unwrap() == 0).then_some(all)
        },
    )
    .await
}

async fn outbox_rows(tx: &TenantTx) -> Vec<portico_core::entities::outbox_message::Model> {
    outbox::all(tx).await.unwrap()
}

#[tokio::test]
async fn a_committed_message_goes_out_once_and_a_rolled_back_one_never() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("outbox").await;
    let db = app.db();

    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
        .await
        .unwrap();
    assert!(
        outbox::email(&tx, "never", &email("never@outbox.example"))
            .await
            .unwrap()
    );
    tx.rollback().await.unwrap();

    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
        .await
        .unwrap();
    assert!(
        outbox::email(&tx, "once", &email("once@outbox.example"))
            .await
            .unwrap()
    );
    // The same effect again keeps the first message.
    assert!(
        !outbox::email(&tx, "once", &email("once@outbox.example"))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    // Relayed twice, and each message delivered by two jobs at once.
    let queue = app.services().queue;
    let tenant_id = tenant.id();
    queue.enqueue(Job::RelayOutbox { tenant_id }).await.unwrap();
    queue.enqueue(Job::RelayOutbox { tenant_id }).await.unwrap();
    let rows = settle(&app, &tenant).await;
    assert_eq!(rows.len(), 1);
    for _ in 0..2 {
        queue
            .enqueue(Job::DeliverMessage {
                tenant_id,
                message_id: rows[0].id,
            })
            .await
            .unwrap();
    }
    let rows = settle(&app, &tenant).await;
    assert_eq!(rows[0].attempts, 1, "claimed once: {rows:?}");
    let sent: Vec<String> = app
        .outbox()
        .into_iter()
        .filter(|m| m.contains("@outbox.example"))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("once@outbox.example"));
}

#[tokio::test]
async fn overlapping_batches_deliver_each_message_once() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("batches").await;
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    for i in 0..6 {
        let to = format!("patient{i}@batches.example");
        assert!(
            outbox::email(&tx, &format!("batch-{i}"), &email(&to))
                .await
                .unwrap()
        );
    }
    let ids: Vec<uuid::Uuid> = outbox_rows(&tx).await.iter().map(|m| m.id).collect();
    tx.commit().await.unwrap();

    // Two jobs whose batches share two messages, run side by side by the workers.
    let queue = app.services().queue;
    let tenant_id = tenant.id();
    queue
        .enqueue_all(vec![
            Job::DeliverMessages {
                tenant_id,
                message_ids: ids[..4].to_vec(),
            },
            Job::DeliverMessages {
                tenant_id,
                message_ids: ids[2..].to_vec(),
            },
        ])
        .await
        .unwrap();
    let rows = settle(&app, &tenant).await;
    assert_eq!(rows.len(), 6);
    for row in &rows {
        assert_eq!(row.attempts, 1, "claimed once: {row:?}");
        // Delivered: the body (which may carry a link) is gone, the address stays.
        let kept = outbox::email_of(row).unwrap();
        assert!(kept.text.is_empty() && kept.to.ends_with("@batches.example"));
    }
    let sent: Vec<String> = app
        .outbox()
        .into_iter()
        .filter(|m| m.contains("@batches.example"))
        .collect();
    assert_eq!(sent.len(), 6, "{sent:?}");
    for i in 0..6 {
        let to = format!("patient{i}@batches.example");
        assert_eq!(sent.iter().filter(|m| m.contains(&to)).count(), 1, "{to}");
    }
}

#[tokio::test]
async fn a_delivery_batch_naming_another_practices_messages_claims_none_of_them() {
    let app = spawn_app().await;
    let owner = app.create_tenant("owner").await;
    let other = app.create_tenant("other").await;
    let tx = TenantTx::begin(&app.db(), &owner.scope(), Access::Write)
        .await
        .unwrap();
    for i in 0..3 {
        let to = format!("patient{i}@owner.example");
        assert!(
            outbox::email(&tx, &format!("owned-{i}"), &email(&to))
                .await
                .unwrap()
        );
    }
    let ids: Vec<uuid::Uuid> = outbox_rows(&tx).await.iter().map(|m| m.id).collect();
    tx.commit().await.unwrap();

    // What a `DeliverMessages` job for the other practice does first: claim its batch.
    let tx = TenantTx::begin(&app.db(), &other.scope(), Access::Write)
        .await
        .unwrap();
    let claimed = outbox::claim_many(&tx, &ids, chrono::Utc::now(), chrono::Duration::minutes(5))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        claimed.is_empty(),
        "another practice's batch claimed {claimed:?}"
    );
    // The messages are still their practice's to deliver (whether its own relay, which runs
    // every minute, has sent them by now is not this test's concern).
    let tx = TenantTx::begin(&app.db(), &owner.scope(), Access::Read)
        .await
        .unwrap();
    let rows = outbox_rows(&tx).await;
    tx.rollback().await.unwrap();
    assert_eq!(
        rows.iter().map(|m| m.id).collect::<Vec<_>>(),
        ids,
        "the owner still sees its three messages"
    );
}

#[tokio::test]
async fn failures_back_off_then_wait_for_an_admin_who_retries_them() {
    use portico_core::identity::Role;
    use serde_json::json;
    let app = spawn_app().await;
    let admin = app.practice_admin("retry").await;
    let (staff, _) = app.add_user("retry", Role::Staff).await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "retry")
        .await
        .unwrap()
        .unwrap();
    let db = app.db();
    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
        .await
        .unwrap();
    assert!(
        outbox::email(&tx, "bounced", &email("later@retry.example"))
            .await
            .unwrap()
    );
    let id = outbox::all(&tx).await.unwrap()[0].id;
    // A worker claims it and the mail server refuses it, five times.
    for attempt in 1..=outbox::MAX_ATTEMPTS {
        let claimed = outbox::claim(&tx, id, chrono::Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.attempts, attempt);
        outbox::mark_failed(&tx, id, claimed.attempts, "smtp: 550 mailbox unavailable")
            .await
            .unwrap();
        // Backing off: not handed out again before its time.
        assert!(outbox::pending(&tx, 10).await.unwrap().is_empty());
    }
    assert!(
        outbox::claim(&tx, id, chrono::Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();
    assert!(outbox::backoff(1) < outbox::backoff(2) && outbox::backoff(2) < outbox::backoff(3));

    const FAILED: &str = "{ failedDeliveries { id to attempts lastError } }";
    let (_, refused) = app.gql_as("retry", &staff.access, FAILED, json!({})).await;
    assert_eq!(portico_tests::error_code(&refused), Some("FORBIDDEN"));
    let (_, failed) = app.gql_as("retry", &admin.access, FAILED, json!({})).await;
    let entry = &failed["data"]["failedDeliveries"][0];
    assert_eq!(entry["to"], "later@retry.example", "{failed}");
    assert_eq!(entry["attempts"], outbox::MAX_ATTEMPTS);
    assert!(entry["lastError"].as_str().unwrap().contains("550"));

    let (_, retried) = app
        .gql_as(
            "retry",
            &admin.access,
            "mutation($id: ID!) { retryDelivery(input: { deliveryId: $id }) { delivery { attempts } } }",
            json!({ "id": entry["id"] }),
        )
        .await;
    assert_eq!(
        retried["data"]["retryDelivery"]["delivery"]["attempts"], 0,
        "{retried}"
    );
    // The relay hands it out again and this time it goes.
    let mail = app.wait_for_email_to("later@retry.example").await;
    assert!(mail.contains("Something is waiting"));
    let (_, after) = app.gql_as("retry", &admin.access, FAILED, json!({})).await;
    assert_eq!(after["data"]["failedDeliveries"], json!([]));
}

#[tokio::test]
async fn a_delivered_message_keeps_no_body_in_the_database() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("redact").await;
    let db = app.db();
    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let mut secret = email("link@redact.example");
    secret.text = "Confirm here: https://portal.test/visit#token=rem_secret".to_owned();
    assert!(outbox::email(&tx, "link", &secret).await.unwrap());
    tx.commit().await.unwrap();
    relay(&app, tenant.id()).await;
    let mail = app.wait_for_email_to("link@redact.example").await;
    assert!(
        mail.contains("rem_secret"),
        "the email itself carries the link"
    );
    let rows = settle(&app, &tenant).await;
    assert!(
        !rows[0].payload.contains("rem_secret"),
        "{:?}",
        rows[0].payload
    );
    assert!(rows[0].payload.contains("link@redact.example"));
}
