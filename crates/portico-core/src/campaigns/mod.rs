//! Invitation campaigns: activation invitations sent by email and text to chosen patients
//! who have no portal account yet (every such chart, the charts one import created, or a
//! filter), with follow-ups after set days to those who still have not activated.
//!
//! Starting a campaign resolves its audience once, in one transaction, into one recipient
//! row per patient ([`plan`]). The reminders' sweep sends the due steps ([`sweep`]): each
//! (recipient, step) is claimed by a conditional update before its message is written to the
//! outbox under the key `campaign:{recipient}:{step}`, so neither a second sweep nor a second
//! worker sends a step twice. A patient who has activated gets no more. The message names
//! the practice only; its link opens the activation page with a fresh code. [`funnel`]
//! counts invited, activated, first portal action and first online booking.

pub mod audience;
pub mod funnel;
pub mod plan;
pub mod sweep;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{campaign_recipient, invitation_campaign},
};

/// The outbox key of a campaign's messages starts so (`campaign:{recipient}:{step}`).
pub const OUTBOX_KEY: &str = "campaign:";
/// The most follow-ups a campaign may have.
pub const MAX_FOLLOW_UPS: usize = 5;
/// The latest a follow-up may come, in days after the first invitation.
pub const MAX_FOLLOW_UP_DAY: i64 = 60;
/// The longest campaign name.
pub const MAX_NAME: usize = 120;
/// How long an invitation's activation code works: past the last follow-up, so any of the
/// messages' links still works when the patient gets to it.
pub const CODE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(75 * 24 * 3600);

/// A campaign's audience.
pub mod audiences {
    pub const NOT_ACTIVATED: &str = "not_activated";
    pub const IMPORT: &str = "import";
    pub const FILTER: &str = "filter";
}

/// A campaign's status.
pub mod status {
    pub const RUNNING: &str = "running";
    pub const FINISHED: &str = "finished";
    pub const CANCELLED: &str = "cancelled";
}

/// A recipient's status.
pub mod recipient {
    /// Steps still to come.
    pub const PENDING: &str = "pending";
    /// Every step sent.
    pub const DONE: &str = "done";
    /// Stopped: the patient has an account.
    pub const ACTIVATED: &str = "activated";
    /// The patient cannot or does not want to be reached.
    pub const SKIPPED: &str = "skipped";
    pub const CANCELLED: &str = "cancelled";
}

fn access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "InvitationCampaign",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// The practice's campaigns, newest first.
pub async fn list(tx: &TenantTx, limit: u64) -> CoreResult<Vec<invitation_campaign::Model>> {
    Ok(tx
        .find::<invitation_campaign::Entity>()
        .order_by_desc(invitation_campaign::Column::CreatedAt)
        .order_by_desc(invitation_campaign::Column::Id)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<invitation_campaign::Model> {
    tx.find::<invitation_campaign::Entity>()
        .filter(invitation_campaign::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Cancels a running campaign: no more of its messages are written (those already in the
/// outbox still go). A campaign that is not running is refused, naming its status.
pub async fn cancel(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<invitation_campaign::Model> {
    // The practice's write lock first, as the sweep takes it before claiming recipients:
    // both then lock the campaign and its recipients in one order (no deadlock).
    audit::lock(tx).await?;
    let found = find(tx, id).await?;
    let cancelled = tx
        .update::<invitation_campaign::Entity>()
        .col_expr(
            invitation_campaign::Column::Status,
            status::CANCELLED.into(),
        )
        .col_expr(invitation_campaign::Column::UpdatedAt, now.into())
        .col_expr(invitation_campaign::Column::FinishedAt, Some(now).into())
        .filter(invitation_campaign::Column::Id.eq(found.id))
        .filter(invitation_campaign::Column::Status.eq(status::RUNNING))
        .exec(tx.conn())
        .await?;
    if cancelled.rows_affected != 1 {
        return Err(CoreError::invalid(
            "id",
            "CAMPAIGN_NOT_RUNNING",
            format!("the campaign is {}, not running", found.status),
        ));
    }
    tx.update::<campaign_recipient::Entity>()
        .col_expr(
            campaign_recipient::Column::Status,
            recipient::CANCELLED.into(),
        )
        .col_expr(
            campaign_recipient::Column::NextDueAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .filter(campaign_recipient::Column::CampaignId.eq(found.id))
        .filter(campaign_recipient::Column::Status.eq(recipient::PENDING))
        .exec(tx.conn())
        .await?;
    audit::record(tx, actor, access("campaign.cancel", found.id)).await?;
    find(tx, id).await
}

/// The follow-up days of a campaign, as stored.
pub fn follow_up_days(campaign: &invitation_campaign::Model) -> Vec<i64> {
    serde_json::from_str(&campaign.follow_up_days).unwrap_or_default()
}

/// The channels of a campaign, as stored.
pub fn channels(campaign: &invitation_campaign::Model) -> crate::notify::Channels {
    let has = |c: &str| campaign.channels.split(',').any(|x| x == c);
    crate::notify::Channels {
        email: has("email"),
        sms: has("sms"),
    }
}

/// Every recipient of the campaigns (for tests and the funnel).
pub async fn recipients(
    tx: &TenantTx,
    campaign: Uuid,
) -> CoreResult<Vec<campaign_recipient::Model>> {
    Ok(tx
        .find::<campaign_recipient::Entity>()
        .filter(campaign_recipient::Column::CampaignId.eq(campaign))
        .order_by_asc(campaign_recipient::Column::Id)
        .all(tx.conn())
        .await?)
}
