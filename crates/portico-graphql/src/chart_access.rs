//! Working on a chart for a resolver: the policy check (patients: `own_chart`; staff:
//! `patients`), then [`portico_core::chart_access::open`] and the work in the runner's
//! transaction: a reading one for [`read`] (audited as it ends; a query's reads share the
//! request's), a writing one for [`write`] and [`mutate`], with the actor flagged when the
//! chart was opened by breaking the glass. Also chart restrictions (practice admins).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use portico_core::{
    CoreResult, PatientId, TenantTx,
    audit::Actor,
    chart_access::{self, OpenChart, Purpose},
    entities::chart_restriction,
    tenancy::Access,
};
use uuid::Uuid;

use crate::{
    RequestReads, global_id,
    run::{Caller, Need, Outcome, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// Who may open a chart for `purpose`: patients their own (or one a proxy grant shares with
/// them: `own_chart`), staff any of the practice's (`patients`).
pub(crate) const fn need(purpose: Purpose) -> Need {
    match purpose {
        Purpose::Read => Need::to("patients", "read").or_own("own_chart"),
        Purpose::Write => Need::to("patients", "write").or_own("own_chart"),
    }
}

/// Who may change a chart's own details (contacts, emergency contacts): the patient, or
/// staff, while the practice takes new work.
pub(crate) const fn writing() -> Need {
    need(Purpose::Write).new_work()
}

/// A chart opened for the caller, and how the audit log names the work done on it.
pub(crate) struct Opened {
    pub chart: OpenChart,
    /// The caller, flagged when the chart was opened by breaking the glass.
    pub actor: Actor,
    pub caller: Caller,
}

/// Opens chart `patient` for `caller` in `tx`.
async fn opening(
    tx: &TenantTx,
    caller: &Caller,
    patient: Uuid,
    purpose: Purpose,
) -> CoreResult<Opened> {
    let chart =
        chart_access::open(tx, &caller.viewer(), PatientId::from_uuid(patient), purpose).await?;
    Ok(Opened::of(caller.clone(), chart))
}

impl Opened {
    fn of(caller: Caller, chart: OpenChart) -> Self {
        Self {
            actor: caller.actor.clone().with_break_glass(chart.break_glass),
            chart,
            caller,
        }
    }
}

/// Reads chart `patient` (a uuid) for the request's principal: `work` runs on the open chart.
/// Reading a chart reads only: its audit events are written as the transaction ends, without
/// a lock, so a practice's readers never wait on each other. A query's reads share the
/// request's transaction ([`RequestReads`], ended by the HTTP layer), and a chart it opened
/// already is not opened again; any other read has a reading transaction of its own.
pub(crate) async fn read<T>(
    ctx: &Context<'_>,
    patient: Uuid,
    work: impl AsyncFnOnce(&TenantTx, &Opened) -> CoreResult<T>,
) -> async_graphql::Result<T> {
    let caller = ctx.caller(need(Purpose::Read)).await?;
    let Some(tx) = RequestReads::shared(ctx).await? else {
        let done = ctx
            .within(Access::Read, async |tx| {
                let opened = opening(tx, &caller, patient, Purpose::Read).await?;
                work(tx, &opened).await
            })
            .await?;
        return Ok(done.map_err(|e| ctx.fail(e))?);
    };
    let done = async {
        let opened = match RequestReads::chart(ctx, patient) {
            Some(chart) => Opened::of(caller, chart),
            None => {
                let opened = opening(&tx, &caller, patient, Purpose::Read).await?;
                RequestReads::remember(ctx, &opened.chart);
                opened
            }
        };
        work(&tx, &opened).await
    }
    .await;
    Ok(done.map_err(|e| ctx.fail(e))?)
}

/// Changes chart `patient` for the caller allowed by `need` (a chart policy, see [`need`],
/// or a narrower one), like [`Run::run`]: `work` runs on the chart opened for writing.
pub(crate) async fn write<T>(
    ctx: &Context<'_>,
    need: Need,
    patient: Uuid,
    work: impl AsyncFnOnce(&TenantTx, &Opened) -> CoreResult<T>,
) -> async_graphql::Result<T> {
    ctx.run(need, Access::Write, async |tx, caller| {
        let opened = opening(tx, caller, patient, Purpose::Write).await?;
        work(tx, &opened).await
    })
    .await
}

/// As [`write`], with validation failures as `userErrors` (like [`Run::mutate`]).
pub(crate) async fn mutate<T>(
    ctx: &Context<'_>,
    need: Need,
    patient: Uuid,
    work: impl AsyncFnOnce(&TenantTx, &Opened) -> CoreResult<T>,
) -> async_graphql::Result<Outcome<T>> {
    ctx.mutate(need, async |tx, caller| {
        let opened = opening(tx, caller, patient, Purpose::Write).await?;
        work(tx, &opened).await
    })
    .await
}

/// A `Patient` global id (anything else is `NOT_FOUND`).
pub(crate) fn patient_id(patient: &ID) -> async_graphql::Result<Uuid> {
    Ok(global_id::parse("Patient", "patientId", patient)?)
}

/// Who besides practice admins opens a restricted chart without breaking the glass.
#[derive(SimpleObject)]
pub struct ChartRestriction {
    /// `staff`, `vip`, `behavioral_health` or `other`.
    category: String,
    /// Staff users on the chart's care team.
    care_team_user_ids: Vec<ID>,
}

pub(crate) async fn restriction_of(
    ctx: &Context<'_>,
    patient: Uuid,
) -> async_graphql::Result<Option<ChartRestriction>> {
    let found = read(ctx, patient, async |tx, opened| {
        chart_access::restriction_of(tx, &opened.chart).await
    })
    .await?;
    Ok(found.map(|(r, team)| restriction(r, team)))
}

fn restriction(r: chart_restriction::Model, team: Vec<Uuid>) -> ChartRestriction {
    ChartRestriction {
        category: r.category,
        care_team_user_ids: team
            .into_iter()
            .map(|u| global_id::encode("User", u))
            .collect(),
    }
}

#[derive(InputObject)]
pub struct SetChartRestrictionInput {
    patient_id: ID,
    /// `staff` (a colleague's chart), `vip`, `behavioral_health` or `other`; null lifts the
    /// restriction.
    category: Option<String>,
    /// Staff users who open the chart without breaking the glass (practice admins always do).
    #[graphql(default)]
    care_team_user_ids: Vec<ID>,
}

#[derive(SimpleObject, Default)]
pub struct SetChartRestrictionPayload {
    restriction: Option<ChartRestriction>,
    user_errors: Vec<UserError>,
}

refusable!(SetChartRestrictionPayload);

#[derive(Default)]
pub struct ChartAccessMutation;

#[Object]
impl ChartAccessMutation {
    /// Restricts a chart (or lifts the restriction). Practice admins.
    async fn set_chart_restriction(
        &self,
        ctx: &Context<'_>,
        input: SetChartRestrictionInput,
    ) -> async_graphql::Result<SetChartRestrictionPayload> {
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let team = input
            .care_team_user_ids
            .iter()
            .map(|id| global_id::parse("User", "careTeamUserIds", id))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let outcome = ctx
            .mutate(
                Need::to("chart_restrictions", "manage").new_work(),
                async |tx, caller| {
                    chart_access::set_restriction(
                        tx,
                        &caller.actor,
                        caller.principal.user_id,
                        PatientId::from_uuid(patient),
                        input.category.as_deref().map(str::trim),
                        &team,
                    )
                    .await
                },
            )
            .await?;
        Ok(outcome.payload(|saved| SetChartRestrictionPayload {
            restriction: saved.map(|r| restriction(r, team)),
            user_errors: Vec::new(),
        }))
    }
}
