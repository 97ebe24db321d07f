//! The audit log: one append-only event for every access to patient data, hash-chained per
//! tenant so that an edited or deleted event breaks the chain.
//!
//! Recording and chaining are two steps, so that no request waits on another practice's or
//! its own practice's other requests. [`record`] keeps the event with the transaction; when
//! it ends, its events are appended in one statement to `audit_pending` (inside a writing
//! transaction, so they stand or fall with its changes; right after a reading one, before
//! what it read is handed out). [`seal`] then gives pending events their place in the chain
//! (`seq`, `prev_hash`, `hash` in `audit_events`) under the tenant's seal lock: every minute
//! from the workers, and before any verification, so the verifier covers every event.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, IntoActiveModel, QueryOrder, QuerySelect};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    AuditEventId, CoreError, CoreResult, TenantId, TenantTx,
    entities::{
        audit_event::{self, Column},
        audit_pending,
    },
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

impl<'a> Access<'a> {
    /// Something done to the practice's own resources (its settings, its billing, its
    /// log), about no patient.
    pub fn practice(action: &'a str, resource_type: &'a str, resource_id: Option<Uuid>) -> Self {
        Self {
            action,
            resource_type,
            resource_id,
            patient_id: None,
        }
    }
}

/// Takes the tenant's write lock now: every audited writing transaction of a practice runs
/// one after another on PostgreSQL, so a check made at the start of one sees everything the
/// previous one committed. A writing transaction that also waits on other locks (a row, an
/// exclusion constraint) takes it first, so that all take their locks in the same order (no
/// deadlocks). SQLite needs nothing: a writing transaction holds the database's write lock.
/// Reading transactions never take it.
pub async fn lock(tx: &TenantTx) -> CoreResult<()> {
    if tx.access() != crate::tenancy::Access::Write {
        return Err(CoreError::ReadOnly);
    }
    tx.lock_stream("audit").await
}

/// Records an event with the transaction; it is written when the transaction ends (see the
/// module's notes). A writing transaction also takes the practice's write lock ([`lock`]),
/// as every audited write always has; a reading one takes no lock.
pub async fn record(tx: &TenantTx, actor: &Actor, access: Access<'_>) -> CoreResult<()> {
    record_all(tx, actor, [access]).await
}

/// Records several events with the transaction, as [`record`] does one (the lock taken
/// once).
pub async fn record_all<'a>(
    tx: &TenantTx,
    actor: &Actor,
    accesses: impl IntoIterator<Item = Access<'a>>,
) -> CoreResult<()> {
    let mut accesses = accesses.into_iter().peekable();
    if accesses.peek().is_none() {
        return Ok(());
    }
    if tx.access() == crate::tenancy::Access::Write {
        tx.lock_stream("audit").await?;
    }
    for access in accesses {
        buffer(tx, actor, &access);
    }
    Ok(())
}

fn buffer(tx: &TenantTx, actor: &Actor, access: &Access<'_>) {
    tx.buffer_audit(audit_pending::Model {
        tenant_id: tx.tenant_id().as_uuid(),
        id: AuditEventId::new().as_uuid(),
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
    });
}

const PENDING_COLUMNS: [&str; 13] = [
    "tenant_id",
    "id",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_role",
    "client_ip",
    "action",
    "resource_type",
    "resource_id",
    "patient_id",
    "request_id",
    "break_glass_id",
];

/// Appends `events` of `tenant` to `audit_pending`, a thousand to a statement. On PostgreSQL the
/// statement scopes itself to the tenant first (row-level security), so it also works on a
/// pooled connection outside any transaction: it is then its own transaction, and the
/// tenant setting ends with it.
pub(crate) async fn append<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    events: &[audit_pending::Model],
) -> CoreResult<()> {
    for chunk in events.chunks(APPEND_CHUNK) {
        append_chunk(conn, tenant, chunk).await?;
    }
    Ok(())
}

/// Events per statement: 13 parameters each stay under SQLite's limit (32,766) and
/// PostgreSQL's (65,535) when a transaction recorded thousands (a batch of reminders).
const APPEND_CHUNK: usize = 1_000;

