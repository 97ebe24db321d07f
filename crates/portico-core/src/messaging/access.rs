//! Who may take part in a thread. A patient takes part in their own chart's threads, a proxy
//! in those of a chart whose grant carries the `message` scope; anyone else is told the thread
//! does not exist. Staff take part in every thread of their practice, except that a restricted
//! chart's threads open as the chart does (care team, practice admins, or break the glass).

use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    chart_access::{self, Purpose, Viewer},
    entities::{chart_restriction, message_thread, patient},
    identity::Role,
};

/// How a participant reaches a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Patient,
    Proxy,
    Staff,
}

impl Side {
    /// Stored as the author's kind on each message.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Patient => "patient",
            Side::Proxy => "proxy",
            Side::Staff => "staff",
        }
    }

    pub fn is_staff(self) -> bool {
        self == Side::Staff
    }
}

/// A participant in one thread.
#[derive(Clone, Copy, Debug)]
pub struct Participant {
    pub user_id: Uuid,
    pub side: Side,
    /// The break-glass access in use, when a restricted chart was opened through one.
    pub break_glass: Option<Uuid>,
}

pub fn side_of(viewer: &Viewer) -> Side {
    if viewer.role == Role::Patient {
        Side::Patient
    } else {
        Side::Staff
    }
}

/// How `viewer` reaches `chart`'s conversations, or `NotFound`.
pub async fn for_chart(tx: &TenantTx, viewer: &Viewer, chart: Uuid) -> CoreResult<Participant> {
    let user_id = viewer.user_id.as_uuid();
    if viewer.role != Role::Patient {
        let open =
            chart_access::open(tx, viewer, PatientId::from_uuid(chart), Purpose::Read).await?;
        return Ok(Participant {
            user_id,
            side: Side::Staff,
            break_glass: open.break_glass,
        });
    }
    let own = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(chart))
        .filter(patient::Column::UserId.eq(user_id))
        .one(tx.conn())
        .await?;
    let side = if own.is_some() {
        Side::Patient
    } else if crate::proxies::allows(tx, viewer.user_id, chart, "message").await? {
        Side::Proxy
    } else {
        return Err(crate::proxies::refusal(tx, viewer.user_id, chart, "message").await?);
    };
    Ok(Participant {
        user_id,
        side,
        break_glass: None,
    })
}

/// The thread and how `viewer` takes part in it, or `NotFound`.
pub async fn open(
    tx: &TenantTx,
    viewer: &Viewer,
    thread_id: Uuid,
) -> CoreResult<(message_thread::Model, Participant)> {
    let thread = tx
        .find::<message_thread::Entity>()
        .filter(message_thread::Column::Id.eq(thread_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let participant = for_chart(tx, viewer, thread.patient_id).await?;
    Ok((thread, participant))
}

/// The charts whose conversations a listing shows `viewer`: staff name one chart
/// (`PATIENT_REQUIRED` otherwise; the inbox lists every thread), which must open for them; a
/// patient-side user sees the charts they take part in, or of those the one named (none when
/// it is not theirs).
pub async fn charts_to_list(
    tx: &TenantTx,
    viewer: &Viewer,
    chart: Option<Uuid>,
) -> CoreResult<Vec<Uuid>> {
    if viewer.role != Role::Patient {
        let Some(chart) = chart else {
            return Err(CoreError::invalid(
                "patientId",
                "PATIENT_REQUIRED",
                "staff give a patientId; the inbox lists every thread",
            ));
        };
        for_chart(tx, viewer, chart).await?;
        return Ok(vec![chart]);
    }
    let mine = patient_charts(tx, viewer).await?;
    Ok(match chart {
        Some(c) if mine.contains(&c) => vec![c],
        Some(_) => Vec::new(),
        None => mine,
    })
}

/// The charts whose conversations a patient-side user takes part in: their own, and those
/// shared with them for messaging.
pub async fn patient_charts(tx: &TenantTx, viewer: &Viewer) -> CoreResult<Vec<Uuid>> {
    crate::proxies::charts_with(tx, viewer.user_id, "message").await
}

/// Of `charts`, those `viewer` (staff) may not open without breaking the glass: the inbox
/// lists their threads without the subject.
pub async fn hidden_charts(
    tx: &TenantTx,
    viewer: &Viewer,
    charts: &[Uuid],
) -> CoreResult<std::collections::HashSet<Uuid>> {
    let mut hidden = std::collections::HashSet::new();
    if viewer.role == Role::Patient || viewer.role == Role::PracticeAdmin || charts.is_empty() {
        return Ok(hidden);
    }
    // One query for which of the charts are restricted (few are); the per-chart checks run
    // for those only.
    let restricted: Vec<Uuid> = tx
        .find::<chart_restriction::Entity>()
        .filter(chart_restriction::Column::PatientId.is_in(charts.to_vec()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|r| r.patient_id)
        .collect();
    for chart in restricted {
        if chart_access::needs_break_glass(tx, viewer, chart).await?
            && chart_access::active_break_glass(tx, viewer.user_id, chart)
                .await?
                .is_none()
        {
            hidden.insert(chart);
        }
    }
    Ok(hidden)
}
