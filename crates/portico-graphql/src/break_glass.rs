//! Break-glass access to restricted charts: staff open one with a stated reason for a
//! limited time; practice admins list the accesses and mark them reviewed.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, connection::query};
use chrono::{DateTime, Utc};
use portico_core::{PatientId, break_glass, entities::break_glass_access, tenancy::Access};

use crate::{
    context::ContextExt,
    global_id,
    records::{self, Page_},
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

#[derive(SimpleObject)]
pub struct BreakGlassAccess {
    id: ID,
    patient_id: ID,
    user_id: ID,
    /// The user's display name (for admins' review).
    user_name: Option<String>,
    reason: String,
    opened_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// Still open now.
    active: bool,
    reviewed_at: Option<DateTime<Utc>>,
    reviewed_by: Option<ID>,
}

fn access(m: break_glass_access::Model, user_name: Option<String>) -> BreakGlassAccess {
    BreakGlassAccess {
        id: global_id::encode("BreakGlassAccess", m.id),
        patient_id: global_id::encode("Patient", m.patient_id),
        user_id: global_id::encode("User", m.user_id),
        user_name,
        reason: m.reason,
        opened_at: m.created_at,
        active: m.expires_at > Utc::now(),
        expires_at: m.expires_at,
        reviewed_at: m.reviewed_at,
        reviewed_by: m.reviewed_by.map(|u| global_id::encode("User", u)),
    }
}

#[derive(InputObject)]
pub struct BreakGlassInput {
    patient_id: ID,
    /// Why the chart must be opened now (at least 15 characters); practice admins review it.
    reason: String,
}

#[derive(SimpleObject, Default)]
pub struct BreakGlassPayload {
    access: Option<BreakGlassAccess>,
    user_errors: Vec<UserError>,
}

refusable!(BreakGlassPayload);

#[derive(InputObject)]
pub struct ReviewBreakGlassAccessInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct ReviewBreakGlassAccessPayload {
    access: BreakGlassAccess,
}

#[derive(Default)]
pub struct BreakGlassQuery;

#[Object]
impl BreakGlassQuery {
    /// Break-glass accesses, newest first, optionally only reviewed or unreviewed ones
    /// (practice admins). Reading the list is audited.
    async fn break_glass_accesses(
        &self,
        ctx: &Context<'_>,
        reviewed: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<BreakGlassAccess>> {
        let need = Need::to("break_glass", "review");
        ctx.caller(need).await?;
        query(
            after,
            None,
            first,
            None,
            |after: Option<usize>, _: Option<usize>, first, _| async move {
                let page = records::page_of(after, first);
                // Writing: reading the list is audited.
                let (rows, names) = ctx
                    .run(need, Access::Write, async |tx, caller| {
                        let rows =
                            break_glass::list(tx, &caller.actor, reviewed, page.offset, page.limit)
                                .await?;
                        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.user_id).collect();
                        let names = portico_core::accounts::names(tx, &ids).await?;
                        Ok((rows, names))
                    })
                    .await?;
                Ok::<_, async_graphql::Error>(records::connection(
                    page,
                    records::shown(page, rows),
                    |r| {
                        let name = names.get(&r.user_id).cloned();
                        access(r, name)
                    },
                ))
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct BreakGlassMutation;

#[Object]
impl BreakGlassMutation {
    /// Opens a restricted chart outside the user's normal permission for a limited time
    /// (`PORTICO_BREAK_GLASS_MINUTES`), with a stated reason. Audited as `chart.break_glass`;
    /// every access during the window is flagged.
    async fn break_glass(
        &self,
        ctx: &Context<'_>,
        input: BreakGlassInput,
    ) -> async_graphql::Result<BreakGlassPayload> {
        let ttl = ctx.services()?.break_glass_ttl;
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let outcome = ctx
            .mutate(Need::to("break_glass", "open"), async |tx, caller| {
                break_glass::open(
                    tx,
                    &caller.actor,
                    &caller.viewer(),
                    PatientId::from_uuid(patient),
                    &input.reason,
                    ttl,
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|m| BreakGlassPayload {
            access: Some(access(m, None)),
            user_errors: Vec::new(),
        }))
    }

    /// Marks a break-glass access reviewed (practice admins).
    async fn review_break_glass_access(
        &self,
        ctx: &Context<'_>,
        input: ReviewBreakGlassAccessInput,
    ) -> async_graphql::Result<ReviewBreakGlassAccessPayload> {
        let id = global_id::parse("BreakGlassAccess", "id", &input.id)?;
        let reviewed = ctx
            .run(
                Need::to("break_glass", "review"),
                Access::Write,
                async |tx, caller| {
                    break_glass::review(tx, &caller.actor, caller.principal.user_id, id).await
                },
            )
            .await?;
        Ok(ReviewBreakGlassAccessPayload {
            access: access(reviewed, None),
        })
    }
}
