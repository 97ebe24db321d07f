//! Alerts: a reading beyond a threshold in force opens one alert (a unique index on the
//! reading holds it to one) in the patient's care-team pool, and the patient is shown the
//! threshold's instruction. The console lists open alerts beside the inbox and staff
//! acknowledge them. An alert carries no values of its own: staff open the chart to see the
//! reading, so nothing about the patient travels with it.
//!
//! A table of its own rather than a system message in a thread: an alert is acknowledged, not
//! answered, it must be one per reading (a unique index does that; threads have no natural
//! key), and putting the values in a thread would copy them into text the patient can read
//! and reply under.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::OnConflict,
};
use uuid::Uuid;

use super::{Kind, Measure, thresholds};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, Sight, Viewer},
    entities::{appointment, care_team_pool, home_reading, reading_alert, reading_threshold},
};

pub const OPEN: &str = "open";
pub const ACKNOWLEDGED: &str = "acknowledged";

/// The first threshold in force that `reading` is beyond, if any.
pub fn crossed<'a>(
    reading: &home_reading::Model,
    in_force: &'a [reading_threshold::Model],
) -> Option<&'a reading_threshold::Model> {
    in_force.iter().find(|t| {
        let value = match Measure::parse(&t.measure) {
            Some(Measure::Diastolic) => reading.normalised2,
            Some(_) => Some(reading.normalised),
            None => None,
        };
        value.is_some_and(|v| t.low.is_some_and(|low| v < low) || t.high.is_some_and(|h| v > h))
    })
}

/// Opens the alert for `reading` when it is beyond a threshold in force; its id when it did.
pub async fn open_if_beyond(
    tx: &TenantTx,
    actor: &Actor,
    reading: &home_reading::Model,
    now: DateTime<Utc>,
) -> CoreResult<Option<reading_alert::Model>> {
    let Some(kind) = Kind::parse(&reading.kind) else {
        return Ok(None);
    };
    let in_force = thresholds::in_force(tx, reading.patient_id, kind).await?;
    let Some(threshold) = crossed(reading, &in_force) else {
        return Ok(None);
    };
    let pool = pool_for(tx, reading.patient_id).await?;
    let row = reading_alert::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        reading_id: Set(reading.id),
        patient_id: Set(reading.patient_id),
        pool_id: Set(pool),
        threshold_id: Set(Some(threshold.id)),
        instruction: Set(threshold.instruction.clone()),
        status: Set(OPEN.to_owned()),
        acknowledged_by: Set(None),
        acknowledged_at: Set(None),
        created_at: Set(now),
    };
    reading_alert::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                reading_alert::Column::TenantId,
                reading_alert::Column::ReadingId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    let alert = tx
        .find::<reading_alert::Entity>()
        .filter(reading_alert::Column::ReadingId.eq(reading.id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    record(tx, actor, "reading_alert.open", &alert).await?;
    Ok(Some(alert))
}

/// The pool that works the patient's alerts, found as messages are addressed: the team of the
/// provider of their latest visit, else the practice's fallback pool (the one refills fall
/// back to), else its first nurse line, else its first pool; `None` when it has no pool.
pub async fn pool_for(tx: &TenantTx, patient: Uuid) -> CoreResult<Option<Uuid>> {
    let active = || {
        tx.find::<care_team_pool::Entity>()
            .filter(care_team_pool::Column::Active.eq(true))
            .order_by_asc(care_team_pool::Column::CreatedAt)
    };
    let visit = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::PatientId.eq(patient))
        .order_by_desc(appointment::Column::StartsAt)
        .one(tx.conn())
        .await?;
    if let Some(visit) = visit
        && let Some(pool) = active()
            .filter(care_team_pool::Column::ProviderId.eq(visit.provider_id))
            .one(tx.conn())
            .await?
    {
        return Ok(Some(pool.id));
    }
    let practice = crate::tenants::own_row(tx).await?.tenant;
    if let Some(fallback) = practice.refill_pool_id
        && let Some(pool) = active()
            .filter(care_team_pool::Column::Id.eq(fallback))
            .one(tx.conn())
            .await?
    {
        return Ok(Some(pool.id));
    }
    if let Some(pool) = active()
        .filter(care_team_pool::Column::Kind.eq("nurse_line"))
        .one(tx.conn())
        .await?
    {
        return Ok(Some(pool.id));
    }
    Ok(active().one(tx.conn()).await?.map(|p| p.id))
}

