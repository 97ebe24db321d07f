//! Busy time that is not an appointment: staff block a provider's time (a meeting, time
//! off) and practice admins close the practice for a holiday.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    entities::schedule_block,
    scheduling::{
        blocks::{self, NewBlock},
        catalog, openings,
    },
    tenancy::Access,
};

use super::{
    access::clock,
    appointments::{notice_text, relay_outbox},
};
use crate::{
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    scalars::Date,
    user_error::UserError,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum BlockKind {
    /// A provider's time set aside (a meeting, admin time).
    Block,
    /// A provider away.
    TimeOff,
    /// The whole practice closed for a day.
    Holiday,
}

impl BlockKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::TimeOff => "time_off",
            Self::Holiday => "holiday",
        }
    }
}

#[derive(SimpleObject)]
pub struct ScheduleBlock {
    id: ID,
    /// Unset: the whole practice.
    provider_id: Option<ID>,
    kind: BlockKind,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    note: Option<String>,
}

impl From<schedule_block::Model> for ScheduleBlock {
    fn from(b: schedule_block::Model) -> Self {
        Self {
            id: global_id::encode("ScheduleBlock", b.id),
            provider_id: b.provider_id.map(|p| global_id::encode("Provider", p)),
            kind: match b.kind.as_str() {
                "time_off" => BlockKind::TimeOff,
                "holiday" => BlockKind::Holiday,
                _ => BlockKind::Block,
            },
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            note: b.note,
        }
    }
}

#[derive(Default)]
pub struct BlocksQuery;

#[Object]
impl BlocksQuery {
    /// Blocks, time off and holidays touching a range (staff).
    async fn schedule_blocks(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        provider_id: Option<ID>,
    ) -> async_graphql::Result<Vec<ScheduleBlock>> {
        let provider = global_id::parse_opt("Provider", "providerId", provider_id.as_ref())?;
        let found = ctx
            .run(
                Need::to("appointments", "read"),
                Access::Read,
                async |tx, _| {
                    let providers = match provider {
                        // Another practice's provider, or none, is not found rather than a
                        // free range.
                        Some(provider) => vec![catalog::find_provider(tx, provider).await?.id],
                        None => catalog::providers(tx, true)
                            .await?
                            .into_iter()
                            .map(|p| p.id)
                            .collect(),
                    };
                    blocks::between(tx, &providers, from, to).await
                },
            )
            .await?;
        Ok(found.into_iter().map(ScheduleBlock::from).collect())
    }
}

#[derive(InputObject)]
pub struct AddScheduleBlockInput {
    /// Required for a block or time off; unset for a holiday.
    provider_id: Option<ID>,
    kind: BlockKind,
    /// For a block or time off.
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    /// For a holiday: the local date the practice is closed.
    date: Option<Date>,
    /// Staff's own words; never about a patient.
    note: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct ScheduleBlockPayload {
    schedule_block: Option<ScheduleBlock>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemoveScheduleBlockInput {
    schedule_block_id: ID,
}

refusable!(ScheduleBlockPayload);

impl ScheduleBlockPayload {
    fn of(block: schedule_block::Model) -> Self {
        Self {
            schedule_block: Some(block.into()),
            user_errors: Vec::new(),
        }
    }
}

#[derive(Default)]
pub struct BlocksMutation;

#[Object]
impl BlocksMutation {
    /// Blocks time on a provider's calendar, or closes the practice for a holiday. Refused
    /// (`APPOINTMENTS_IN_BLOCK`) while booked appointments fall inside it.
    async fn add_schedule_block(
        &self,
        ctx: &Context<'_>,
        input: AddScheduleBlockInput,
    ) -> async_graphql::Result<ScheduleBlockPayload> {
        let need = if input.kind == BlockKind::Holiday {
            Need::to("scheduling", "manage")
        } else {
            Need::to("appointments", "write")
        };
        let clock = clock(ctx)?;
        let provider_id =
            global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let kind = input.kind.as_str();
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                let (starts_at, ends_at) = blocks::span(
                    kind,
                    clock.tz,
                    input.date.map(|d| d.0),
                    input.starts_at,
                    input.ends_at,
                )?;
                let new = NewBlock {
                    provider_id,
                    kind: kind.to_owned(),
                    starts_at,
                    ends_at,
                    note: input.note,
                    created_by: Some(caller.principal.user_id.as_uuid()),
                };
                blocks::add_audited(tx, &caller.actor, new).await
            })
            .await?;
        Ok(outcome.payload(ScheduleBlockPayload::of))
    }

    /// Removes a block (a holiday: practice admins); waitlisted patients hear of the time it
    /// opens.
    async fn remove_schedule_block(
        &self,
        ctx: &Context<'_>,
        input: RemoveScheduleBlockInput,
    ) -> async_graphql::Result<ScheduleBlockPayload> {
        let clock = clock(ctx)?;
        let id = global_id::parse("ScheduleBlock", "scheduleBlockId", &input.schedule_block_id)?;
        let portal = notice_text(ctx)?;
        let need = Need::to("appointments", "write");
        // Only those who may manage the schedule end a holiday; the block's kind is known
        // inside the transaction, where a refusal ends it having changed nothing.
        let holidays = ctx.caller(Need::to("scheduling", "manage")).await.err();
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                if let Some(refusal) = holidays
                    && blocks::find(tx, id).await?.kind == blocks::HOLIDAY
                {
                    return Ok(Err(refusal));
                }
                let removed = openings::remove_block(tx, &caller.actor, clock, id, &portal).await?;
                Ok(Ok(removed))
            })
            .await?;
        let outcome = match outcome {
            Ok(Err(refusal)) => return Err(refusal.into()),
            Ok(Ok(removed)) => Ok(removed),
            Err(user_errors) => Err(user_errors),
        };
        if let Ok((_, notices)) = &outcome {
            relay_outbox(ctx, *notices).await?;
        }
        Ok(outcome.payload(|(removed, _)| ScheduleBlockPayload::of(removed)))
    }
}
