//! The access log: patients see who opened their chart; practice admins search the log.
//! Reading the log is itself recorded.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    audit::{self, Filter},
    entities::audit_event,
    tenancy::Access,
};

use crate::{
    ApiError, global_id,
    run::{Need, Run},
};

/// One entry of a patient's access log.
#[derive(SimpleObject)]
pub struct ChartAccessEntry {
    at: DateTime<Utc>,
    /// The person's name, "an API client" or "Portico" (automatic work).
    who: String,
    /// Their role when they acted.
    role: Option<String>,
    /// What was done, e.g. `patient.read`.
    action: String,
    /// Done through a break-glass (emergency) access.
    break_glass: bool,
}

/// An audit event, for practice admins.
#[derive(SimpleObject)]
pub struct AuditEvent {
    id: ID,
    /// Position in the practice's hash chain.
    seq: i64,
    at: DateTime<Utc>,
    /// `user`, `api_key` or `system`.
    actor_kind: String,
    actor_id: Option<ID>,
    actor_name: Option<String>,
    actor_role: Option<String>,
    action: String,
    resource_type: String,
    /// A global id typed by `resourceType`.
    resource_id: Option<ID>,
    patient_id: Option<ID>,
    request_id: Option<String>,
    client_ip: Option<String>,
    /// Set when the actor used a break-glass access (a flagged event).
    break_glass_id: Option<ID>,
}

/// The actor's global id: a user's `User` id, an API client's `ApiKey` id.
pub(crate) fn actor_id(event: &audit_event::Model) -> Option<ID> {
    let ty = match event.actor_kind.as_str() {
        "api_key" => "ApiKey",
        _ => "User",
    };
    event.actor_id.map(|id| global_id::encode(ty, id))
}

/// The resource's global id, typed by the event's resource type (never a bare uuid).
pub(crate) fn resource_id(event: &audit_event::Model) -> Option<ID> {
    event
        .resource_id
        .map(|id| global_id::encode(&event.resource_type, id))
}

/// The events a practice admin asks for: a time range, a user, a patient.
pub(crate) fn filter(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    user_id: Option<&ID>,
    patient_id: Option<&ID>,
) -> Result<Filter, ApiError> {
    Ok(Filter {
        from,
        to,
        actor_id: global_id::parse_opt("User", "userId", user_id)?,
        patient_ids: global_id::parse_opt("Patient", "patientId", patient_id)?.map(|p| vec![p]),
    })
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Who opened the signed-in patient's chart, and when, newest first.
    async fn chart_access_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<ChartAccessEntry>> {
        let need = Need::to("own_chart", "read");
        // Only a patient has charts of their own: the policy may let staff read a chart,
        // but this log is the patient's.
        if !ctx.caller(need).await?.is_patient() {
            return Err(ApiError::Forbidden.into());
        }
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 500)).unwrap_or(50);
        let log = ctx
            .run(need, Access::Write, async |tx, caller| {
                audit::own_charts_log(tx, &caller.actor, caller.principal.user_id, limit).await
            })
            .await?;
        Ok(log
            .events
            .iter()
            .map(|e| ChartAccessEntry {
                at: e.occurred_at,
                who: log.who(e),
                // An app reading for the patient has no role of a person's.
                role: (e.actor_kind != audit::SMART_APP)
                    .then(|| e.actor_role.clone())
                    .flatten(),
                action: e.action.clone(),
                break_glass: e.break_glass_id.is_some(),
            })
            .collect())
    }

    /// The practice's audit events, newest first, by time range, user and patient
    /// (practice admins). Reading the log is recorded in it.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        user_id: Option<ID>,
        patient_id: Option<ID>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<AuditEvent>> {
        let filter = filter(from, to, user_id.as_ref(), patient_id.as_ref())?;
        let limit = u64::try_from(first.unwrap_or(100).clamp(1, 1000)).unwrap_or(100);
        let log = ctx
            .run(
                Need::to("audit", "read"),
                Access::Write,
                async |tx, caller| audit::read_log(tx, &caller.actor, &filter, limit).await,
            )
            .await?;
        let names: Vec<Option<String>> = log.events.iter().map(|e| log.name_of(e)).collect();
        Ok(log
            .events
            .into_iter()
            .zip(names)
            .map(|(e, actor_name)| AuditEvent {
                resource_id: resource_id(&e),
                id: global_id::encode("AuditEvent", e.id),
                seq: e.seq,
                at: e.occurred_at,
                actor_name,
                actor_id: actor_id(&e),
                actor_kind: e.actor_kind,
                actor_role: e.actor_role,
                action: e.action,
                resource_type: e.resource_type,
                patient_id: e.patient_id.map(|p| global_id::encode("Patient", p)),
                request_id: e.request_id,
                client_ip: e.client_ip,
                break_glass_id: e
                    .break_glass_id
                    .map(|b| global_id::encode("BreakGlassAccess", b)),
            })
            .collect())
    }
}
