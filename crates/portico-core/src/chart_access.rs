//! Who may open which chart. A patient opens their own chart, and reads those shared with them
//! through a proxy grant with the `read` scope; anything else is `NotFound`, so a chart's
//! existence never leaks. Staff open every chart of their practice, except a *restricted*
//! one (a colleague's, a VIP's, behavioural health): that opens without more only for
//! practice admins and the chart's care team; anyone else gets `BreakGlassRequired` until
//! they open a break-glass access (see [`crate::break_glass`]), whose id then flags every
//! audit event of theirs on that chart.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::{break_glass_access, care_team_member, chart_restriction, patient, user},
    identity::Role,
};

/// Whoever is asking: the signed-in user and their role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: UserId,
    pub role: Role,
}

/// Reading a chart, or changing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Write,
}

/// How the viewer reached the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relationship {
    /// The patient's own chart.
    Own,
    /// A proxy (caregiver) with a `read` grant.
    Proxy,
    /// Staff of the practice.
    Staff,
}

/// A chart the viewer may open, and how.
#[derive(Clone, Debug)]
pub struct OpenChart {
    pub chart: patient::Model,
    pub relationship: Relationship,
    /// The break-glass access in use, when the chart was opened through one.
    pub break_glass: Option<Uuid>,
}

impl OpenChart {
    pub fn id(&self) -> Uuid {
        self.chart.id
    }

    /// Patients and proxies do not see records entered in error.
    pub fn is_patient_view(&self) -> bool {
        self.relationship != Relationship::Staff
    }
}

pub const CATEGORIES: [&str; 4] = ["staff", "vip", "behavioral_health", "other"];

/// Opens `patient` for `viewer`, unaudited: the caller records what it does with it.
pub async fn open(
    tx: &TenantTx,
    viewer: &Viewer,
    patient: PatientId,
    purpose: Purpose,
) -> CoreResult<OpenChart> {
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(patient.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if viewer.role == Role::Patient {
        if chart.user_id == Some(viewer.user_id.as_uuid()) {
            return Ok(OpenChart {
                chart,
                relationship: Relationship::Own,
                break_glass: None,
            });
        }
        if purpose == Purpose::Read
            && crate::proxies::allows(tx, viewer.user_id, chart.id, "read").await?
        {
            return Ok(OpenChart {
                chart,
                relationship: Relationship::Proxy,
                break_glass: None,
            });
        }
        return Err(CoreError::NotFound);
    }
    let break_glass = if needs_break_glass(tx, viewer, chart.id).await? {
        Some(
            active_break_glass(tx, viewer.user_id, chart.id)
                .await?
                .ok_or(CoreError::BreakGlassRequired)?
                .id,
        )
    } else {
        None
    };
    Ok(OpenChart {
        chart,
        relationship: Relationship::Staff,
        break_glass,
    })
}

/// Whether the chart is restricted and `viewer` is neither a practice admin nor on its care
/// team.
pub async fn needs_break_glass(tx: &TenantTx, viewer: &Viewer, chart: Uuid) -> CoreResult<bool> {
    if viewer.role == Role::PracticeAdmin || restriction(tx, chart).await?.is_none() {
        return Ok(false);
    }
    let on_team = tx
        .find::<care_team_member::Entity>()
        .filter(care_team_member::Column::PatientId.eq(chart))
        .filter(care_team_member::Column::UserId.eq(viewer.user_id.as_uuid()))
        .one(tx.conn())
        .await?
        .is_some();
    Ok(!on_team)
}

/// How a viewer sees a chart in a list of items about many charts (alerts, comments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sight {
    /// Not restricted for them (or they are a practice admin or on its care team).
    Open,
    /// Restricted, opened through this break-glass access in force.
    Glass(Uuid),
    /// Restricted and not opened: the item is listed without its clinical content.
    Hidden,
}

/// Ids per `IN (...)` list.
const CHUNK: usize = 500;

