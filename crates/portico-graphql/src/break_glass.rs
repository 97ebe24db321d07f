//! Break-glass access to restricted charts: staff open one with a stated reason for a
//! limited time; practice admins list the accesses and mark them reviewed.

use async_graphql::{
    Context, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge, query},
};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId, break_glass, chart_access::Viewer, entities::break_glass_access, tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    records::Page_,
    user_error::{UserError, settle},
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

#[derive(SimpleObject)]
pub struct BreakGlassPayload {
    access: Option<BreakGlassAccess>,
    user_errors: Vec<UserError>,
}

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
        let principal = ctx.authorize("break_glass", "review").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        query(
            after,
            None,
            first,
            None,
            |after: Option<usize>, _: Option<usize>, first, _| async move {
                let core = |e| ApiError::from_core(e, &request_id);
                let limit = first.unwrap_or(20).clamp(1, 100);
                let offset = after.map_or(0, |a| a + 1);
                let tx = ctx.tenant_tx(Access::Write).await?;
                let mut rows = break_glass::list(
                    &tx,
                    &ctx.actor(&principal),
                    reviewed,
                    offset as u64,
                    limit as u64 + 1,
                )
                .await
                .map_err(core)?;
                let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.user_id).collect();
                let names = portico_core::accounts::names(&tx, &ids)
                    .await
                    .map_err(core)?;
                tx.commit().await.map_err(core)?;
                let has_next = rows.len() > limit;
                rows.truncate(limit);
                let mut connection = Connection::new(offset > 0, has_next);
                connection
                    .edges
                    .extend(rows.into_iter().enumerate().map(|(i, r)| {
                        let name = names.get(&r.user_id).cloned();
                        Edge::new(offset + i, access(r, name))
                    }));
                Ok::<_, async_graphql::Error>(connection)
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
        let principal = ctx.authorize("break_glass", "open").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let ttl = ctx.services()?.break_glass_ttl;
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let opened = break_glass::open(
            &tx,
            &ctx.actor(&principal),
            &Viewer {
                user_id: principal.user_id,
                role: principal.role,
            },
            PatientId::from_uuid(patient),
            &input.reason,
            ttl,
        )
        .await;
        Ok(match settle(tx, opened, &request_id).await? {
            Ok(m) => BreakGlassPayload {
                access: Some(access(m, None)),
                user_errors: Vec::new(),
            },
            Err(user_errors) => BreakGlassPayload {
                access: None,
                user_errors,
            },
        })
    }

    /// Marks a break-glass access reviewed (practice admins).
    async fn review_break_glass_access(
        &self,
        ctx: &Context<'_>,
        input: ReviewBreakGlassAccessInput,
    ) -> async_graphql::Result<ReviewBreakGlassAccessPayload> {
        let principal = ctx.authorize("break_glass", "review").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let id = global_id::parse("BreakGlassAccess", "id", &input.id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let reviewed = break_glass::review(&tx, &ctx.actor(&principal), principal.user_id, id)
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(ReviewBreakGlassAccessPayload {
            access: access(reviewed, None),
        })
    }
}
