//! Busy time that is not an appointment: staff block a provider's time (a meeting, time
//! off) and practice admins close the practice for a holiday.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    audit::{self, Access as AuditAccess},
    entities::schedule_block,
    scheduling::{
        blocks::{self, NewBlock},
        catalog, waitlist,
    },
    tenancy::Access,
};

use super::{
    access::{actor, clock, uuid_of},
    appointments::{notice_text, relay_outbox},
};
use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    scalars::Date,
    user_error::{UserError, settle},
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
        ctx.authorize("appointments", "read").await?;
        let request_id = ctx.request()?.request_id.clone();
        let provider = provider_id
            .as_ref()
            .map(|id| uuid_of("Provider", "providerId", id))
            .transpose()?;
        let tx = ctx.tenant_tx(Access::Read).await?;
        let found = if let Some(provider) = provider {
            // Another practice's provider, or none, is not found rather than a free range.
            match portico_core::scheduling::catalog::find_provider(&tx, provider).await {
                Ok(_) => blocks::between(&tx, &[provider], from, to).await,
                Err(e) => Err(e),
            }
        } else {
            let all = portico_core::scheduling::catalog::providers(&tx, true).await;
            match all {
                Ok(all) => {
                    let ids: Vec<_> = all.into_iter().map(|p| p.id).collect();
                    blocks::between(&tx, &ids, from, to).await
                }
                Err(e) => Err(e),
            }
        };
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(found
            .map_err(|e| ApiError::from_core(e, &request_id))?
            .into_iter()
            .map(ScheduleBlock::from)
            .collect())
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

fn invalid(field: &str, code: &str, message: &str) -> ScheduleBlockPayload {
    ScheduleBlockPayload {
        schedule_block: None,
        user_errors: vec![UserError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        }],
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
        let principal = if input.kind == BlockKind::Holiday {
            ctx.authorize("scheduling", "manage").await?.clone()
        } else {
            ctx.authorize("appointments", "write").await?.clone()
        };
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let provider_id = input
            .provider_id
            .as_ref()
            .map(|id| uuid_of("Provider", "providerId", id))
            .transpose()?;
        let (starts_at, ends_at) = match (input.kind, input.date, input.starts_at, input.ends_at) {
            (BlockKind::Holiday, Some(date), _, _) => match blocks::whole_day(clock.tz, date.0) {
                Some(span) => span,
                None => return Ok(invalid("date", "INVALID_DATE", "not a date in this zone")),
            },
            (BlockKind::Holiday, None, _, _) => {
                return Ok(invalid("date", "REQUIRED", "a holiday needs its date"));
            }
            (_, _, Some(start), Some(end)) => (start, end),
            _ => {
                return Ok(invalid(
                    "startsAt",
                    "REQUIRED",
                    "a block needs its start and end",
                ));
            }
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let added = async {
            let added = blocks::add(
                &tx,
                NewBlock {
                    provider_id,
                    kind: input.kind.as_str().to_owned(),
                    starts_at,
                    ends_at,
                    note: input.note,
                    created_by: Some(principal.user_id.as_uuid()),
                },
            )
            .await?;
            audit::record(
                &tx,
                &actor(ctx, &principal, None),
                AuditAccess {
                    action: "schedule_block.add",
                    resource_type: "ScheduleBlock",
                    resource_id: Some(added.id),
                    patient_id: None,
                },
            )
            .await?;
            Ok(added)
        }
        .await;
        Ok(match settle(tx, added, &request_id).await? {
            Ok(added) => ScheduleBlockPayload {
                schedule_block: Some(added.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => ScheduleBlockPayload {
                schedule_block: None,
                user_errors,
            },
        })
    }

    /// Removes a block (a holiday: practice admins); waitlisted patients hear of the time it
    /// opens.
    async fn remove_schedule_block(
        &self,
        ctx: &Context<'_>,
        input: RemoveScheduleBlockInput,
    ) -> async_graphql::Result<ScheduleBlockPayload> {
        let principal = ctx.authorize("appointments", "write").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let id = uuid_of("ScheduleBlock", "scheduleBlockId", &input.schedule_block_id)?;
        let actor = actor(ctx, &principal, None);
        let text = notice_text(ctx)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let found = blocks::find(&tx, id).await;
        let kind_allowed = match &found {
            Ok(block) if block.kind == "holiday" => {
                ctx.authorize("scheduling", "manage").await.map(|_| ())
            }
            _ => Ok(()),
        };
        if let Err(e) = kind_allowed {
            tx.rollback()
                .await
                .map_err(|e| ApiError::from_core(e, &request_id))?;
            return Err(e.into());
        }
        let removed = async {
            let removed = blocks::remove(&tx, id).await?;
            audit::record(
                &tx,
                &actor,
                AuditAccess {
                    action: "schedule_block.remove",
                    resource_type: "ScheduleBlock",
                    resource_id: Some(removed.id),
                    patient_id: None,
                },
            )
            .await?;
            // A holiday frees every provider's time.
            let providers = match removed.provider_id {
                Some(provider) => vec![provider],
                None => catalog::providers(&tx, false)
                    .await?
                    .into_iter()
                    .map(|p| p.id)
                    .collect(),
            };
            let mut notices = 0;
            for provider_id in providers {
                notices += waitlist::on_opening(
                    &tx,
                    &actor,
                    clock,
                    waitlist::Opening {
                        provider_id,
                        starts_at: removed.starts_at,
                        ends_at: removed.ends_at,
                        vacated_by: None,
                    },
                    &text,
                )
                .await?;
            }
            Ok((removed, notices))
        }
        .await;
        Ok(match settle(tx, removed, &request_id).await? {
            Ok((removed, notices)) => {
                relay_outbox(ctx, notices).await?;
                ScheduleBlockPayload {
                    schedule_block: Some(removed.into()),
                    user_errors: Vec::new(),
                }
            }
            Err(user_errors) => ScheduleBlockPayload {
                schedule_block: None,
                user_errors,
            },
        })
    }
}
