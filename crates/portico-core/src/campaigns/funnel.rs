//! Campaign funnels: of the recipients, how many were invited, how many have activated an
//! account since, how many of those did something in the portal beyond activating and
//! signing in (any audited action of theirs), and how many booked a visit online. Counted
//! live from the charts, the audit log and the appointments, so it never goes stale.
//!
//! Several campaigns' funnels (the console's list) and the practice's funnel over a period
//! (the adoption figures) are counted in one pass: the recipients are read together and each
//! fact is looked up once for all of them, whatever the number of campaigns.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    adoption::{rollup, series},
    entities::{
        appointment, audit_event, audit_pending, campaign_recipient, invitation_campaign, patient,
    },
    tenants,
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

/// What the invited charts did since: accounts, portal actions and online bookings.
#[derive(Default)]
struct Reached {
    /// Chart to its account, for the invited charts that have one now.
    accounts: HashMap<Uuid, Uuid>,
    /// Accounts with an audited action beyond activating and signing in.
    acted: HashSet<Uuid>,
    /// Charts with a visit booked in the portal.
    booked: HashSet<Uuid>,
}

impl Reached {
    async fn of(tx: &TenantTx, invited: &HashSet<Uuid>) -> CoreResult<Self> {
        let invited: Vec<Uuid> = invited.iter().copied().collect();
        let mut reached = Self::default();
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
            reached
                .accounts
                .extend(found.into_iter().filter_map(|(c, u)| u.map(|u| (c, u))));
        }
        let users: Vec<Uuid> = reached.accounts.values().copied().collect();
        let charts: Vec<Uuid> = reached.accounts.keys().copied().collect();
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
            reached
                .acted
                .extend(sealed.into_iter().chain(pending).flatten());
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
            reached.booked.extend(found);
        }
        Ok(reached)
    }

    /// The funnel of `chosen` charts, of which `invited` were sent something.
    fn funnel(&self, chosen: usize, invited: &HashSet<Uuid>) -> Funnel {
        let accounts: Vec<Uuid> = invited
            .iter()
            .filter_map(|chart| self.accounts.get(chart).copied())
            .collect();
        Funnel {
            recipients: count(chosen),
            invited: count(invited.len()),
            activated: count(accounts.len()),
            first_portal_action: count(accounts.iter().filter(|u| self.acted.contains(u)).count()),
            first_online_booking: count(
                invited
                    .iter()
                    .filter(|c| self.accounts.contains_key(c) && self.booked.contains(c))
                    .count(),
            ),
        }
    }
}

/// The recipients of `campaigns`: (campaign, chart, invited).
async fn recipients_of(tx: &TenantTx, campaigns: &[Uuid]) -> CoreResult<Vec<(Uuid, Uuid, bool)>> {
    let mut found = Vec::new();
    for chunk in campaigns.chunks(CHUNK) {
        let rows: Vec<(Uuid, Uuid, i32)> = tx
            .find::<campaign_recipient::Entity>()
            .select_only()
            .column(campaign_recipient::Column::CampaignId)
            .column(campaign_recipient::Column::PatientId)
            .column(campaign_recipient::Column::StepsSent)
            .filter(campaign_recipient::Column::CampaignId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(tx.conn())
            .await?;
        found.extend(rows.into_iter().map(|(c, p, steps)| (c, p, steps > 0)));
    }
    Ok(found)
}

/// One campaign's funnel.
pub async fn of(tx: &TenantTx, campaign: Uuid) -> CoreResult<Funnel> {
    Ok(of_many(tx, &[campaign])
        .await?
        .remove(&campaign)
        .unwrap_or_default())
}

/// The funnels of `campaigns`, counted together (a campaign without recipients is all
/// zeros).
pub async fn of_many(tx: &TenantTx, campaigns: &[Uuid]) -> CoreResult<HashMap<Uuid, Funnel>> {
    let rows = recipients_of(tx, campaigns).await?;
    let mut chosen: HashMap<Uuid, usize> = HashMap::new();
    let mut invited: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for &(campaign, chart, was_invited) in &rows {
        *chosen.entry(campaign).or_default() += 1;
        if was_invited {
            invited.entry(campaign).or_default().insert(chart);
        }
    }
    let everyone: HashSet<Uuid> = invited.values().flatten().copied().collect();
    let reached = Reached::of(tx, &everyone).await?;
    let none = HashSet::new();
    Ok(campaigns
        .iter()
        .map(|&campaign| {
            let sent = invited.get(&campaign).unwrap_or(&none);
            let funnel = reached.funnel(chosen.get(&campaign).copied().unwrap_or(0), sent);
            (campaign, funnel)
        })
        .collect())
}

/// The practice's funnel over the days `from` to `to` (both included) of its calendar.
pub async fn practice_days(tx: &TenantTx, from: NaiveDate, to: NaiveDate) -> CoreResult<Funnel> {
    if to < from || (to - from).num_days() >= series::MAX_DAYS {
        return Err(CoreError::invalid(
            "to",
            "INVALID_RANGE",
            format!(
                "from must not be after to, and the range at most {} days",
                series::MAX_DAYS
            ),
        ));
    }
    let zone = rollup::zone(&tenants::own_row(tx).await?.tenant.time_zone);
    let (start, _) = rollup::bounds(from, zone);
    let (_, end) = rollup::bounds(to, zone);
    practice(tx, start, end).await
}

/// The practice's funnel over `[from, to)`: the patients chosen by campaigns started then
/// (`recipients`), and apart from them those first invited then (each patient once, by
/// their first invitation of any campaign) with what they did since.
pub async fn practice(tx: &TenantTx, from: DateTime<Utc>, to: DateTime<Utc>) -> CoreResult<Funnel> {
    let started: Vec<Uuid> = tx
        .find::<invitation_campaign::Entity>()
        .select_only()
        .column(invitation_campaign::Column::Id)
        .filter(invitation_campaign::Column::CreatedAt.gte(from))
        .filter(invitation_campaign::Column::CreatedAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?;
    let chosen: HashSet<Uuid> = recipients_of(tx, &started)
        .await?
        .into_iter()
        .map(|(_, chart, _)| chart)
        .collect();
    // Each patient by their first invitation of all: one invited in an earlier period and
    // again now is not new to the portal's invitations.
    let sent: Vec<(Uuid, Option<DateTime<Utc>>)> = tx
        .find::<campaign_recipient::Entity>()
        .select_only()
        .column(campaign_recipient::Column::PatientId)
        .column(campaign_recipient::Column::FirstInvitedAt)
        .filter(campaign_recipient::Column::FirstInvitedAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?;
    let mut first: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for (patient, at) in sent {
        if let Some(at) = at {
            first
                .entry(patient)
                .and_modify(|seen| *seen = (*seen).min(at))
                .or_insert(at);
        }
    }
    let invited: HashSet<Uuid> = first
        .into_iter()
        .filter(|(_, at)| *at >= from)
        .map(|(patient, _)| patient)
        .collect();
    let reached = Reached::of(tx, &invited).await?;
    Ok(reached.funnel(chosen.len(), &invited))
}
