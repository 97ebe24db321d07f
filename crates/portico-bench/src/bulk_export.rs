//! Bulk Data export throughput: the practice the EHR ingest benchmark has just filled (600
//! synthetic patients make about 10,000 resources) exported whole by a backend service, as
//! the `ExportBulk` job does it, into an in-memory store: charts, resources and bytes written,
//! the time, and the database statements it took.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use portico_core::{
    Db, TenantTx, UserId,
    audit::Actor,
    fhir_api::{
        Sees, SystemScopes,
        bulk::{self, Level},
    },
    ports::{AttachmentStore, PortError},
    smart::backend,
    tenancy::Access,
    tenants::ResolvedTenant,
};

/// Where the files go: kept in memory, their sizes summed.
#[derive(Default)]
struct Memory(Mutex<HashMap<String, usize>>);

#[async_trait]
impl AttachmentStore for Memory {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), PortError> {
        if let Ok(mut kept) = self.0.lock() {
            kept.insert(key.to_owned(), bytes.len());
        }
        Ok(())
    }
    async fn get(&self, _key: &str) -> Result<Vec<u8>, PortError> {
        Ok(Vec::new())
    }
    async fn delete(&self, key: &str) -> Result<(), PortError> {
        if let Ok(mut kept) = self.0.lock() {
            kept.remove(key);
        }
        Ok(())
    }
    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// A P-384 public key in the right shape: the benchmark signs no assertion.
const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"bench","x":"AAAA","y":"AAAA"}]}"#;

pub async fn run(db: &Db, tenant: &ResolvedTenant) -> anyhow::Result<()> {
    let actor = Actor::system();
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let service = backend::register(
        &tx,
        &actor,
        UserId::from_uuid(uuid::Uuid::nil()),
        "Bench",
        JWKS,
    )
    .await?;
    let export = bulk::kick_off(
        &tx,
        &actor,
        bulk::Ask {
            app: service.id,
            scopes: &SystemScopes::parse("system/*.rs"),
            sees: Sees {
                appointments: true,
                home_readings: true,
            },
            level: Level::System,
            pairs: &[],
            url: "bench",
        },
    )
    .await?;
    tx.commit().await?;
    let store = Memory::default();
    let started = Instant::now();
    let (done, statements) =
        portico_core::statements::counted(bulk::export(db, &store, tenant.id(), export.id)).await;
    done?;
    let took = started.elapsed();
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
    let (row, files) = bulk::status(&tx, service.id, export.id).await?;
    tx.commit().await?;
    let resources: i64 = files.iter().map(|f| i64::from(f.resources)).sum();
    let bytes: i64 = files.iter().map(|f| f.bytes).sum();
    println!(
        "bulk export {}: {} charts, {resources} resources in {} files, {:.1} MB",
        row.status,
        row.charts_done,
        files.len(),
        bytes as f64 / 1e6
    );
    let per_second = |n: i64| n as f64 / took.as_secs_f64().max(1e-9);
    println!(
        "  {:.2} s: {:.0} resources/s, {:.0} charts/s; {} statements, {} ms waiting on the database",
        took.as_secs_f64(),
        per_second(resources),
        per_second(i64::from(row.charts_done)),
        statements.statements,
        Duration::from_micros(u64::from(statements.micros)).as_millis()
    );
    Ok(())
}