async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    alert: &reading_alert::Model,
) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        Access {
            action,
            resource_type: "ReadingAlert",
            resource_id: Some(alert.id),
            patient_id: Some(alert.patient_id),
        },
    )
    .await
}

/// An alert with its reading, for the console.
#[derive(Clone, Debug)]
pub struct Listed {
    pub alert: reading_alert::Model,
    /// `None` on a restricted chart the viewer may not open without breaking the glass.
    pub reading: Option<home_reading::Model>,
}

/// The practice's alerts (open only, unless `include_acknowledged`; of one pool when given),
/// oldest first, at most `limit`, each audited as a read of its chart. On a restricted
/// chart, the reading is shown only to those who may open it (its care team and practice
/// admins, or someone with a break-glass access in force, flagged in the audit); others see
/// the alert without it, so it is still worked: they break the glass to read it.
pub async fn list(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    pool: Option<Uuid>,
    include_acknowledged: bool,
    limit: u64,
) -> CoreResult<Vec<Listed>> {
    let mut query = tx
        .find::<reading_alert::Entity>()
        .order_by_asc(reading_alert::Column::CreatedAt)
        .order_by_asc(reading_alert::Column::Id)
        .limit(limit);
    if !include_acknowledged {
        query = query.filter(reading_alert::Column::Status.eq(OPEN));
    }
    if let Some(pool) = pool {
        query = query.filter(reading_alert::Column::PoolId.eq(pool));
    }
    let alerts = query.all(tx.conn()).await?;
    let sight =
        chart_access::sight_of_many(tx, viewer, alerts.iter().map(|a| a.patient_id)).await?;
    let seen = |alert: &reading_alert::Model| {
        sight
            .get(&alert.patient_id)
            .copied()
            .unwrap_or(Sight::Hidden)
    };
    let ids: Vec<Uuid> = alerts.iter().map(|a| a.reading_id).collect();
    let readings = tx
        .find::<home_reading::Entity>()
        .filter(home_reading::Column::Id.is_in(ids))
        .all(tx.conn())
        .await?;
    // A chart opened through break glass is flagged so in its event; the rest are plain.
    let access = |a: &reading_alert::Model| Access {
        action: "reading_alert.list",
        resource_type: "ReadingAlert",
        resource_id: Some(a.id),
        patient_id: Some(a.patient_id),
    };
    let mut by_glass: HashMap<Uuid, Vec<Access<'static>>> = HashMap::new();
    let mut plain = Vec::new();
    for alert in &alerts {
        match seen(alert) {
            Sight::Glass(glass) => by_glass.entry(glass).or_default().push(access(alert)),
            Sight::Open | Sight::Hidden => plain.push(access(alert)),
        }
    }
    for (glass, accesses) in by_glass {
        audit::record_all(tx, &actor.clone().with_break_glass(Some(glass)), accesses).await?;
    }
    audit::record_all(tx, actor, plain).await?;
    Ok(alerts
        .into_iter()
        .filter_map(|alert| {
            let reading = readings.iter().find(|r| r.id == alert.reading_id)?.clone();
            let reading = (seen(&alert) != Sight::Hidden).then_some(reading);
            Some(Listed { alert, reading })
        })
        .collect())
}

/// Acknowledges an alert (staff); acknowledging it again changes nothing.
pub async fn acknowledge(
    tx: &TenantTx,
    actor: &Actor,
    user: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<reading_alert::Model> {
    let alert = tx
        .find::<reading_alert::Entity>()
        .filter(reading_alert::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if alert.status == ACKNOWLEDGED {
        return Ok(alert);
    }
    // Conditional on the alert still being open: of two staff acknowledging at once, one
    // changes it (and is audited); the other gets it as the first left it.
    let changed = tx
        .update::<reading_alert::Entity>()
        .col_expr(reading_alert::Column::Status, ACKNOWLEDGED.into())
        .col_expr(reading_alert::Column::AcknowledgedBy, Some(user).into())
        .col_expr(reading_alert::Column::AcknowledgedAt, Some(now).into())
        .filter(reading_alert::Column::Id.eq(id))
        .filter(reading_alert::Column::Status.ne(ACKNOWLEDGED))
        .exec(tx.conn())
        .await?;
    let alert = tx
        .find::<reading_alert::Entity>()
        .filter(reading_alert::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if changed.rows_affected == 1 {
        record(tx, actor, "reading_alert.acknowledge", &alert).await?;
    }
    Ok(alert)
}
