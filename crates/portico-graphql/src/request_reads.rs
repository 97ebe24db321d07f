//! One reading transaction per query request. The first resolver that reads a chart opens it;
//! every other read of the request shares it, and a chart opened once is not opened again
//! (the `patient` field and its `dashboard` open the same chart). The HTTP layer ends it with
//! [`RequestReads::finish`] after the operation ran and before the answer leaves, which
//! writes the request's audit events: an answer that carries chart data has its reads in the
//! audit log, or it is not sent.
//!
//! Mutations do not share it: they write in their own transactions and may read what they
//! wrote, which a transaction opened earlier might not see (SQLite keeps a reader's
//! snapshot).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{Context, parser::types::OperationType};
use portico_core::{CoreResult, TenantTx, chart_access::OpenChart, tenancy::Access};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{ApiError, context::ContextExt};

/// Put in a query's data by the HTTP layer (as `Arc<RequestReads>`).
#[derive(Default)]
pub struct RequestReads {
    tx: OnceCell<Arc<TenantTx>>,
    /// Charts opened for reading in this request, by patient.
    charts: Mutex<HashMap<Uuid, OpenChart>>,
}

impl RequestReads {
    /// The request's reading transaction, when the operation is a query that carries one.
    pub(crate) async fn shared(ctx: &Context<'_>) -> Result<Option<Arc<TenantTx>>, ApiError> {
        // `query_env` is public but undocumented in async-graphql 7; the operation's type
        // is what decides whether reads may share one transaction.
        if ctx.query_env.operation.node.ty != OperationType::Query {
            return Ok(None);
        }
        let Some(reads) = ctx.data_opt::<Arc<Self>>() else {
            return Ok(None);
        };
        let tx = reads
            .tx
            .get_or_try_init(|| async { ctx.tenant_tx(Access::Read).await.map(Arc::new) })
            .await?;
        Ok(Some(Arc::clone(tx)))
    }

    /// A chart this request already opened for reading.
    pub(crate) fn chart(ctx: &Context<'_>, patient: Uuid) -> Option<OpenChart> {
        ctx.data_opt::<Arc<Self>>()?
            .charts
            .lock()
            .ok()?
            .get(&patient)
            .cloned()
    }

    pub(crate) fn remember(ctx: &Context<'_>, chart: &OpenChart) {
        if let Some(reads) = ctx.data_opt::<Arc<Self>>()
            && let Ok(mut charts) = reads.charts.lock()
        {
            charts.insert(chart.id(), chart.clone());
        }
    }

    /// Ends the request's reading transaction, if one was opened, writing its audit events.
    /// Called once the operation's answer is ready and nothing else holds the reads or the
    /// transaction: a resolver that kept either past the operation is an error, and nothing
    /// may be sent.
    pub async fn finish(reads: Arc<Self>) -> CoreResult<()> {
        let reads = Arc::try_unwrap(reads).map_err(|_| outlived())?;
        let Some(tx) = reads.tx.into_inner() else {
            return Ok(());
        };
        Arc::try_unwrap(tx).map_err(|_| outlived())?.commit().await
    }
}

fn outlived() -> portico_core::CoreError {
    portico_core::CoreError::adapter("the request's reads outlived its operation")
}
