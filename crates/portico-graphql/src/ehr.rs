//! The practice's EHR connection and sync, for practice admins (`ehr/manage`): the
//! connection (secrets are write-only), a connection test that reads `/metadata`, the sync
//! status with per-type counts and errors, "sync now", failed write-backs; and the review
//! queue for staff (`ehr/review`).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreError, CoreResult,
    ehr::{
        connection::{self, AuthInput, ConnectionInput},
        reviews::{self, Resolution},
        runs, status,
    },
    entities::{ehr_connection, ehr_review, ehr_sync_run, outbox_message},
    outbox,
    tenancy::Access,
};

use crate::{
    context::ContextExt,
    global_id,
    run::{Need, Outcome, OutcomeExt, Payload, Run, refusable},
    scheduling::appointments::relay_outbox,
    user_error::UserError,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EhrAuthKind {
    /// SMART Backend Services: a signed JWT assertion exchanged for an access token.
    Smart,
    /// A static bearer token (sandboxes).
    Bearer,
}

/// A practice's FHIR R4 connection. The private key or token is never returned.
#[derive(SimpleObject)]
pub struct EhrConnection {
    base_url: String,
    auth_kind: EhrAuthKind,
    client_id: Option<String>,
    key_id: Option<String>,
    token_endpoint: Option<String>,
    scope: Option<String>,
    sync_interval_minutes: i32,
    /// FHIR resource types pulled, in pull order.
    resource_types: Vec<String>,
    enabled: bool,
    /// Home readings go to the EHR as patient-reported Observations.
    send_readings: bool,
    updated_at: DateTime<Utc>,
}

impl From<&ehr_connection::Model> for EhrConnection {
    fn from(c: &ehr_connection::Model) -> Self {
        Self {
            base_url: c.base_url.clone(),
            auth_kind: if c.auth_kind == connection::SMART {
                EhrAuthKind::Smart
            } else {
                EhrAuthKind::Bearer
            },
            client_id: c.client_id.clone(),
            key_id: c.key_id.clone(),
            token_endpoint: c.token_endpoint.clone(),
            scope: c.scope.clone(),
            sync_interval_minutes: c.sync_interval_minutes,
            resource_types: connection::kinds(c)
                .into_iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            enabled: c.enabled,
            send_readings: c.send_readings,
            updated_at: c.updated_at,
        }
    }
}

/// What one run did with one resource type.
#[derive(SimpleObject)]
pub struct EhrTypeCount {
    resource_type: String,
    fetched: u64,
    applied: u64,
    unchanged: u64,
    rejected: u64,
    removed: u64,
    waiting: u64,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EhrDeletionMethod {
    /// Read from the type's history (`_history`), as the EHR's CapabilityStatement offers.
    History,
    /// The EHR offers no history for the type: the ids it still has are compared with
    /// Portico's once a day (and on every run started with `syncEhrNow`); one missing is read
    /// again and taken out only when the EHR answers that it is gone.
    Reconciliation,
}

/// How deletions of one resource type are found.
#[derive(SimpleObject)]
pub struct EhrDeletionCheck {
    resource_type: String,
    method: EhrDeletionMethod,
    /// When the ids were last compared in full (the first pull counts as one).
    reconciled_at: Option<DateTime<Utc>>,
}

/// A resource a run refused: its type, EHR id and a stable code (never its content).
#[derive(SimpleObject)]
pub struct EhrRejection {
    resource_type: String,
    fhir_id: Option<String>,
    code: String,
}

pub struct EhrSyncRun(ehr_sync_run::Model);

#[Object]
impl EhrSyncRun {
    async fn id(&self) -> ID {
        global_id::encode("EhrSyncRun", self.0.id)
    }
    /// `schedule`, `manual` or `review`.
    async fn trigger(&self) -> &str {
        &self.0.trigger
    }
    /// `running`, `succeeded`, `partial` (some resources refused or waiting) or `failed`.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Why the run failed: `EHR_UNAVAILABLE`, `EHR_TIMEOUT`, `EHR_AUTH_FAILED`, ...
    async fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn counts(&self) -> Vec<EhrTypeCount> {
        runs::counts_of(&self.0)
            .into_iter()
            .map(|(resource_type, c)| EhrTypeCount {
                resource_type,
                fetched: c.fetched,
                applied: c.applied,
                unchanged: c.unchanged,
                rejected: c.rejected,
                removed: c.removed,
                waiting: c.waiting,
            })
            .collect()
    }
    async fn rejections(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 500))] first: u64,
    ) -> async_graphql::Result<Vec<EhrRejection>> {
        // The run was listed for someone allowed to see it (`ehrSyncStatus`).
        let found = ctx
            .within(Access::Read, async |tx| {
                runs::rejections(tx, self.0.id, first).await
            })
            .await?
            .map_err(|e| ctx.fail(e))?;
        Ok(found
            .into_iter()
            .map(|r| EhrRejection {
                resource_type: r.resource_type,
                fhir_id: r.fhir_id,
                code: r.code,
            })
            .collect())
    }
}