async fn append_chunk<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    events: &[audit_pending::Model],
) -> CoreResult<()> {
    let mut params = crate::sql_params::Params::new(conn.get_database_backend());
    let scope = params
        .postgres()
        .then(|| params.push(tenant.to_string(), ""));
    let rows: Vec<String> = events
        .iter()
        .map(|e| {
            params.row([
                (e.tenant_id.into(), "::uuid"),
                (e.id.into(), "::uuid"),
                (e.occurred_at.into(), "::timestamptz"),
                (e.actor_kind.clone().into(), ""),
                (e.actor_id.into(), "::uuid"),
                (e.actor_role.clone().into(), "::text"),
                (e.client_ip.clone().into(), "::text"),
                (e.action.clone().into(), ""),
                (e.resource_type.clone().into(), ""),
                (e.resource_id.into(), "::uuid"),
                (e.patient_id.into(), "::uuid"),
                (e.request_id.clone().into(), "::text"),
                (e.break_glass_id.into(), "::uuid"),
            ])
        })
        .collect();
    let columns = PENDING_COLUMNS.join(", ");
    let sql = match scope {
        // The CTE runs before any row reaches the insert, so the policy's check sees the
        // tenant; `MATERIALIZED` keeps the planner from dropping the unreferenced call.
        Some(tenant) => format!(
            "WITH scope AS MATERIALIZED (SELECT set_config('app.tenant_id', {tenant}, true) AS t) \
             INSERT INTO audit_pending ({columns}) SELECT e.* FROM scope, (VALUES {}) \
             AS e({columns}) WHERE scope.t IS NOT NULL",
            rows.join(", ")
        ),
        None => format!(
            "INSERT INTO audit_pending ({columns}) VALUES {}",
            rows.join(", ")
        ),
    };
    conn.execute_raw(params.statement(sql)).await?;
    Ok(())
}

/// Most events sealed per round of [`seal`]'s loop.
const SEAL_BATCH: u64 = 500;

/// Seals the tenant's pending events into its hash chain, oldest first, and returns how many
/// it sealed. Takes the tenant's seal lock (never taken by requests), so two sealers do not
/// interleave; events appended meanwhile wait for the next call.
pub async fn seal(tx: &TenantTx) -> CoreResult<u64> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if tx.access() != crate::tenancy::Access::Write {
        return Err(CoreError::ReadOnly);
    }
    let mut sealed = 0;
    let mut locked = false;
    let mut head: Option<(i64, String)> = None;
    loop {
        let batch = tx
            .find::<audit_pending::Entity>()
            .order_by_asc(audit_pending::Column::OccurredAt)
            .order_by_asc(audit_pending::Column::Id)
            .limit(SEAL_BATCH)
            .all(tx.conn())
            .await?;
        if batch.is_empty() {
            return Ok(sealed);
        }
        if !locked {
            tx.lock_stream("audit-seal").await?;
            locked = true;
            // Read again under the lock: another sealer may have taken these meanwhile.
            continue;
        }
        let (mut seq, mut prev_hash) = match head.take() {
            Some(h) => h,
            None => tx
                .find::<audit_event::Entity>()
                .order_by_desc(Column::Seq)
                .limit(1)
                .one(tx.conn())
                .await?
                .map_or((0, GENESIS.to_owned()), |h| (h.seq, h.hash)),
        };
        let ids: Vec<Uuid> = batch.iter().map(|e| e.id).collect();
        let mut chained = Vec::with_capacity(batch.len());
        for e in batch {
            seq += 1;
            let mut event = audit_event::Model {
                tenant_id: e.tenant_id,
                id: e.id,
                seq,
                occurred_at: e.occurred_at,
                actor_kind: e.actor_kind,
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                client_ip: e.client_ip,
                action: e.action,
                resource_type: e.resource_type,
                resource_id: e.resource_id,
                patient_id: e.patient_id,
                request_id: e.request_id,
                break_glass_id: e.break_glass_id,
                prev_hash: std::mem::take(&mut prev_hash),
                hash: String::new(),
            };
            event.hash = event_hash(&event);
            prev_hash.clone_from(&event.hash);
            chained.push(event.into_active_model());
        }
        let count = chained.len() as u64;
        sea_orm::Insert::many(chained).exec(tx.conn()).await?;
        tx.delete::<audit_pending::Entity>()
            .filter(audit_pending::Column::Id.is_in(ids))
            .exec(tx.conn())
            .await?;
        sealed += count;
        head = Some((seq, prev_hash));
    }
}

/// Seals the tenant's pending events in a transaction of its own (the workers' sweep).
pub async fn seal_tenant(db: &crate::Db, tenant: TenantId) -> CoreResult<u64> {
    let scope = crate::tenancy::TenantScope::new(tenant);
    let tx = TenantTx::begin(db, &scope, crate::tenancy::Access::Write).await?;
    let sealed = seal(&tx).await?;
    tx.commit().await?;
    Ok(sealed)
}

/// Which events to list; unset fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor_id: Option<Uuid>,
    pub patient_ids: Option<Vec<Uuid>>,
}

/// Events of the transaction's tenant, newest first. Pending events are sealed first (in
/// this writing transaction), so every event listed has its place in the chain.
pub async fn search(
    tx: &TenantTx,
    filter: &Filter,
    limit: u64,
) -> CoreResult<Vec<audit_event::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    seal(tx).await?;
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

/// The actor kind of a SMART app reading for a patient (the app's id is the actor id).
pub const SMART_APP: &str = "smart_app";

