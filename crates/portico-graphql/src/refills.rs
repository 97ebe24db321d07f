//! Prescription refills: patients (and proxies with the `refills` scope) ask for a refill
//! and follow its status; staff work the queue and decide; practice admins set the
//! turnaround target, the fallback pool and each provider's covering provider.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    entities::{medication_request, refill_request},
    refills::{
        self, PENDING,
        decisions::{self, Decision},
        queue::{self, Filter},
        request::{self, RefillInput},
        routing, settings,
    },
    tenancy::Access,
};

use crate::{
    context::ContextExt,
    global_id,
    records::MedicationRequest,
    run::{Need, OutcomeExt, Run, refusable},
    scheduling::appointments::{notice_text, relay_outbox},
    user_error::UserError,
};

/// The global id type of care-team pools.
const POOL: &str = "CareTeamPool";

/// A refill request. Patients see its status, the decision and a denial's reason; where it
/// was routed is for staff.
pub struct RefillRequest {
    model: refill_request::Model,
    medication: Option<medication_request::Model>,
    restricted: bool,
    staff_view: bool,
}

impl RefillRequest {
    fn listed(listed: queue::Listed, staff_view: bool) -> Self {
        Self {
            model: listed.refill,
            medication: listed.medication,
            restricted: listed.restricted,
            staff_view,
        }
    }
}

#[Object]
impl RefillRequest {
    async fn id(&self) -> ID {
        global_id::encode("RefillRequest", self.model.id)
    }
    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.model.patient_id)
    }
    async fn medication_id(&self) -> ID {
        global_id::encode("MedicationRequest", self.model.medication_request_id)
    }
    /// Null on a restricted chart the viewer has not broken the glass for.
    async fn medication(&self) -> Option<MedicationRequest> {
        self.medication.clone().map(MedicationRequest::from)
    }
    /// The chart is restricted: break the glass to see the medication and decide.
    async fn restricted(&self) -> bool {
        self.restricted
    }
    /// Null on a restricted chart the viewer has not broken the glass for (the patient's
    /// own words).
    async fn pharmacy(&self) -> Option<&str> {
        (!self.restricted).then_some(self.model.pharmacy.as_str())
    }
    async fn note(&self) -> Option<&str> {
        if self.restricted {
            return None;
        }
        self.model.note.as_deref()
    }
    /// `requested`, `routed`, `approved`, `denied` or `needs_appointment`.
    async fn status(&self) -> &str {
        &self.model.status
    }
    /// Staff only: `prescriber`, `covering`, `renewal`, `visit` or `pool`.
    async fn route(&self) -> Option<&str> {
        self.model.route.as_deref().filter(|_| self.staff_view)
    }
    /// Staff only: why the rules routed it there (null before routing, and on requests
    /// routed before reasons were kept).
    async fn routing_reason(&self) -> Option<RoutingReason> {
        let reason = self
            .model
            .route_reason
            .as_deref()
            .filter(|_| self.staff_view)
            .and_then(routing::Reason::parse)?;
        let renewal = self.model.route.as_deref() == Some(routing::Route::Renewal.as_str());
        let unassigned =
            self.model.assigned_pool_id.is_none() && self.model.assigned_user_id.is_none();
        let mut message = String::new();
        if renewal {
            message.push_str("No refills are left, so it is a renewal. ");
        }
        message.push_str(reason.sentence());
        if unassigned && reason != routing::Reason::ControlledSubstance {
            message.push_str(" No refill pool is set, so it waits unassigned in the queue.");
        }
        Some(RoutingReason {
            code: RoutingReasonCode::from(reason),
            message,
        })
    }
    /// Staff only.
    async fn assigned_pool_id(&self) -> Option<ID> {
        self.model
            .assigned_pool_id
            .filter(|_| self.staff_view)
            .map(|p| global_id::encode(POOL, p))
    }
    /// Staff only.
    async fn assigned_user_id(&self) -> Option<ID> {
        self.model
            .assigned_user_id
            .filter(|_| self.staff_view)
            .map(|u| global_id::encode("User", u))
    }
    /// When a decision is due (the practice's turnaround target).
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.model.due_at
    }
    /// Pending and past its due time.
    async fn overdue(&self) -> bool {
        PENDING.contains(&self.model.status.as_str())
            && self.model.due_at.is_some_and(|d| d < Utc::now())
    }
    async fn routed_at(&self) -> Option<DateTime<Utc>> {
        self.model.routed_at
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.model.decided_at
    }
    /// Staff only.
    async fn decided_by(&self) -> Option<ID> {
        self.model
            .decided_by
            .filter(|_| self.staff_view)
            .map(|u| global_id::encode("User", u))
    }
    async fn approved_quantity(&self) -> Option<i32> {
        self.model.approved_quantity
    }
    async fn approved_refills(&self) -> Option<i32> {
        self.model.approved_refills
    }
    /// Why it was denied (or why a visit is needed), for the patient.
    async fn reason(&self) -> Option<&str> {
        self.model.deny_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
}

