//! Exporting the audit log: practice admins download the events of a date range (by user,
//! by patient) as CSV for a review or an auditor. The export is itself recorded.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{CoreError, audit, tenancy::Access};

use crate::{
    global_id,
    run::{Need, Run},
};

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
        let filter =
            crate::audit::filter(Some(from), Some(to), user_id.as_ref(), patient_id.as_ref())?;
        let log = ctx
            .run(
                Need::to("audit", "read"),
                Access::Write,
                async |tx, caller| audit::export(tx, &caller.actor, &filter, MAX_ROWS).await,
            )
            .await?;

        let mut writer = csv::Writer::from_writer(Vec::new());
        let internal = || ctx.fail(CoreError::adapter("audit export not written"));
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
            .map_err(|_| internal())?;
        for e in &log.events {
            let text = |v: Option<String>| v.unwrap_or_default();
            writer
                .write_record([
                    e.seq.to_string(),
                    e.occurred_at.to_rfc3339(),
                    e.actor_kind.clone(),
                    text(crate::audit::actor_id(e).map(|id| id.0)),
                    text(log.name_of(e)),
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
                .map_err(|_| internal())?;
        }
        let bytes = writer.into_inner().map_err(|_| internal())?;
        Ok(AuditExport {
            csv: String::from_utf8(bytes).map_err(|_| internal())?,
            rows: i32::try_from(log.events.len()).unwrap_or(i32::MAX),
            truncated: log.truncated,
        })
    }
}