/// Events with the names of the users (and apps) who acted in them.
#[derive(Clone, Debug, Default)]
pub struct Named {
    pub events: Vec<audit_event::Model>,
    pub names: std::collections::HashMap<Uuid, String>,
    /// More events matched than were listed (exports).
    pub truncated: bool,
}

impl Named {
    async fn of(
        tx: &TenantTx,
        events: Vec<audit_event::Model>,
        truncated: bool,
    ) -> CoreResult<Self> {
        let ids: Vec<Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        let mut names = crate::accounts::names(tx, &ids).await?;
        // A SMART app reads for a patient under its own name.
        let apps: Vec<Uuid> = events
            .iter()
            .filter(|e| e.actor_kind == SMART_APP)
            .filter_map(|e| e.actor_id)
            .collect();
        if !apps.is_empty() {
            use sea_orm::{ColumnTrait, QueryFilter};
            let found = tx
                .find::<crate::entities::smart_app::Entity>()
                .filter(crate::entities::smart_app::Column::Id.is_in(apps))
                .all(tx.conn())
                .await?;
            names.extend(found.into_iter().map(|a| (a.id, a.name)));
        }
        Ok(Self {
            events,
            names,
            truncated,
        })
    }

    /// The name of the user who acted in `event`, when a user whose account remains did.
    pub fn name_of(&self, event: &audit_event::Model) -> Option<String> {
        event.actor_id.and_then(|id| self.names.get(&id).cloned())
    }

    /// How a patient's access log names who acted: the person's name ("a former user" once
    /// the account is gone), "an API client", the app's name for a SMART app, or
    /// "Portico" for automatic work.
    pub fn who(&self, event: &audit_event::Model) -> String {
        match (event.actor_kind.as_str(), event.actor_id) {
            ("user", Some(_)) => self
                .name_of(event)
                .unwrap_or_else(|| "a former user".to_owned()),
            ("api_key", _) => "an API client".to_owned(),
            (SMART_APP, Some(_)) => self.name_of(event).unwrap_or_else(|| "an app".to_owned()),
            _ => "Portico".to_owned(),
        }
    }
}

/// Who opened `user`'s own charts (not those shared with them through a proxy grant),
/// newest first, at most `limit` events.
pub async fn own_charts_log(
    tx: &TenantTx,
    actor: &Actor,
    user: crate::UserId,
    limit: u64,
) -> CoreResult<Named> {
    let own: Vec<Uuid> = crate::patients::accessible_to(tx, actor, user)
        .await?
        .into_iter()
        .filter(|a| a.proxy_scopes.is_none())
        .map(|a| a.chart.id)
        .collect();
    let filter = Filter {
        patient_ids: Some(own),
        ..Filter::default()
    };
    let events = search(tx, &filter, limit).await?;
    Named::of(tx, events, false).await
}

/// The practice's events matching `filter`, newest first, at most `limit`, for practice
/// admins; reading the log is recorded in it (`audit.read`).
pub async fn read_log(
    tx: &TenantTx,
    actor: &Actor,
    filter: &Filter,
    limit: u64,
) -> CoreResult<Named> {
    let events = search(tx, filter, limit).await?;
    let named = Named::of(tx, events, false).await?;
    record_reading(tx, actor, "audit.read", filter).await?;
    Ok(named)
}

/// The events of `filter`'s range (which must end after it starts: `INVALID_RANGE`), oldest
/// first, at most `max_rows` (`truncated` when more matched), for an export; the export is
/// recorded in the log (`audit.export`).
pub async fn export(
    tx: &TenantTx,
    actor: &Actor,
    filter: &Filter,
    max_rows: u64,
) -> CoreResult<Named> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(CoreError::invalid(
            "to",
            "INVALID_RANGE",
            "the range must end after it starts",
        ));
    }
    let mut events = search(tx, filter, max_rows + 1).await?;
    let max = usize::try_from(max_rows).unwrap_or(usize::MAX);
    let truncated = events.len() > max;
    events.truncate(max);
    events.reverse();
    let named = Named::of(tx, events, truncated).await?;
    record_reading(tx, actor, "audit.export", filter).await?;
    Ok(named)
}

/// Records a reading of the log (naming the patient the reader asked about, if one).
async fn record_reading(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    filter: &Filter,
) -> CoreResult<()> {
    record(
        tx,
        actor,
        Access {
            action,
            resource_type: "AuditLog",
            resource_id: None,
            patient_id: filter.patient_ids.as_ref().and_then(|p| p.first().copied()),
        },
    )
    .await
}

/// The result of walking a tenant's chain from the first event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    /// The first event whose hash or link does not match, if any.
    pub first_broken_seq: Option<i64>,
}

/// Seals the pending events (in this writing transaction), then walks the whole chain: every
/// event recorded before the call is checked.
pub async fn verify_chain(tx: &TenantTx) -> CoreResult<ChainReport> {
    const PAGE: u64 = 500;
    seal(tx).await?;
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