/// Which routing rule applied.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum RoutingReasonCode {
    /// A controlled substance: a visit is needed.
    ControlledSubstance,
    /// The prescriber, an active provider of the practice, takes it.
    Prescriber,
    /// The prescriber has time off; their covering provider takes it.
    CoveringProvider,
    /// The prescriber has time off and nobody covers: the refill pool.
    PrescriberAwayUncovered,
    /// The prescriber is no longer an active provider: the refill pool.
    PrescriberInactive,
    /// The prescriber is not a provider of the practice: the refill pool.
    PrescriberNotAProvider,
}

impl From<routing::Reason> for RoutingReasonCode {
    fn from(reason: routing::Reason) -> Self {
        match reason {
            routing::Reason::ControlledSubstance => Self::ControlledSubstance,
            routing::Reason::Prescriber => Self::Prescriber,
            routing::Reason::CoveringProvider => Self::CoveringProvider,
            routing::Reason::PrescriberAwayUncovered => Self::PrescriberAwayUncovered,
            routing::Reason::PrescriberInactive => Self::PrescriberInactive,
            routing::Reason::PrescriberNotAProvider => Self::PrescriberNotAProvider,
        }
    }
}

/// Why a refill request went where it did, for staff: the rule as a code and a sentence
/// (never anything about the patient or the medication).
#[derive(SimpleObject)]
pub struct RoutingReason {
    code: RoutingReasonCode,
    message: String,
}

/// A staff decision.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum RefillDecision {
    Approve,
    Deny,
    NeedsAppointment,
}

#[derive(InputObject)]
pub struct RequestRefillInput {
    /// An active medication of the chart.
    medication_id: ID,
    /// Where to send it: 1 to 200 characters.
    pharmacy: String,
    /// For the care team: at most 1000 characters.
    note: Option<String>,
}

