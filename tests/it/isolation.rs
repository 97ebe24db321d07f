//! Tenant isolation through the tenant-scoped transaction, on whichever profile runs.

use chrono::NaiveDate;
use portico_core::{
    CoreError, TenantTx,
    audit::Actor,
    patients::{self, NewPatient},
    tenancy::Access,
};
use portico_tests::{new_patient, spawn_app};

#[tokio::test]
async fn tenant_a_cannot_see_or_change_tenant_b_patients() {
    let app = spawn_app().await;
    let db = app.db();
    let a = app.create_tenant("clinic-a").await;
    let b = app.create_tenant("clinic-b").await;
    let actor = Actor::system();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let a1 = patients::create(&tx, &actor, new_patient("Ann"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let tx = TenantTx::begin(&db, &b.scope(), Access::Write)
        .await
        .unwrap();
    let b1 = patients::create(&tx, &actor, new_patient("Bob"))
        .await
        .unwrap();
    // The same MRN in another practice is fine: uniqueness is per tenant.
    let b2 = patients::create(&tx, &actor, new_patient("Ann"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let b_id = portico_core::PatientId::from_uuid(b1.id);
    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let listed = patients::list(&tx, &actor, None, 100).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a1.id]);
    assert!(matches!(
        patients::get(&tx, &actor, b_id).await,
        Err(CoreError::NotFound)
    ));
    assert!(matches!(
        patients::delete(&tx, &actor, b_id).await,
        Err(CoreError::NotFound)
    ));
    tx.commit().await.unwrap();

    // A reading transaction reads B's chart, and its read is in B's audit log once it ends.
    let tx = TenantTx::begin(&db, &b.scope(), Access::Read)
        .await
        .unwrap();
    let still = patients::get(&tx, &actor, b_id).await;
    tx.commit().await.unwrap();
    let still = still.expect("B's patient is untouched");
    assert_eq!(still.email, None);
    assert_eq!(still.phone.as_deref(), Some("555-0100"));
    assert_eq!(b2.tenant_id, b.id().as_uuid());
    let tx = TenantTx::begin(&db, &b.scope(), Access::Write)
        .await
        .unwrap();
    let events = portico_core::audit::search(&tx, &Default::default(), 100)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "patient.read" && e.patient_id == Some(b_id.as_uuid())),
        "{events:?}"
    );
}

#[tokio::test]
async fn bad_patient_input_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let db = app.db();
    let a = app.create_tenant("clinic-a").await;
    let actor = Actor::system();
    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let future = NewPatient {
        birth_date: NaiveDate::from_ymd_opt(2999, 1, 1),
        ..new_patient("Zed")
    };
    let err = patients::create(&tx, &actor, future).await.unwrap_err();
    assert_eq!(err.code(), "INVALID_DATE");
    let blank = NewPatient {
        given_name: "  ".to_owned(),
        ..new_patient("Zed")
    };
    assert_eq!(
        patients::create(&tx, &actor, blank)
            .await
            .unwrap_err()
            .code(),
        "INVALID_NAME"
    );
    patients::create(&tx, &actor, new_patient("Dup"))
        .await
        .unwrap();
    let dup = patients::create(&tx, &actor, new_patient("Dup")).await;
    tx.rollback().await.unwrap();
    assert_eq!(dup.unwrap_err().code(), "CONFLICT");

    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let listed = patients::list(&tx, &actor, None, 10).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn bad_tenant_input_is_refused_with_a_code() {
    let app = spawn_app().await;
    let db = app.db();
    let mut new = portico_core::tenants::NewTenant {
        slug: "www".to_owned(),
        name: "Clinic".to_owned(),
        time_zone: "America/Chicago".to_owned(),
        branding: None,
        custom_domain: None,
    };
    let err = portico_core::tenants::create(&db, new.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "RESERVED_SLUG");
    new.slug = "Bad Slug".to_owned();
    let err = portico_core::tenants::create(&db, new.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_SLUG");
    new.slug = "good-slug".to_owned();
    new.time_zone = "Nowhere/Land".to_owned();
    let err = portico_core::tenants::create(&db, new.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_TIME_ZONE");
    new.time_zone = "Europe/Paris".to_owned();
    portico_core::tenants::create(&db, new.clone())
        .await
        .unwrap();
    let err = portico_core::tenants::create(&db, new).await.unwrap_err();
    assert_eq!(err.code(), "CONFLICT");
    assert_eq!(portico_core::tenants::list_ids(&db).await.unwrap().len(), 1);
}
