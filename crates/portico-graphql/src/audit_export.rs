//! Exporting the audit log: practice admins download the events of a date range (by user,
//! by patient) as CSV for a review or an auditor. The export is itself recorded.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    accounts,
    audit::{self, Access as AuditAccess, Filter},
    tenancy::Access,
};

use crate::{ApiError, context::ContextExt, global_id};

/// The most events one export holds; narrow the range for more.
const MAX_ROWS: u64 = 50_000;

#[derive(SimpleObject)]
pub struct AuditExport {
    /// RFC 4180 CSV with a header row, oldest event first.
    csv: String,
    rows: i32,
    /// More events matched than one export holds: narrow the range.
    truncated: bool,
}

#[derive(Default)]
pub struct AuditExportQuery;

#[Object]
impl AuditExportQuery {
    /// The practice's audit events between `from` and `to` (by user and patient when given),
    /// as CSV (practice admins; at most 50,000 events).
    async fn audit_export(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        user_id: Option<ID>,
        patient_id: Option<ID>,
    ) -> async_graphql::Result<AuditExport> {
        let principal = ctx.authorize("audit", "read").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        if to <= from {
            return Err(ApiError::BadUserInput {
                field: "to",
                code: "INVALID_RANGE",
                message: "the range must end after it starts".to_owned(),
            }
            .into());
        }
        let decode = |ty, field, id: &Option<ID>| global_id::parse_opt(ty, field, id.as_ref());
        let filter = Filter {
            from: Some(from),
            to: Some(to),
            actor_id: decode("User", "userId", &user_id)?,
            patient_ids: decode("Patient", "patientId", &patient_id)?.map(|p| vec![p]),
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let mut events = audit::search(&tx, &filter, MAX_ROWS + 1)
            .await
            .map_err(core)?;
        let truncated = events.len() > usize::try_from(MAX_ROWS).unwrap_or(usize::MAX);
        events.truncate(usize::try_from(MAX_ROWS).unwrap_or(usize::MAX));
        events.reverse();
        let ids: Vec<uuid::Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        let names = accounts::names(&tx, &ids).await.map_err(core)?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "audit.export",
                resource_type: "AuditLog",
                resource_id: None,
                patient_id: filter.patient_ids.as_ref().and_then(|p| p.first().copied()),
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;

        let mut writer = csv::Writer::from_writer(Vec::new());
        let internal = |_| ApiError::Internal {
            request_id: Some(request_id.clone()),
        };
        writer
            .write_record([
                "seq",
                "occurred_at",
                "actor_kind",
                "actor_id",
                "actor_name",
                "actor_role",
                "action",
                "resource_type",
                "resource_id",
                "patient_id",
                "request_id",
                "client_ip",
                "break_glass_id",
                "hash",
            ])
            .map_err(internal)?;
        for e in &events {
            let text = |v: Option<String>| v.unwrap_or_default();
            writer
                .write_record([
                    e.seq.to_string(),
                    e.occurred_at.to_rfc3339(),
                    e.actor_kind.clone(),
                    text(crate::audit::actor_id(e).map(|id| id.0)),
                    text(e.actor_id.and_then(|id| names.get(&id).cloned())),
                    text(e.actor_role.clone()),
                    e.action.clone(),
                    e.resource_type.clone(),
                    text(crate::audit::resource_id(e).map(|id| id.0)),
                    text(e.patient_id.map(|p| global_id::encode("Patient", p).0)),
                    text(e.request_id.clone()),
                    text(e.client_ip.clone()),
                    text(
                        e.break_glass_id
                            .map(|b| global_id::encode("BreakGlassAccess", b).0),
                    ),
                    e.hash.clone(),
                ])
                .map_err(internal)?;
        }
        let bytes = writer.into_inner().map_err(|_| ApiError::Internal {
            request_id: Some(request_id.clone()),
        })?;
        Ok(AuditExport {
            csv: String::from_utf8(bytes).map_err(|_| ApiError::Internal {
                request_id: Some(request_id.clone()),
            })?,
            rows: i32::try_from(events.len()).unwrap_or(i32::MAX),
            truncated,
        })
    }
}