/// A write-back the EHR has not taken: what it was for and the last error code.
#[derive(SimpleObject)]
pub struct EhrWriteFailure {
    id: ID,
    /// `appointment`, `refill_decision`, `form_response`, `reading` or `demographics`.
    kind: String,
    last_error: Option<String>,
    attempts: i32,
    created_at: DateTime<Utc>,
}

impl From<&outbox_message::Model> for EhrWriteFailure {
    fn from(m: &outbox_message::Model) -> Self {
        let kind = serde_json::from_str::<serde_json::Value>(&m.payload)
            .ok()
            .and_then(|v| v["kind"].as_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            id: global_id::encode("EhrWrite", m.id),
            kind,
            last_error: m.last_error.clone(),
            attempts: m.attempts,
            created_at: m.created_at,
        }
    }
}

/// The sync as admins see it.
#[derive(SimpleObject)]
pub struct EhrSyncStatus {
    connection: Option<EhrConnection>,
    /// Newest first.
    runs: Vec<EhrSyncRun>,
    next_run_at: Option<DateTime<Utc>>,
    /// Failed runs in a row: the next run backs off by them.
    failures: i32,
    /// Write-backs waiting to be sent (or retried).
    pending_writes: u64,
    /// Write-backs given up on (refused, conflicts, attempts used up).
    failed_writes: Vec<EhrWriteFailure>,
    open_reviews: u64,
    /// Per resource type pulled so far, how its deletions are found.
    deletions: Vec<EhrDeletionCheck>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EhrReviewKind {
    /// An EHR patient matches several charts.
    PatientMatch,
    /// A contact change the EHR refused because its record changed meanwhile.
    WriteConflict,
    /// An EHR patient with the name and birth date of a chart already linked to another
    /// EHR patient: a second registration of the same person, or another person. Its
    /// records wait; `CREATE_PATIENT` gives it a chart of its own; merging the registration
    /// in the EHR (marking it inactive) closes the review.
    PossibleDuplicate,
}

pub struct EhrReview(ehr_review::Model);

#[Object]
impl EhrReview {
    async fn id(&self) -> ID {
        global_id::encode("EhrReview", self.0.id)
    }
    async fn kind(&self) -> EhrReviewKind {
        match self.0.kind.as_str() {
            reviews::PATIENT_MATCH => EhrReviewKind::PatientMatch,
            reviews::POSSIBLE_DUPLICATE => EhrReviewKind::PossibleDuplicate,
            _ => EhrReviewKind::WriteConflict,
        }
    }
    async fn resource_type(&self) -> &str {
        &self.0.resource_type
    }
    async fn fhir_id(&self) -> &str {
        &self.0.fhir_id
    }
    /// Charts the EHR patient could be (matches), or whose second registration it may be
    /// (possible duplicates).
    async fn candidates(&self) -> Vec<ID> {
        reviews::candidates_of(&self.0)
            .into_iter()
            .map(|id| global_id::encode("Patient", id))
            .collect()
    }
    /// The chart whose change was not written (conflicts).
    async fn patient_id(&self) -> Option<ID> {
        self.0.patient_id.map(|id| global_id::encode("Patient", id))
    }
    /// `open` or `resolved`.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct EhrQuery;

#[Object]
impl EhrQuery {
    /// The EHR connection and sync status (practice admins).
    async fn ehr_sync_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, validator(minimum = 1, maximum = 100))] runs: u64,
    ) -> async_graphql::Result<EhrSyncStatus> {
        let found = ctx
            .run(Need::to("ehr", "manage"), Access::Read, async |tx, _| {
                status::status(tx, runs).await
            })
            .await?;
        let connection = found.connection.as_ref();
        Ok(EhrSyncStatus {
            next_run_at: connection.and_then(|c| c.next_run_at),
            failures: connection.map_or(0, |c| c.failures),
            connection: connection.map(EhrConnection::from),
            runs: found.runs.into_iter().map(EhrSyncRun).collect(),
            pending_writes: found.pending_writes,
            failed_writes: found
                .failed_writes
                .iter()
                .map(EhrWriteFailure::from)
                .collect(),
            open_reviews: found.open_reviews,
            deletions: found
                .deletions
                .into_iter()
                .map(|d| EhrDeletionCheck {
                    resource_type: d.resource_type,
                    method: if d.by_history {
                        EhrDeletionMethod::History
                    } else {
                        EhrDeletionMethod::Reconciliation
                    },
                    reconciled_at: d.reconciled_at,
                })
                .collect(),
        })
    }

    /// Open reviews: ambiguous patient matches and refused contact changes (staff).
    async fn ehr_reviews(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EhrReview>> {
        let open = ctx
            .run(Need::to("ehr", "review"), Access::Read, async |tx, _| {
                reviews::list_open(tx, 200).await
            })
            .await?;
        Ok(open.into_iter().map(EhrReview).collect())
    }
}