#[derive(InputObject)]
pub struct DecideRefillInput {
    id: ID,
    decision: RefillDecision,
    /// Approve: the quantity to dispense (1 to 10000).
    quantity: Option<i32>,
    /// Approve: refills granted (0 to 99).
    refills: Option<i32>,
    /// Deny: why, shown to the patient (required). Needs appointment: optional.
    reason: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateRefillSettingsInput {
    /// Hours within which a request should be decided (1 to 720); the default (48) when null.
    turnaround_hours: Option<i32>,
    /// The care-team pool refills fall back to; none when null.
    pool_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetCoveringProviderInput {
    provider_id: ID,
    /// Another active provider; null clears it.
    covering_provider_id: Option<ID>,
}

#[derive(SimpleObject, Default)]
pub struct RefillRequestPayload {
    refill_request: Option<RefillRequest>,
    user_errors: Vec<UserError>,
}

impl RefillRequestPayload {
    fn of(model: refill_request::Model, staff_view: bool) -> Self {
        Self {
            refill_request: Some(RefillRequest {
                model,
                medication: None,
                restricted: false,
                staff_view,
            }),
            user_errors: Vec::new(),
        }
    }
}

refusable!(
    RefillRequestPayload,
    RefillSettingsPayload,
    SetCoveringProviderPayload
);

#[derive(SimpleObject, Default)]
pub struct RefillSettingsPayload {
    turnaround_hours: Option<i32>,
    pool_id: Option<ID>,
    user_errors: Vec<UserError>,
}

/// The practice's refill settings, as `updateRefillSettings` set them.
#[derive(SimpleObject)]
pub struct RefillSettings {
    /// Hours within which a request should be decided (the default, 48, unless set).
    turnaround_hours: i32,
    /// The care-team pool refills fall back to; null when none is set.
    pool_id: Option<ID>,
}

#[derive(SimpleObject, Default)]
pub struct SetCoveringProviderPayload {
    covering_provider_id: Option<ID>,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct RefillsQuery;

#[Object]
impl RefillsQuery {
    /// The practice's refill turnaround target and fallback pool (those who may change
    /// them: practice admins).
    async fn refill_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<RefillSettings> {
        ctx.caller(Need::to("settings", "manage")).await?;
        let practice = &ctx.tenant()?.tenant;
        Ok(RefillSettings {
            turnaround_hours: settings::turnaround_hours(practice),
            pool_id: practice.refill_pool_id.map(|p| global_id::encode(POOL, p)),
        })
    }

    /// The refill queue (staff): pending requests by default, oldest first; or one
    /// `status`, one pool's, or (`overdue`) those past their due time. At most `first`
    /// (1 to 200, 50 by default).
    async fn refill_queue(
        &self,
        ctx: &Context<'_>,
        status: Option<String>,
        pool_id: Option<ID>,
        overdue: Option<bool>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<RefillRequest>> {
        let filter = Filter {
            status,
            pool_id: global_id::parse_opt(POOL, "poolId", pool_id.as_ref())?,
            overdue: overdue.unwrap_or(false),
        };
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 200)).unwrap_or(50);
        // Writing: listing the queue audits the charts it shows.
        let listed = ctx
            .run(
                Need::to("refills", "read"),
                Access::Write,
                async |tx, caller| {
                    // A pool that is not this practice's is not found, not an empty queue.
                    if let Some(pool) = filter.pool_id {
                        portico_core::messaging::pools::find(tx, pool).await?;
                    }
                    let viewer = caller.viewer();
                    queue::list(tx, &caller.actor, &viewer, &filter, Utc::now(), limit).await
                },
            )
            .await?;
        Ok(listed
            .into_iter()
            .map(|l| RefillRequest::listed(l, true))
            .collect())
    }

    /// A chart's refill requests, newest first: the patient's own (or a proxy's with
    /// `read` or `refills`), or any chart's for staff.
    async fn refill_requests(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
    ) -> async_graphql::Result<Vec<RefillRequest>> {
        let patient = global_id::parse("Patient", "patientId", &patient_id)?;
        let (patient_view, listed) = ctx
            .run(
                Need::to("refills", "read").or_own("own_refills"),
                Access::Write,
                async |tx, caller| {
                    let chart = refills::request::chart_for_listing(
                        tx,
                        &caller.viewer(),
                        PatientId::from_uuid(patient),
                    )
                    .await?;
                    let actor = caller.actor.clone().with_break_glass(chart.break_glass);
                    let listed = refills::of_chart(tx, &actor, &chart).await?;
                    Ok((chart.is_patient_view(), listed))
                },
            )
            .await?;
        Ok(listed
            .into_iter()
            .map(|l| RefillRequest::listed(l, !patient_view))
            .collect())
    }
}

#[derive(Default)]
pub struct RefillsMutation;

#[Object]
impl RefillsMutation {
    /// Asks for a refill of an active medication of the patient's own chart (or, with a
    /// proxy grant's `refills` scope, of that chart). `REFILL_ALREADY_PENDING`,
    /// `MEDICATION_NOT_ACTIVE`, `INVALID_PHARMACY` or `NOTE_TOO_LONG`; another chart's
    /// medication is `NOT_FOUND`.
    async fn request_refill(
        &self,
        ctx: &Context<'_>,
        input: RequestRefillInput,
    ) -> async_graphql::Result<RefillRequestPayload> {
        let medication =
            global_id::parse("MedicationRequest", "medicationId", &input.medication_id)?;
        let outcome = ctx
            .mutate(
                Need::to("own_refills", "write").new_work(),
                async |tx, caller| {
                    let input = RefillInput {
                        medication_id: medication,
                        pharmacy: input.pharmacy,
                        note: input.note,
                    };
                    request::request(tx, &caller.actor, caller.principal.user_id, input).await
                },
            )
            .await?;
        if outcome.is_ok() {
            relay_outbox(ctx, 1).await?;
        }
        Ok(outcome.payload(|model| RefillRequestPayload::of(model, false)))
    }

    /// Decides a refill request (practice admins and providers). Approve needs a positive
    /// `quantity` and `refills` of 0 or more; deny needs a `reason`, which the patient sees.
    /// `REFILL_ALREADY_DECIDED` once decided. The patient is told there is an update.
    async fn decide_refill(
        &self,
        ctx: &Context<'_>,
        input: DecideRefillInput,
    ) -> async_graphql::Result<RefillRequestPayload> {
        let id = global_id::parse("RefillRequest", "id", &input.id)?;
        let decision = match input.decision {
            RefillDecision::Approve => Decision::Approve {
                quantity: input.quantity.unwrap_or(0),
                refills: input.refills.unwrap_or(-1),
            },
            RefillDecision::Deny => Decision::Deny {
                reason: input.reason.unwrap_or_default(),
            },
            RefillDecision::NeedsAppointment => Decision::NeedsAppointment {
                reason: input.reason,
            },
        };
        let portal = notice_text(ctx)?;
        let outcome = ctx
            .mutate(
                Need::to("refills", "decide").new_work(),
                async |tx, caller| {
                    let viewer = caller.viewer();
                    decisions::decide(
                        tx,
                        &caller.actor,
                        &viewer,
                        &portal,
                        id,
                        decision,
                        Utc::now(),
                    )
                    .await
                },
            )
            .await?;
        if outcome.is_ok() {
            relay_outbox(ctx, 1).await?;
        }
        Ok(outcome.payload(|model| RefillRequestPayload::of(model, true)))
    }

    /// Sets the practice's refill turnaround target and fallback pool (practice admins).
    async fn update_refill_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateRefillSettingsInput,
    ) -> async_graphql::Result<RefillSettingsPayload> {
        let pool = global_id::parse_opt(POOL, "poolId", input.pool_id.as_ref())?;
        let outcome = ctx
            .mutate(Need::to("settings", "manage"), async |tx, caller| {
                settings::set(tx, &caller.actor, input.turnaround_hours, pool).await
            })
            .await?;
        Ok(outcome.payload(|practice| RefillSettingsPayload {
            turnaround_hours: Some(settings::turnaround_hours(&practice)),
            pool_id: practice.refill_pool_id.map(|p| global_id::encode(POOL, p)),
            user_errors: Vec::new(),
        }))
    }

    /// Sets who takes a provider's refill requests while they have time off (practice
    /// admins). `INVALID_COVERING_PROVIDER` for the provider themself or an unknown one.
    async fn set_covering_provider(
        &self,
        ctx: &Context<'_>,
        input: SetCoveringProviderInput,
    ) -> async_graphql::Result<SetCoveringProviderPayload> {
        let provider = global_id::parse("Provider", "providerId", &input.provider_id)?;
        let covering = global_id::parse_opt(
            "Provider",
            "coveringProviderId",
            input.covering_provider_id.as_ref(),
        )?;
        let outcome = ctx
            .mutate(Need::to("scheduling", "manage"), async |tx, caller| {
                settings::set_covering(tx, &caller.actor, provider, covering).await
            })
            .await?;
        Ok(outcome.payload(|found| SetCoveringProviderPayload {
            covering_provider_id: found
                .covering_provider_id
                .map(|p| global_id::encode("Provider", p)),
            user_errors: Vec::new(),
        }))
    }
}
