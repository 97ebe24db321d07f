//! A campaign's funnel: of its recipients, how many were invited, how many have activated an
//! account since, how many of those did something in the portal beyond activating and
//! signing in (any audited action of theirs), and how many booked a visit online. Counted
//! live from the charts, the audit log and the appointments, so it never goes stale.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::recipients;
use crate::{
    CoreResult, TenantTx,
    entities::{appointment, audit_event, audit_pending, patient},
};

/// Ids per `IN (...)` list.
const CHUNK: usize = 500;

/// What activating writes under the new account, which is not yet using the portal.
const ACTIVATION_ACTION: &str = "patient.link_account";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Funnel {
    pub recipients: u32,
    pub invited: u32,
    pub activated: u32,
    pub first_portal_action: u32,
    pub first_online_booking: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub async fn of(tx: &TenantTx, campaign: Uuid) -> CoreResult<Funnel> {
    let all = recipients(tx, campaign).await?;
    let invited: Vec<Uuid> = all
        .iter()
        .filter(|r| r.steps_sent > 0)
        .map(|r| r.patient_id)
        .collect();
    // (chart, account) of the invited charts that have an account now.
    let mut activated: Vec<(Uuid, Uuid)> = Vec::new();
    for chunk in invited.chunks(CHUNK) {
        let found: Vec<(Uuid, Option<Uuid>)> = tx
            .find::<patient::Entity>()
            .select_only()
            .column(patient::Column::Id)
            .column(patient::Column::UserId)
            .filter(patient::Column::Id.is_in(chunk.iter().copied()))
            .filter(patient::Column::UserId.is_not_null())
            .into_tuple()
            .all(tx.conn())
            .await?;
        activated.extend(found.into_iter().filter_map(|(c, u)| u.map(|u| (c, u))));
    }
    let users: Vec<Uuid> = activated.iter().map(|&(_, u)| u).collect();
    let charts: Vec<Uuid> = activated.iter().map(|&(c, _)| c).collect();
    let mut acted: HashSet<Uuid> = HashSet::new();
    let mut booked: HashSet<Uuid> = HashSet::new();
    for chunk in users.chunks(CHUNK) {
        // Sealed events and those not yet sealed into the chain.
        let sealed: Vec<Option<Uuid>> = tx
            .find::<audit_event::Entity>()
            .select_only()
            .column(audit_event::Column::ActorId)
            .distinct()
            .filter(audit_event::Column::ActorId.is_in(chunk.iter().copied()))
            .filter(audit_event::Column::Action.ne(ACTIVATION_ACTION))
            .filter(audit_event::Column::Action.not_like("auth.%"))
            .into_tuple()
            .all(tx.conn())
            .await?;
        let pending: Vec<Option<Uuid>> = tx
            .find::<audit_pending::Entity>()
            .select_only()
            .column(audit_pending::Column::ActorId)
            .distinct()
            .filter(audit_pending::Column::ActorId.is_in(chunk.iter().copied()))
            .filter(audit_pending::Column::Action.ne(ACTIVATION_ACTION))
            .filter(audit_pending::Column::Action.not_like("auth.%"))
            .into_tuple()
            .all(tx.conn())
            .await?;
        acted.extend(sealed.into_iter().chain(pending).flatten());
    }
    for chunk in charts.chunks(CHUNK) {
        let found: Vec<Uuid> = tx
            .find::<appointment::Entity>()
            .select_only()
            .column(appointment::Column::PatientId)
            .distinct()
            .filter(appointment::Column::PatientId.is_in(chunk.iter().copied()))
            .filter(appointment::Column::BookedVia.eq("portal"))
            .into_tuple()
            .all(tx.conn())
            .await?;
        booked.extend(found);
    }
    Ok(Funnel {
        recipients: count(all.len()),
        invited: count(invited.len()),
        activated: count(activated.len()),
        first_portal_action: count(acted.len()),
        first_online_booking: count(booked.len()),
    })
}