#[derive(InputObject)]
pub struct UpdateEhrConnectionInput {
    /// The FHIR R4 base URL (https; plain http only to a loopback host where the deployment
    /// allows it).
    base_url: String,
    auth_kind: EhrAuthKind,
    /// SMART: the client id registered with the EHR.
    client_id: Option<String>,
    /// SMART: the PKCS#8 PEM private key (RSA for RS384, EC P-384 for ES384). Unset keeps
    /// the stored one.
    private_key: Option<String>,
    key_id: Option<String>,
    /// SMART: unset discovers it from `.well-known/smart-configuration`.
    token_endpoint: Option<String>,
    scope: Option<String>,
    /// Bearer: the token. Unset keeps the stored one.
    token: Option<String>,
    #[graphql(default = 15)]
    sync_interval_minutes: i32,
    /// FHIR resource types to pull; unset pulls every supported type.
    resource_types: Option<Vec<String>>,
    #[graphql(default = true)]
    enabled: bool,
    /// Also send the readings patients record at home, as patient-reported Observations
    /// (the EHR must allow `Observation` writes: add `system/Observation.write` to a SMART
    /// scope).
    #[graphql(default = false)]
    send_readings: bool,
}

#[derive(SimpleObject, Default)]
pub struct UpdateEhrConnectionPayload {
    connection: Option<EhrConnection>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct RemoveEhrConnectionPayload {
    removed: bool,
    user_errors: Vec<UserError>,
}

/// What the EHR's `/metadata` says, and whether Portico's credentials work.
#[derive(SimpleObject)]
pub struct EhrCapabilities {
    fhir_version: String,
    software: Option<String>,
    /// Resource types the server lists.
    resource_types: Vec<String>,
    /// Types Portico pulls that the server does not list.
    missing_types: Vec<String>,
    token_endpoint: Option<String>,
    auth_ok: bool,
    /// Why authentication failed (`EHR_AUTH_FAILED`, ...).
    auth_error_code: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct TestEhrConnectionPayload {
    capabilities: Option<EhrCapabilities>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct SyncEhrNowPayload {
    queued: bool,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct RetryEhrWritePayload {
    retried: bool,
    user_errors: Vec<UserError>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EhrResolution {
    /// The EHR patient is `patientId`.
    Link,
    /// The EHR patient is a new chart.
    CreatePatient,
    /// Send the refused change again over the EHR's current record.
    Overwrite,
    /// Keep the EHR's record.
    KeepEhr,
}

#[derive(InputObject)]
pub struct ResolveEhrReviewInput {
    id: ID,
    resolution: EhrResolution,
    /// With `LINK`.
    patient_id: Option<ID>,
}

#[derive(SimpleObject, Default)]
pub struct ResolveEhrReviewPayload {
    review: Option<EhrReview>,
    user_errors: Vec<UserError>,
}

refusable!(
    UpdateEhrConnectionPayload,
    RemoveEhrConnectionPayload,
    TestEhrConnectionPayload,
    SyncEhrNowPayload,
    RetryEhrWritePayload,
    ResolveEhrReviewPayload
);

fn connection_input(input: UpdateEhrConnectionInput) -> CoreResult<ConnectionInput> {
    Ok(ConnectionInput {
        resource_types: connection::resource_kinds(input.resource_types.as_deref())?,
        base_url: input.base_url,
        auth: match input.auth_kind {
            EhrAuthKind::Smart => AuthInput::Smart {
                client_id: input.client_id.unwrap_or_default(),
                private_key_pem: input.private_key,
                key_id: input.key_id,
                token_endpoint: input.token_endpoint,
                scope: input.scope,
            },
            EhrAuthKind::Bearer => AuthInput::Bearer { token: input.token },
        },
        sync_interval_minutes: input.sync_interval_minutes,
        enabled: input.enabled,
        send_readings: input.send_readings,
    })
}

/// The resolution staff chose; linking needs the chart (`PATIENT_REQUIRED`).
fn resolution(chosen: EhrResolution, patient: Option<uuid::Uuid>) -> CoreResult<Resolution> {
    Ok(match chosen {
        EhrResolution::Link => Resolution::Link(patient.ok_or_else(|| {
            CoreError::invalid("patientId", "PATIENT_REQUIRED", "choose the chart")
        })?),
        EhrResolution::CreatePatient => Resolution::CreatePatient,
        EhrResolution::Overwrite => Resolution::Overwrite,
        EhrResolution::KeepEhr => Resolution::KeepEhr,
    })
}

/// A change that queued a job: the job is relayed once the change is committed.
async fn relayed<T>(ctx: &Context<'_>, outcome: Outcome<T>) -> async_graphql::Result<Outcome<T>> {
    if outcome.is_ok() {
        relay_outbox(ctx, 1).await?;
    }
    Ok(outcome)
}

#[derive(Default)]
pub struct EhrMutation;

#[Object]
impl EhrMutation {
    async fn update_ehr_connection(
        &self,
        ctx: &Context<'_>,
        input: UpdateEhrConnectionInput,
    ) -> async_graphql::Result<UpdateEhrConnectionPayload> {
        let services = ctx.services()?;
        let outcome = ctx
            .mutate(Need::to("ehr", "manage"), async |tx, caller| {
                connection::save(
                    tx,
                    &caller.actor,
                    services.ehr.as_ref(),
                    services.sealer.as_ref(),
                    connection_input(input)?,
                    Utc::now(),
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|c| UpdateEhrConnectionPayload {
            connection: Some(EhrConnection::from(&c)),
            user_errors: Vec::new(),
        }))
    }

    async fn remove_ehr_connection(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<RemoveEhrConnectionPayload> {
        let outcome = ctx
            .mutate(Need::to("ehr", "manage"), async |tx, caller| {
                connection::remove(tx, &caller.actor).await
            })
            .await?;
        Ok(outcome.payload(|removed| RemoveEhrConnectionPayload {
            removed,
            user_errors: Vec::new(),
        }))
    }

    /// Reads the EHR's `/metadata` and checks the credentials; changes nothing.
    async fn test_ehr_connection(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<TestEhrConnectionPayload> {
        let services = ctx.services()?;
        // The connection is read, then the transaction closed: none is held over the EHR.
        let target = ctx
            .mutate(Need::to("ehr", "manage"), async |tx, caller| {
                connection::test_target(tx, &caller.actor, services.sealer.as_ref()).await
            })
            .await?;
        let (endpoint, kinds) = match target {
            Ok(target) => target,
            Err(user_errors) => return Ok(TestEhrConnectionPayload::refused(user_errors)),
        };
        let tested = connection::test(services.ehr.as_ref(), &endpoint, &kinds).await;
        let tested = match tested {
            Ok(tested) => tested,
            Err(e) => {
                let user_errors = UserError::of_input(e).map_err(|e| ctx.fail(e))?;
                return Ok(TestEhrConnectionPayload::refused(user_errors));
            }
        };
        let capabilities = tested.capabilities;
        Ok(TestEhrConnectionPayload {
            capabilities: Some(EhrCapabilities {
                missing_types: tested.missing_types,
                fhir_version: capabilities.fhir_version,
                software: capabilities.software,
                resource_types: capabilities.resource_types,
                token_endpoint: capabilities.token_endpoint,
                auth_ok: tested.auth_error.is_none(),
                auth_error_code: tested.auth_error.map(str::to_owned),
            }),
            user_errors: Vec::new(),
        })
    }

    /// Queues a sync run now (one already running is not doubled).
    async fn sync_ehr_now(&self, ctx: &Context<'_>) -> async_graphql::Result<SyncEhrNowPayload> {
        let tenant_id = ctx.tenant()?.id();
        let outcome = ctx
            .mutate(Need::to("ehr", "manage"), async |tx, _| {
                runs::queue_now(tx, tenant_id).await
            })
            .await?;
        let outcome = relayed(ctx, outcome).await?;
        Ok(outcome.payload(|queued| SyncEhrNowPayload {
            queued,
            user_errors: Vec::new(),
        }))
    }

    /// Sends a failed write-back again (with fresh attempts).
    async fn retry_ehr_write(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<RetryEhrWritePayload> {
        let id = global_id::parse("EhrWrite", "id", &id)?;
        let outcome = ctx
            .mutate(Need::to("ehr", "manage"), async |tx, _| {
                outbox::retry_ehr(tx, id).await
            })
            .await?;
        let outcome = relayed(ctx, outcome).await?;
        Ok(outcome.payload(|_| RetryEhrWritePayload {
            retried: true,
            user_errors: Vec::new(),
        }))
    }

    /// Settles a review. A matched patient's records are pulled right after.
    async fn resolve_ehr_review(
        &self,
        ctx: &Context<'_>,
        input: ResolveEhrReviewInput,
    ) -> async_graphql::Result<ResolveEhrReviewPayload> {
        let tenant_id = ctx.tenant()?.id();
        let id = global_id::parse("EhrReview", "id", &input.id)?;
        let patient = global_id::parse_opt("Patient", "patientId", input.patient_id.as_ref())?;
        let outcome = ctx
            .mutate(Need::to("ehr", "review"), async |tx, caller| {
                let resolution = resolution(input.resolution, patient)?;
                reviews::resolve_and_pull(tx, &caller.actor, tenant_id, id, resolution).await
            })
            .await?;
        let outcome = relayed(ctx, outcome).await?;
        Ok(outcome.payload(|review| ResolveEhrReviewPayload {
            review: Some(EhrReview(review)),
            user_errors: Vec::new(),
        }))
    }
}
