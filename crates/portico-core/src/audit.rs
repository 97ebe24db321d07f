//! The audit log: one append-only event for every access to patient data, written in the
//! same transaction as the access and hash-chained per tenant so that an edited or deleted
//! event breaks the chain.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    AuditEventId, CoreError, CoreResult, TenantTx,
    entities::audit_event::{self, Column},
};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something. Ids only: never a name or anything else that identifies a patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub request_id: Option<String>,
    pub role: Option<&'static str>,
    pub client_ip: Option<std::net::IpAddr>,
    /// The break-glass access the actor is using, if any: its events are flagged.
    pub break_glass: Option<Uuid>,
}

impl Actor {
    /// A signed-in user (or one signing in).
    pub fn user(id: Uuid) -> Self {
        Self {
            kind: "user",
            id: Some(id),
            request_id: None,
            role: None,
            client_ip: None,
            break_glass: None,
        }
    }

    pub fn with_request(mut self, request_id: &str) -> Self {
        self.request_id = Some(request_id.to_owned());
        self
    }

    pub fn with_role(mut self, role: crate::identity::Role) -> Self {
        self.role = Some(role.as_str());
        self
    }

    pub fn with_break_glass(mut self, access: Option<Uuid>) -> Self {
        self.break_glass = access;
        self
    }

    pub fn with_client(mut self, ip: Option<std::net::IpAddr>) -> Self {
        self.client_ip = ip;
        self
    }

    /// Work done by Portico itself (jobs, the demo loader, the command line).
    pub fn system() -> Self {
        Self {
            kind: "system",
            id: None,
            request_id: None,
            role: None,
            client_ip: None,
            break_glass: None,
        }
    }
}

/// What was done to which resource.
#[derive(Clone, Copy, Debug)]
pub struct Access<'a> {
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
}

/// Takes the tenant's audit lock now rather than at the first event. A writing transaction
/// that will audit and also waits on other locks (a row, an exclusion constraint) takes it
/// first, so that every such transaction takes its locks in the same order: no deadlocks, and
/// on PostgreSQL the tenant's audited writes run one after another, so a check made at the
/// start of one sees everything the previous one committed.
pub async fn lock(tx: &TenantTx) -> CoreResult<()> {
    if tx.access() != crate::tenancy::Access::Write {
        return Err(CoreError::ReadOnly);
    }
    tx.lock_stream("audit").await
}

/// Appends an event. Needs a writing transaction, so reading patient data does too: the
/// same rule on both engines (SQLite would not refuse the write by itself).
pub async fn record(tx: &TenantTx, actor: &Actor, access: Access<'_>) -> CoreResult<()> {
    if tx.access() != crate::tenancy::Access::Write {
        return Err(CoreError::ReadOnly);
    }
    tx.lock_stream("audit").await?;
    let head = tx
        .find::<audit_event::Entity>()
        .order_by_desc(Column::Seq)
        .limit(1)
        .one(tx.conn())
        .await?;
    let (seq, prev_hash) = head.map_or((1, GENESIS.to_owned()), |h| (h.seq + 1, h.hash));
    let mut event = audit_event::Model {
        tenant_id: tx.tenant_id().as_uuid(),
        id: AuditEventId::new().as_uuid(),
        seq,
        // Stored precision on both engines, so the hash can be recomputed from the row.
        occurred_at: Utc::now().trunc_subsecs(6),
        actor_kind: actor.kind.to_owned(),
        actor_id: actor.id,
        actor_role: actor.role.map(str::to_owned),
        client_ip: actor.client_ip.map(|ip| ip.to_string()),
        action: access.action.to_owned(),
        resource_type: access.resource_type.to_owned(),
        resource_id: access.resource_id,
        patient_id: access.patient_id,
        request_id: actor.request_id.clone(),
        break_glass_id: actor.break_glass,
        prev_hash,
        hash: String::new(),
    };
    event.hash = event_hash(&event);
    audit_event::ActiveModel {
        tenant_id: Set(event.tenant_id),
        id: Set(event.id),
        seq: Set(event.seq),
        occurred_at: Set(event.occurred_at),
        actor_kind: Set(event.actor_kind),
        actor_id: Set(event.actor_id),
        actor_role: Set(event.actor_role),
        client_ip: Set(event.client_ip),
        action: Set(event.action),
        resource_type: Set(event.resource_type),
        resource_id: Set(event.resource_id),
        patient_id: Set(event.patient_id),
        request_id: Set(event.request_id),
        break_glass_id: Set(event.break_glass_id),
        prev_hash: Set(event.prev_hash),
        hash: Set(event.hash),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// Which events to list; unset fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor_id: Option<Uuid>,
    pub patient_ids: Option<Vec<Uuid>>,
}

/// Events of the transaction's tenant, newest first.
pub async fn search(
    tx: &TenantTx,
    filter: &Filter,
    limit: u64,
) -> CoreResult<Vec<audit_event::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut query = tx.find::<audit_event::Entity>().order_by_desc(Column::Seq);
    if let Some(from) = filter.from {
        query = query.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::OccurredAt.lt(to));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(Column::ActorId.eq(actor));
    }
    if let Some(patients) = &filter.patient_ids {
        query = query.filter(Column::PatientId.is_in(patients.clone()));
    }
    Ok(query.limit(limit).all(tx.conn()).await?)
}

/// The result of walking a tenant's chain from the first event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    /// The first event whose hash or link does not match, if any.
    pub first_broken_seq: Option<i64>,
}

pub async fn verify_chain(tx: &TenantTx) -> CoreResult<ChainReport> {
    const PAGE: u64 = 500;
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut events = 0;
    loop {
        let page = tx
            .find::<audit_event::Entity>()
            .filter_seq_from(expected_seq)
            .order_by_asc(Column::Seq)
            .limit(PAGE)
            .all(tx.conn())
            .await?;
        let done = (page.len() as u64) < PAGE;
        for event in page {
            events += 1;
            if event.seq != expected_seq
                || event.prev_hash != expected_prev
                || event_hash(&event) != event.hash
            {
                return Ok(ChainReport {
                    events,
                    first_broken_seq: Some(expected_seq),
                });
            }
            expected_prev = event.hash;
            expected_seq += 1;
        }
        if done {
            return Ok(ChainReport {
                events,
                first_broken_seq: None,
            });
        }
    }
}

trait SeqFilter {
    fn filter_seq_from(self, seq: i64) -> Self;
}

impl SeqFilter for sea_orm::Select<audit_event::Entity> {
    fn filter_seq_from(self, seq: i64) -> Self {
        use sea_orm::{ColumnTrait, QueryFilter};
        self.filter(Column::Seq.gte(seq))
    }
}

fn event_hash(e: &audit_event::Model) -> String {
    fn opt(id: Option<Uuid>) -> String {
        id.map(|u| u.to_string()).unwrap_or_default()
    }
    let mut h = Sha256::new();
    for part in [
        e.prev_hash.clone(),
        e.tenant_id.to_string(),
        e.id.to_string(),
        e.seq.to_string(),
        timestamp(e.occurred_at),
        e.actor_kind.clone(),
        opt(e.actor_id),
        e.action.clone(),
        e.resource_type.clone(),
        opt(e.resource_id),
        opt(e.patient_id),
        e.request_id.clone().unwrap_or_default(),
        e.actor_role.clone().unwrap_or_default(),
        e.client_ip.clone().unwrap_or_default(),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    // Added later: hashed only when set, so earlier events keep their hashes.
    if let Some(access) = e.break_glass_id {
        h.update(access.to_string().as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
