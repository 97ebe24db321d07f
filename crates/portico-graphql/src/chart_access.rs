//! Opening a chart for a resolver: the policy check (patients: `own_chart`; staff:
//! `patients`), then [`portico_core::chart_access::open`] in a reading transaction for reads
//! (audited as it ends) and a writing one for changes, with the actor flagged when the chart
//! was opened by breaking the glass. Also chart restrictions (practice admins).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use portico_core::{
    PatientId, TenantTx,
    audit::Actor,
    chart_access::{self, OpenChart, Purpose, Viewer},
    entities::chart_restriction,
    identity::Role,
    tenancy::Access,
};
use std::sync::Arc;

use uuid::Uuid;

use crate::{
    ApiError, RequestReads,
    context::ContextExt,
    global_id,
    user_error::{UserError, settle},
};

/// The transaction a chart was opened in: its own (changes, and reads outside a query), or
/// the query request's shared reading transaction ([`RequestReads`]), which the HTTP layer
/// ends.
pub(crate) enum ChartTx {
    Own(TenantTx),
    Shared(Arc<TenantTx>),
}

impl std::ops::Deref for ChartTx {
    type Target = TenantTx;

    fn deref(&self) -> &TenantTx {
        match self {
            Self::Own(tx) => tx,
            Self::Shared(tx) => tx,
        }
    }
}

/// An open chart and the transaction it was opened in.
pub(crate) struct Opened {
    pub tx: ChartTx,
    pub chart: OpenChart,
    pub actor: Actor,
    pub request_id: String,
}

impl Opened {
    pub fn core(&self) -> impl Fn(portico_core::CoreError) -> ApiError + '_ {
        |e| ApiError::from_core(e, &self.request_id)
    }

    /// Commits its own transaction (a shared one is ended by the HTTP layer) and returns
    /// `value`.
    pub async fn done<T>(self, value: T) -> async_graphql::Result<T> {
        if let ChartTx::Own(tx) = self.tx {
            let request_id = self.request_id;
            tx.commit()
                .await
                .map_err(|e| ApiError::from_core(e, &request_id))?;
        }
        Ok(value)
    }

    /// Ends a mutation: commits a success, turns validation failures into `userErrors`.
    pub async fn settle<T>(
        self,
        result: portico_core::CoreResult<T>,
    ) -> async_graphql::Result<Result<T, Vec<UserError>>> {
        match self.tx {
            ChartTx::Own(tx) => settle(tx, result, &self.request_id).await,
            ChartTx::Shared(_) => match result {
                Ok(value) => Ok(Ok(value)),
                Err(e) => Ok(Err(UserError::from_core(e, &self.request_id)?)),
            },
        }
    }
}

/// The viewer behind the request, after the policy check for `purpose`.
pub(crate) async fn viewer(
    ctx: &Context<'_>,
    purpose: Purpose,
) -> async_graphql::Result<(Viewer, Actor)> {
    let principal = ctx.principal()?.clone();
    let action = match purpose {
        Purpose::Read => "read",
        Purpose::Write => "write",
    };
    let object = if principal.role == Role::Patient {
        "own_chart"
    } else {
        "patients"
    };
    let principal = ctx.authorize(object, action).await?.clone();
    Ok((
        Viewer {
            user_id: principal.user_id,
            role: principal.role,
        },
        ctx.actor(&principal),
    ))
}

/// Opens chart `patient` (a uuid) for the request's principal.
pub(crate) async fn open(
    ctx: &Context<'_>,
    patient: Uuid,
    purpose: Purpose,
) -> async_graphql::Result<Opened> {
    let (viewer, actor) = viewer(ctx, purpose).await?;
    let request_id = ctx.request()?.request_id.clone();
    // Reading a chart reads only: its audit events are written as the transaction ends,
    // without a lock, so a practice's readers never wait on each other. A query's reads
    // share the request's transaction, and a chart it opened already is not opened again.
    let shared = match purpose {
        Purpose::Read => RequestReads::shared(ctx).await?,
        Purpose::Write => None,
    };
    let (tx, remembered) = match shared {
        Some(tx) => (ChartTx::Shared(tx), RequestReads::chart(ctx, patient)),
        None => {
            let access = match purpose {
                Purpose::Read => Access::Read,
                Purpose::Write => Access::Write,
            };
            (ChartTx::Own(ctx.tenant_tx(access).await?), None)
        }
    };
    let chart = match remembered {
        Some(chart) => chart,
        None => {
            let chart = chart_access::open(&tx, &viewer, PatientId::from_uuid(patient), purpose)
                .await
                .map_err(|e| ApiError::from_core(e, &request_id))?;
            if matches!(tx, ChartTx::Shared(_)) {
                RequestReads::remember(ctx, &chart);
            }
            chart
        }
    };
    let actor = actor.with_break_glass(chart.break_glass);
    Ok(Opened {
        tx,
        chart,
        actor,
        request_id,
    })
}

/// As [`open`], from a `Patient` global id (anything else is `NOT_FOUND`).
pub(crate) async fn open_id(
    ctx: &Context<'_>,
    patient: &ID,
    purpose: Purpose,
) -> async_graphql::Result<Opened> {
    let uuid = global_id::parse("Patient", "patientId", patient)?;
    open(ctx, uuid, purpose).await
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
    let opened = open(ctx, patient, Purpose::Read).await?;
    if opened.chart.is_patient_view() {
        return opened.done(None).await;
    }
    let core = opened.core();
    let found = chart_access::restriction(&opened.tx, patient)
        .await
        .map_err(&core)?;
    let team = chart_access::care_team(&opened.tx, patient)
        .await
        .map_err(&core)?;
    drop(core);
    opened
        .done(found.map(|r| restriction(r, team.iter().map(|m| m.user_id).collect())))
        .await
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

#[derive(SimpleObject)]
pub struct SetChartRestrictionPayload {
    restriction: Option<ChartRestriction>,
    user_errors: Vec<UserError>,
}

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
        let principal = ctx.authorize("chart_restrictions", "manage").await?.clone();
        ctx.require_active_tenant()?;
        let request_id = ctx.request()?.request_id.clone();
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let team = input
            .care_team_user_ids
            .iter()
            .map(|id| global_id::parse("User", "careTeamUserIds", id))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let saved = chart_access::set_restriction(
            &tx,
            &ctx.actor(&principal),
            principal.user_id,
            PatientId::from_uuid(patient),
            input.category.as_deref().map(str::trim),
            &team,
        )
        .await;
        Ok(match settle(tx, saved, &request_id).await? {
            Ok(saved) => SetChartRestrictionPayload {
                restriction: saved.map(|r| restriction(r, team)),
                user_errors: Vec::new(),
            },
            Err(user_errors) => SetChartRestrictionPayload {
                restriction: None,
                user_errors,
            },
        })
    }
}
