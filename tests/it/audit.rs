//! The audit log: every patient access writes an event in the same transaction, and the
//! per-tenant hash chain shows tampering.

use portico_core::{
    TenantTx,
    audit::{self, Actor},
    patients,
    tenancy::Access,
};
use portico_tests::{new_patient, spawn_app};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn patient_access_is_audited_and_an_edited_event_breaks_the_chain() {
    let app = spawn_app().await;
    let db = app.db();
    let a = app.create_tenant("clinic-a").await;
    let b = app.create_tenant("clinic-b").await;
    let actor = Actor::system();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let p = patients::create(&tx, &actor, new_patient("Ada"))
        .await
        .unwrap();
    patients::get(&tx, &actor, portico_core::PatientId::from_uuid(p.id))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // B's chain is separate and empty.
    let tx = TenantTx::begin(&db, &b.scope(), Access::Read)
        .await
        .unwrap();
    assert_eq!(audit::verify_chain(&tx).await.unwrap().events, 0);
    tx.rollback().await.unwrap();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Read)
        .await
        .unwrap();
    let report = audit::verify_chain(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(report.events, 2, "create and read");
    assert_eq!(report.first_broken_seq, None);

    // Someone with the owner's access edits the first event.
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    owner
        .execute_unprepared("UPDATE audit_events SET action = 'patient.list' WHERE seq = 1")
        .await
        .unwrap();
    owner.close().await.unwrap();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Read)
        .await
        .unwrap();
    let report = audit::verify_chain(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(report.first_broken_seq, Some(1));
}

#[tokio::test]
async fn a_failed_write_leaves_no_audit_event_behind() {
    let app = spawn_app().await;
    let db = app.db();
    let a = app.create_tenant("clinic-a").await;
    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let missing = portico_core::PatientId::new();
    assert!(patients::get(&tx, &Actor::system(), missing).await.is_err());
    tx.commit().await.unwrap();
    let tx = TenantTx::begin(&db, &a.scope(), Access::Read)
        .await
        .unwrap();
    assert_eq!(audit::verify_chain(&tx).await.unwrap().events, 0);
    tx.rollback().await.unwrap();
}
