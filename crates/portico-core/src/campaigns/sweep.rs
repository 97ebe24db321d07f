//! Sending a practice's due campaign steps (the reminders' sweep calls this each minute):
//! a recipient whose chart has an account by now is stopped; every other due step is claimed
//! by raising the recipient's step count from the value read (a second sweep or worker finds
//! it raised and sends nothing), then written to the outbox with a fresh activation code in
//! its link. Preferences, bounces and quiet hours are [`notify`]'s; the practice's hourly
//! sending limit holds messages in the outbox, to go in a later hour.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use super::{CODE_LIFETIME, OUTBOX_KEY, channels, follow_up_days, recipient, status};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx, activation,
    audit::{self, Access, Actor},
    entities::{campaign_recipient, invitation_campaign, patient},
    notify::{self, Notice, Portal},
};

/// Steps sent per run (each issues an activation code: a few statements).
const BATCH: u64 = 200;

/// A step claimed for sending.
struct Claimed {
    recipient: Uuid,
    patient: Uuid,
    /// 0 for the invitation, 1 for the first follow-up...
    step: i32,
    /// The recipient's invitation times before the claim, put back if nothing goes.
    before: Invited,
    key: String,
    link: String,
}

/// When a recipient was first and last invited.
#[derive(Clone, Copy)]
struct Invited {
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl Invited {
    fn of(row: &campaign_recipient::Model) -> Self {
        Self {
            first: row.first_invited_at,
            last: row.last_invited_at,
        }
    }
}

/// Writes the campaign steps due at `now` to the outbox; returns how many steps went.
pub async fn send_due(
    tx: &TenantTx,
    actor: &Actor,
    now: DateTime<Utc>,
    portal: &Portal,
) -> CoreResult<usize> {
    let due = tx
        .find::<campaign_recipient::Entity>()
        .filter(campaign_recipient::Column::Status.eq(recipient::PENDING))
        .filter(campaign_recipient::Column::NextDueAt.lte(now))
        .order_by_asc(campaign_recipient::Column::NextDueAt)
        .order_by_asc(campaign_recipient::Column::Id)
        .limit(BATCH)
        .all(tx.conn())
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    // The practice's write lock before any recipient is claimed, as cancelling takes it
    // before the campaign: both lock the rows in one order (no deadlock).
    audit::lock(tx).await?;
    let campaigns: HashMap<Uuid, invitation_campaign::Model> = tx
        .find::<invitation_campaign::Entity>()
        .filter(invitation_campaign::Column::Id.is_in(due.iter().map(|r| r.campaign_id)))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let accounts: HashMap<Uuid, bool> = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.is_in(due.iter().map(|r| r.patient_id)))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|c| (c.id, c.user_id.is_some()))
        .collect();
    let mut by_campaign: HashMap<Uuid, Vec<Claimed>> = HashMap::new();
    for row in due {
        let Some(campaign) = campaigns.get(&row.campaign_id) else {
            continue;
        };
        if campaign.status != status::RUNNING {
            continue;
        }
        if accounts.get(&row.patient_id).copied().unwrap_or(true) {
            stop(tx, &row, recipient::ACTIVATED, now).await?;
            continue;
        }
        if !claim(tx, &row, campaign, now).await? {
            continue;
        }
        let issued = activation::issue_alongside(
            tx,
            actor,
            PatientId::from_uuid(row.patient_id),
            CODE_LIFETIME,
        )
        .await;
        let code = match issued {
            Ok(issued) => issued.code,
            // Activated between the read and now: no invitation, and no more.
            Err(CoreError::Invalid { .. }) => {
                unclaim(
                    tx,
                    row.id,
                    row.steps_sent,
                    Invited::of(&row),
                    recipient::ACTIVATED,
                    now,
                )
                .await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        by_campaign.entry(campaign.id).or_default().push(Claimed {
            recipient: row.id,
            patient: row.patient_id,
            step: row.steps_sent,
            before: Invited::of(&row),
            key: format!("{OUTBOX_KEY}{}:{}", row.id, row.steps_sent),
            link: portal.activate(&code),
        });
    }
    let mut sent = 0;
    for (campaign, claimed) in by_campaign {
        let Some(campaign) = campaigns.get(&campaign) else {
            continue;
        };
        let notices: Vec<(Uuid, notify::Send<'_>)> = claimed
            .iter()
            .map(|c| {
                let send = notify::Send {
                    notice: Notice::PortalInvitation,
                    key: &c.key,
                    topic: None,
                    link: &c.link,
                    deadline: None,
                };
                (c.patient, send)
            })
            .collect();
        let written = notify::to_patients_on(tx, portal, &notices, now, channels(campaign)).await?;
        for (c, written) in claimed.iter().zip(written) {
            if written.any() {
                sent += 1;
                audit::record(
                    tx,
                    actor,
                    Access {
                        action: "campaign.invite",
                        resource_type: "CampaignRecipient",
                        resource_id: Some(c.recipient),
                        patient_id: Some(c.patient),
                    },
                )
                .await?;
            } else {
                // The patient opted out, or the address bounced, since the campaign began.
                unclaim(tx, c.recipient, c.step, c.before, recipient::SKIPPED, now).await?;
            }
        }
    }
    finish_done(tx, campaigns.keys().copied(), now).await?;
    Ok(sent)
}

/// Raises the recipient's step count from the value read and sets when the next step is
/// due; false when another sweep got there first (nothing is sent then).
async fn claim(
    tx: &TenantTx,
    row: &campaign_recipient::Model,
    campaign: &invitation_campaign::Model,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let days = follow_up_days(campaign);
    let first = row.first_invited_at.unwrap_or(now);
    // Follow-up k (the step after `steps_sent`) goes `days[k - 1]` days after the first, and
    // never sooner after this step than the days between them: a step sent late (workers
    // were down) does not bring the next one right after it.
    let next = usize::try_from(row.steps_sent).ok().and_then(|sent| {
        let due = *days.get(sent)?;
        let gap = due
            - sent
                .checked_sub(1)
                .and_then(|k| days.get(k))
                .copied()
                .unwrap_or(0);
        Some((first + Duration::days(due)).max(now + Duration::days(gap)))
    });
    let claimed = tx
        .update::<campaign_recipient::Entity>()
        .col_expr(
            campaign_recipient::Column::StepsSent,
            Expr::value(row.steps_sent + 1),
        )
        .col_expr(campaign_recipient::Column::NextDueAt, next.into())
        .col_expr(
            campaign_recipient::Column::Status,
            if next.is_some() {
                recipient::PENDING
            } else {
                recipient::DONE
            }
            .into(),
        )
        .col_expr(
            campaign_recipient::Column::FirstInvitedAt,
            Some(first).into(),
        )
        .col_expr(campaign_recipient::Column::LastInvitedAt, Some(now).into())
        .filter(campaign_recipient::Column::Id.eq(row.id))
        .filter(campaign_recipient::Column::StepsSent.eq(row.steps_sent))
        .filter(campaign_recipient::Column::Status.eq(recipient::PENDING))
        .exec(tx.conn())
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Takes back a claimed step that was not sent: the step count, the invitation times and the
/// status as if it had not been claimed, then ended with `to` (`activated`, `skipped`), so
/// the funnel counts as invited only those sent something.
async fn unclaim(
    tx: &TenantTx,
    recipient_id: Uuid,
    step: i32,
    before: Invited,
    to: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let activated = (to == recipient::ACTIVATED).then_some(now);
    tx.update::<campaign_recipient::Entity>()
        .col_expr(campaign_recipient::Column::StepsSent, Expr::value(step))
        .col_expr(campaign_recipient::Column::Status, to.into())
        .col_expr(
            campaign_recipient::Column::NextDueAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(
            campaign_recipient::Column::FirstInvitedAt,
            before.first.into(),
        )
        .col_expr(
            campaign_recipient::Column::LastInvitedAt,
            before.last.into(),
        )
        .col_expr(campaign_recipient::Column::ActivatedAt, activated.into())
        .filter(campaign_recipient::Column::Id.eq(recipient_id))
        .filter(campaign_recipient::Column::StepsSent.eq(step + 1))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Ends a recipient's steps (`activated`: their chart has an account).
async fn stop(
    tx: &TenantTx,
    row: &campaign_recipient::Model,
    to: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    tx.update::<campaign_recipient::Entity>()
        .col_expr(campaign_recipient::Column::Status, to.into())
        .col_expr(
            campaign_recipient::Column::NextDueAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(campaign_recipient::Column::ActivatedAt, Some(now).into())
        .filter(campaign_recipient::Column::Id.eq(row.id))
        .filter(campaign_recipient::Column::Status.eq(recipient::PENDING))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Marks finished the running campaigns among `ids` with no step left to send.
async fn finish_done(
    tx: &TenantTx,
    ids: impl Iterator<Item = Uuid>,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    for id in ids {
        let left = tx
            .find::<campaign_recipient::Entity>()
            .select_only()
            .column(campaign_recipient::Column::Id)
            .filter(campaign_recipient::Column::CampaignId.eq(id))
            .filter(campaign_recipient::Column::Status.eq(recipient::PENDING))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(tx.conn())
            .await?;
        if left.is_none() {
            tx.update::<invitation_campaign::Entity>()
                .col_expr(invitation_campaign::Column::Status, status::FINISHED.into())
                .col_expr(invitation_campaign::Column::FinishedAt, Some(now).into())
                .col_expr(invitation_campaign::Column::UpdatedAt, now.into())
                .filter(invitation_campaign::Column::Id.eq(id))
                .filter(invitation_campaign::Column::Status.eq(status::RUNNING))
                .exec(tx.conn())
                .await?;
        }
    }
    Ok(())
}
