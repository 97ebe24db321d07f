//! The access log: patients see who opened their chart; practice admins search the log.
//! Reading the log is itself recorded.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    accounts,
    audit::{self, Access as AuditAccess, Filter},
    entities::audit_event,
    identity::Role,
    patients,
    tenancy::Access,
};

use crate::{ApiError, context::ContextExt, global_id};

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

fn who(
    event: &audit_event::Model,
    names: &std::collections::HashMap<uuid::Uuid, String>,
) -> String {
    match (event.actor_kind.as_str(), event.actor_id) {
        ("user", Some(id)) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "a former user".to_owned()),
        ("api_key", _) => "an API client".to_owned(),
        _ => "Portico".to_owned(),
    }
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
        let principal = ctx.authorize("own_chart", "read").await?.clone();
        if principal.role != Role::Patient {
            return Err(ApiError::Forbidden.into());
        }
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 500)).unwrap_or(50);
        let tx = ctx.tenant_tx(Access::Write).await?;
        let own: Vec<uuid::Uuid> =
            patients::accessible_to(&tx, &ctx.actor(&principal), principal.user_id)
                .await
                .map_err(core)?
                .into_iter()
                .filter(|a| a.proxy_scopes.is_none())
                .map(|a| a.chart.id)
                .collect();
        let events = audit::search(
            &tx,
            &Filter {
                patient_ids: Some(own),
                ..Filter::default()
            },
            limit,
        )
        .await
        .map_err(core)?;
        let ids: Vec<uuid::Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        let names = accounts::names(&tx, &ids).await.map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(events
            .iter()
            .map(|e| ChartAccessEntry {
                at: e.occurred_at,
                who: who(e, &names),
                role: e.actor_role.clone(),
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
        let principal = ctx.authorize("audit", "read").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let decode = |ty, field, id: &Option<ID>| global_id::parse_opt(ty, field, id.as_ref());
        let filter = Filter {
            from,
            to,
            actor_id: decode("User", "userId", &user_id)?,
            patient_ids: decode("Patient", "patientId", &patient_id)?.map(|p| vec![p]),
        };
        let limit = u64::try_from(first.unwrap_or(100).clamp(1, 1000)).unwrap_or(100);
        let tx = ctx.tenant_tx(Access::Write).await?;
        let events = audit::search(&tx, &filter, limit).await.map_err(core)?;
        let ids: Vec<uuid::Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        let names = accounts::names(&tx, &ids).await.map_err(core)?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "audit.read",
                resource_type: "AuditLog",
                resource_id: None,
                patient_id: filter.patient_ids.as_ref().and_then(|p| p.first().copied()),
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(events
            .into_iter()
            .map(|e| AuditEvent {
                resource_id: resource_id(&e),
                id: global_id::encode("AuditEvent", e.id),
                seq: e.seq,
                at: e.occurred_at,
                actor_name: e.actor_id.and_then(|id| names.get(&id).cloned()),
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
