//! The transactional outbox: what a rolled-back transaction wrote is never sent; a message
//! written twice under one key, relayed twice, or delivered by two jobs at once goes out once.

use std::time::Duration;

use portico_core::{
    TenantTx, outbox,
    ports::{Email, Job},
    tenancy::Access,
};
use portico_tests::{TestApp, spawn_app};

fn email(to: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Something is waiting for you".to_owned(),
        text: "Sign in to the portal to see it.".to_owned(),
    }
}

/// Waits until the queue is empty and no message of the tenant is still undelivered.
async fn settle(
    app: &TestApp,
    tenant: &portico_core::tenants::ResolvedTenant,
) -> Vec<portico_core::entities::outbox_message::Model> {
    let queue = app.services().queue;
    for _ in 0..200 {
        let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
            .await
            .unwrap();
        let pending = outbox::pending(&tx, 100).await.unwrap();
        let all = outbox_rows(&tx).await;
        tx.rollback().await.unwrap();
        let undelivered = all.iter().any(|m| m.delivered_at.is_none());
        if pending.is_empty() && !undelivered && queue.depth().await.unwrap() == 0 {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not settle");
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
