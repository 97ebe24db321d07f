//! Preventive-care recalls: the practice's rules (practice admins manage them, staff read
//! them), each rule's campaign figures (notices sent, bookings that followed), and a way for
//! an admin to run the day's recalls now instead of waiting for the daily run.

use std::collections::HashMap;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    entities::{appointment_type, recall_rule},
    scheduling::{
        catalog,
        recalls::{self, RuleFields},
    },
    tenancy::Access,
};
use uuid::Uuid;

use super::{
    access::clock,
    appointments::{notice_text, relay_outbox},
    objects::AppointmentType,
};
use crate::{
    ApiError, global_id,
    run::{Need, OutcomeExt, Run, refusable},
    scalars::Date,
    user_error::UserError,
};

/// Staff read the rules and their figures.
const READ: Need = Need::to("recalls", "read");

/// Practice admins change them and run them.
const MANAGE: Need = Need::to("recalls", "manage");

/// A recall rule: patients of an age (and sex) are invited to book a type of visit when
/// they have not had one for `intervalMonths`. Its name is for staff only; notices never
/// carry it.
pub struct RecallRule {
    model: recall_rule::Model,
    kind: Option<appointment_type::Model>,
}

impl RecallRule {
    fn list(
        models: Vec<recall_rule::Model>,
        types: &HashMap<Uuid, appointment_type::Model>,
    ) -> Vec<Self> {
        models
            .into_iter()
            .map(|model| Self {
                kind: types.get(&model.appointment_type_id).cloned(),
                model,
            })
            .collect()
    }
}