/// The [`Sight`] of `viewer` on each of `charts`, as [`needs_break_glass`] and
/// [`active_break_glass`] decide it for one chart, in at most three queries (per 500
/// charts) whatever their number.
pub async fn sight_of_many(
    tx: &TenantTx,
    viewer: &Viewer,
    charts: impl IntoIterator<Item = Uuid>,
) -> CoreResult<std::collections::HashMap<Uuid, Sight>> {
    use std::collections::{HashMap, HashSet};
    let charts: Vec<Uuid> = charts
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut sight: HashMap<Uuid, Sight> = charts.iter().map(|&c| (c, Sight::Open)).collect();
    if viewer.role == Role::PracticeAdmin {
        return Ok(sight);
    }
    let mut restricted: HashSet<Uuid> = HashSet::new();
    for chunk in charts.chunks(CHUNK) {
        restricted.extend(
            tx.find::<chart_restriction::Entity>()
                .filter(chart_restriction::Column::PatientId.is_in(chunk.iter().copied()))
                .all(tx.conn())
                .await?
                .into_iter()
                .map(|r| r.patient_id),
        );
    }
    let restricted: Vec<Uuid> = restricted.into_iter().collect();
    let mut on_team: HashSet<Uuid> = HashSet::new();
    for chunk in restricted.chunks(CHUNK) {
        on_team.extend(
            tx.find::<care_team_member::Entity>()
                .filter(care_team_member::Column::PatientId.is_in(chunk.iter().copied()))
                .filter(care_team_member::Column::UserId.eq(viewer.user_id.as_uuid()))
                .all(tx.conn())
                .await?
                .into_iter()
                .map(|m| m.patient_id),
        );
    }
    let closed: Vec<Uuid> = restricted
        .into_iter()
        .filter(|c| !on_team.contains(c))
        .collect();
    let now = Utc::now();
    for chunk in closed.chunks(CHUNK) {
        for chart in chunk {
            sight.insert(*chart, Sight::Hidden);
        }
        // Latest-expiring first, so the access kept per chart is the one
        // `active_break_glass` would give.
        let glass = tx
            .find::<break_glass_access::Entity>()
            .filter(break_glass_access::Column::UserId.eq(viewer.user_id.as_uuid()))
            .filter(break_glass_access::Column::PatientId.is_in(chunk.iter().copied()))
            .filter(break_glass_access::Column::ExpiresAt.gt(now))
            .order_by_asc(break_glass_access::Column::ExpiresAt)
            .all(tx.conn())
            .await?;
        for access in glass {
            sight.insert(access.patient_id, Sight::Glass(access.id));
        }
    }
    Ok(sight)
}