#[Object]
impl RecallRule {
    async fn id(&self) -> ID {
        global_id::encode("RecallRule", self.model.id)
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    /// The visit that satisfies the rule and that the patient is invited to book.
    async fn appointment_type(&self) -> Option<AppointmentType> {
        self.kind.clone().map(AppointmentType)
    }
    async fn interval_months(&self) -> i32 {
        self.model.interval_months
    }
    async fn min_age(&self) -> i32 {
        self.model.min_age
    }
    async fn max_age(&self) -> Option<i32> {
        self.model.max_age
    }
    /// `female` or `male` (matched against the chart's gender); any when null.
    async fn sex(&self) -> Option<&str> {
        self.model.sex.as_deref()
    }
    async fn active(&self) -> bool {
        self.model.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
}

/// One rule's notices over a period and the bookings that followed them.
#[derive(SimpleObject)]
pub struct RecallCampaign {
    rule: RecallRule,
    /// Notices sent in the period.
    sent: i32,
    /// Of those, how many a booking of the rule's visit followed (within 90 days).
    booked: i32,
    /// `booked / sent`; 0 when nothing was sent.
    conversion: f64,
}

#[derive(InputObject)]
pub struct RecallRuleInput {
    /// For staff; never shown to patients. 1 to 100 characters.
    name: String,
    appointment_type_id: ID,
    /// 1 to 120.
    interval_months: i32,
    /// 0 to 120.
    #[graphql(default = 0)]
    min_age: i32,
    /// `minAge` to 120; no upper limit when unset.
    max_age: Option<i32>,
    /// `female` or `male`; anyone when unset.
    sex: Option<String>,
    #[graphql(default = true)]
    active: bool,
}

impl RecallRuleInput {
    fn fields(self) -> Result<RuleFields, ApiError> {
        Ok(RuleFields {
            name: self.name,
            appointment_type_id: global_id::parse(
                "AppointmentType",
                "appointmentTypeId",
                &self.appointment_type_id,
            )?,
            interval_months: self.interval_months,
            min_age: self.min_age,
            max_age: self.max_age,
            sex: self.sex,
            active: self.active,
        })
    }
}

#[derive(InputObject)]
pub struct UpdateRecallRuleInput {
    id: ID,
    /// The whole rule as it should be (`active: false` pauses it).
    rule: RecallRuleInput,
}

#[derive(InputObject)]
pub struct DeleteRecallRuleInput {
    id: ID,
}

#[derive(SimpleObject, Default)]
pub struct RecallRulePayload {
    recall_rule: Option<RecallRule>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct DeleteRecallRulePayload {
    deleted_id: Option<ID>,
    user_errors: Vec<UserError>,
}

/// What a run of the recalls did.
#[derive(SimpleObject, Default)]
pub struct RunRecallsPayload {
    /// Patients sent a notice now.
    notified: i32,
    /// Due patients who cannot be told: opted out, or no address on a channel they want.
    unreachable: i32,
    /// More patients are due than one run sends; run again, or the daily run continues.
    more: bool,
    user_errors: Vec<UserError>,
}

async fn types_by_id(
    tx: &portico_core::TenantTx,
) -> portico_core::CoreResult<HashMap<Uuid, appointment_type::Model>> {
    Ok(catalog::types(tx, true, false)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

refusable!(RecallRulePayload, DeleteRecallRulePayload);

#[derive(Default)]
pub struct RecallsQuery;

#[Object]
impl RecallsQuery {
    /// The practice's recall rules, oldest first (staff).
    async fn recall_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] include_inactive: bool,
    ) -> async_graphql::Result<Vec<RecallRule>> {
        let (rules, types) = ctx
            .run(READ, Access::Read, async |tx, _| {
                Ok((
                    recalls::rules(tx, include_inactive).await?,
                    types_by_id(tx).await?,
                ))
            })
            .await?;
        Ok(RecallRule::list(rules, &types))
    }

    /// Each rule's notices sent between two local dates of the practice (inclusive, at most
    /// 366 days) and the bookings that followed them: the recalls' share of the adoption
    /// metrics (staff).
    async fn recall_campaigns(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> async_graphql::Result<Vec<RecallCampaign>> {
        let clock = clock(ctx)?;
        let (campaigns, types) = ctx
            .run(READ, Access::Read, async |tx, _| {
                let (start, end) = recalls::campaign_period(clock.tz, from.0, to.0)?;
                Ok((
                    recalls::campaigns(tx, start, end).await?,
                    types_by_id(tx).await?,
                ))
            })
            .await?;
        Ok(campaigns
            .into_iter()
            .map(|c| RecallCampaign {
                sent: count(c.sent),
                booked: count(c.booked),
                conversion: c.conversion(),
                rule: RecallRule {
                    kind: types.get(&c.rule.appointment_type_id).cloned(),
                    model: c.rule,
                },
            })
            .collect())
    }
}

#[derive(Default)]
pub struct RecallsMutation;

impl RecallsMutation {
    async fn saved(
        ctx: &Context<'_>,
        id: Option<ID>,
        input: RecallRuleInput,
    ) -> async_graphql::Result<RecallRulePayload> {
        let id = global_id::parse_opt("RecallRule", "id", id.as_ref())?;
        let fields = input.fields()?;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                let rule = match id {
                    Some(id) => recalls::update_rule(tx, &caller.actor, id, fields).await?,
                    None => recalls::create_rule(tx, &caller.actor, fields).await?,
                };
                let kind = catalog::find_type(tx, rule.appointment_type_id).await?;
                Ok(RecallRule {
                    model: rule,
                    kind: Some(kind),
                })
            })
            .await?;
        Ok(outcome.payload(|rule| RecallRulePayload {
            recall_rule: Some(rule),
            user_errors: Vec::new(),
        }))
    }
}

#[Object]
impl RecallsMutation {
    /// Adds a recall rule (practice admins). `INVALID_INTERVAL`, `INVALID_AGE_RANGE`,
    /// `INVALID_SEX`, `UNKNOWN_APPOINTMENT_TYPE` or `INVALID_NAME` for bad input.
    async fn create_recall_rule(
        &self,
        ctx: &Context<'_>,
        input: RecallRuleInput,
    ) -> async_graphql::Result<RecallRulePayload> {
        Self::saved(ctx, None, input).await
    }

    /// Replaces a recall rule (practice admins); `active: false` pauses it and keeps its
    /// figures.
    async fn update_recall_rule(
        &self,
        ctx: &Context<'_>,
        input: UpdateRecallRuleInput,
    ) -> async_graphql::Result<RecallRulePayload> {
        Self::saved(ctx, Some(input.id), input.rule).await
    }

    /// Deletes a rule that has sent no notice (practice admins); one that has is
    /// `RULE_IN_USE`: deactivate it instead.
    async fn delete_recall_rule(
        &self,
        ctx: &Context<'_>,
        input: DeleteRecallRuleInput,
    ) -> async_graphql::Result<DeleteRecallRulePayload> {
        let id = global_id::parse("RecallRule", "id", &input.id)?;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                recalls::delete_rule(tx, &caller.actor, id).await
            })
            .await?;
        Ok(outcome.payload(|rule| DeleteRecallRulePayload {
            deleted_id: Some(global_id::encode("RecallRule", rule.id)),
            user_errors: Vec::new(),
        }))
    }

    /// Sends the notices due today now, as the daily run would (practice admins). A
    /// patient already notified in a rule's interval is not notified again.
    async fn run_recalls_now(&self, ctx: &Context<'_>) -> async_graphql::Result<RunRecallsPayload> {
        let clock = clock(ctx)?;
        let portal = notice_text(ctx)?;
        let run = ctx
            .run(MANAGE.new_work(), Access::Write, async |tx, caller| {
                recalls::evaluate_due(tx, &caller.actor, clock, &portal).await
            })
            .await?;
        relay_outbox(ctx, run.notified).await?;
        Ok(RunRecallsPayload {
            notified: i32::try_from(run.notified).unwrap_or(i32::MAX),
            unreachable: i32::try_from(run.unreachable).unwrap_or(i32::MAX),
            more: run.more,
            user_errors: Vec::new(),
        })
    }
}