/// The user's break-glass access to `chart` that has not expired yet, if any.
pub async fn active_break_glass(
    tx: &TenantTx,
    user: UserId,
    chart: Uuid,
) -> CoreResult<Option<break_glass_access::Model>> {
    Ok(tx
        .find::<break_glass_access::Entity>()
        .filter(break_glass_access::Column::UserId.eq(user.as_uuid()))
        .filter(break_glass_access::Column::PatientId.eq(chart))
        .filter(break_glass_access::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(break_glass_access::Column::ExpiresAt)
        .one(tx.conn())
        .await?)
}

pub async fn restriction(
    tx: &TenantTx,
    chart: Uuid,
) -> CoreResult<Option<chart_restriction::Model>> {
    Ok(tx
        .find::<chart_restriction::Entity>()
        .filter(chart_restriction::Column::PatientId.eq(chart))
        .one(tx.conn())
        .await?)
}

pub async fn care_team(tx: &TenantTx, chart: Uuid) -> CoreResult<Vec<care_team_member::Model>> {
    Ok(tx
        .find::<care_team_member::Entity>()
        .filter(care_team_member::Column::PatientId.eq(chart))
        .order_by_asc(care_team_member::Column::Id)
        .all(tx.conn())
        .await?)
}

/// A chart's restriction and its care team, as staff see them on an open chart; `None`
/// for patients and proxies (a restriction is the practice's business) and for charts
/// without one.
pub async fn restriction_of(
    tx: &TenantTx,
    chart: &OpenChart,
) -> CoreResult<Option<(chart_restriction::Model, Vec<Uuid>)>> {
    if chart.is_patient_view() {
        return Ok(None);
    }
    let found = restriction(tx, chart.id()).await?;
    let team = care_team(tx, chart.id()).await?;
    Ok(found.map(|r| (r, team.into_iter().map(|m| m.user_id).collect())))
}

/// Restricts a chart to practice admins and `care_team` (staff users of the practice), or
/// lifts the restriction when `category` is `None`. Practice admins only (the API checks).
pub async fn set_restriction(
    tx: &TenantTx,
    actor: &Actor,
    by: UserId,
    chart: PatientId,
    category: Option<&str>,
    care_team: &[Uuid],
) -> CoreResult<Option<chart_restriction::Model>> {
    let chart_id = chart.as_uuid();
    tx.find::<patient::Entity>()
        .filter(patient::Column::Id.eq(chart_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if let Some(category) = category
        && !CATEGORIES.contains(&category)
    {
        return Err(CoreError::invalid(
            "category",
            "INVALID_CATEGORY",
            "choose staff, vip, behavioral_health or other",
        ));
    }
    let staff: std::collections::HashSet<Uuid> = tx
        .find::<user::Entity>()
        .filter(user::Column::Id.is_in(care_team.to_vec()))
        .filter(user::Column::Role.is_in([
            Role::Provider.as_str(),
            Role::Staff.as_str(),
            Role::PracticeAdmin.as_str(),
        ]))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    if care_team.iter().any(|u| !staff.contains(u)) {
        return Err(CoreError::invalid(
            "careTeamUserIds",
            "UNKNOWN_USER",
            "every care-team member must be a member of the practice's staff",
        ));
    }
    tx.delete::<chart_restriction::Entity>()
        .filter(chart_restriction::Column::PatientId.eq(chart_id))
        .exec(tx.conn())
        .await?;
    tx.delete::<care_team_member::Entity>()
        .filter(care_team_member::Column::PatientId.eq(chart_id))
        .exec(tx.conn())
        .await?;
    let now = Utc::now();
    let mut saved = None;
    if let Some(category) = category {
        saved = Some(
            chart_restriction::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                patient_id: Set(chart_id),
                category: Set(category.to_owned()),
                set_by: Set(Some(by.as_uuid())),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
            .await?,
        );
        let mut seen = std::collections::HashSet::new();
        for user in care_team.iter().filter(|u| seen.insert(**u)) {
            care_team_member::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                patient_id: Set(chart_id),
                user_id: Set(*user),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
            .await?;
        }
    }
    audit::record(
        tx,
        actor,
        Access {
            action: if saved.is_some() {
                "chart.restrict"
            } else {
                "chart.unrestrict"
            },
            resource_type: "Patient",
            resource_id: Some(chart_id),
            patient_id: Some(chart_id),
        },
    )
    .await?;
    Ok(saved)
}

/// The chart whose proxies `viewer` may manage: staff any chart they may change (a
/// restricted one needs a break-glass access), a patient only their own, never one shared
/// with them. Anything else is `NotFound`. Opening it is audited as a read of the chart.
pub async fn for_managing_proxies(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    chart: PatientId,
) -> CoreResult<OpenChart> {
    let opened = open(tx, viewer, chart, Purpose::Write).await?;
    if viewer.role == Role::Patient && opened.relationship != Relationship::Own {
        return Err(CoreError::NotFound);
    }
    audit::record(
        tx,
        &actor.clone().with_break_glass(opened.break_glass),
        Access {
            action: "patient.read",
            resource_type: "Patient",
            resource_id: Some(chart.as_uuid()),
            patient_id: Some(chart.as_uuid()),
        },
    )
    .await?;
    Ok(opened)
}
