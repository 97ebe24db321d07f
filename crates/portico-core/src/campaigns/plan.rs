//! Starting a campaign: the input checked (each refusal names its field), the audience
//! resolved once into recipient rows, all in the caller's transaction, so a refused or
//! failed start leaves nothing behind.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    MAX_FOLLOW_UP_DAY, MAX_FOLLOW_UPS, MAX_NAME, access, audience, audiences, find, recipient,
    status,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Actor},
    entities::{campaign_recipient, invitation_campaign},
    notify::Channels,
};

/// Recipient rows per `INSERT` (9 columns each).
const CHUNK: usize = 2_000;

/// Which charts a `filter` campaign invites (all given criteria hold).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Charts created on or after this day (UTC).
    pub created_from: Option<NaiveDate>,
    /// Charts created on or before this day (UTC).
    pub created_to: Option<NaiveDate>,
    /// The chart's preferred language (its primary tag: `es` matches `es-MX`).
    pub language: Option<String>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.created_from.is_none() && self.created_to.is_none() && self.language.is_none()
    }
}

/// Who a campaign invites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every chart without a portal account.
    NotActivated,
    /// The charts one import created.
    Import(Uuid),
    Filter(Filter),
}

/// What staff ask for.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub audience: Audience,
    pub channels: Channels,
    /// Days after the first invitation each follow-up goes, ascending.
    pub follow_up_days: Vec<i64>,
}

fn check(new: &NewCampaign) -> CoreResult<()> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid(
            "name",
            "NAME_REQUIRED",
            "give the campaign a name",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(CoreError::invalid(
            "name",
            "NAME_TOO_LONG",
            format!("the name is longer than {MAX_NAME} characters"),
        ));
    }
    if !new.channels.email && !new.channels.sms {
        return Err(CoreError::invalid(
            "channels",
            "CHANNEL_REQUIRED",
            "choose email, text message or both",
        ));
    }
    if new.follow_up_days.len() > MAX_FOLLOW_UPS {
        return Err(CoreError::invalid(
            "followUpDays",
            "INVALID_FOLLOW_UP_DAYS",
            format!("at most {MAX_FOLLOW_UPS} follow-ups"),
        ));
    }
    let mut previous = 0;
    for &day in &new.follow_up_days {
        if day <= previous || day > MAX_FOLLOW_UP_DAY {
            return Err(CoreError::invalid(
                "followUpDays",
                "INVALID_FOLLOW_UP_DAYS",
                format!(
                    "follow-up days go up, each from 1 to {MAX_FOLLOW_UP_DAY} days after the \
                     invitation"
                ),
            ));
        }
        previous = day;
    }
    if let Audience::Filter(filter) = &new.audience {
        if filter.is_empty() {
            return Err(CoreError::invalid(
                "filter",
                "FILTER_REQUIRED",
                "give the filter at least one criterion",
            ));
        }
        if let (Some(from), Some(to)) = (filter.created_from, filter.created_to)
            && from > to
        {
            return Err(CoreError::invalid(
                "filter.createdTo",
                "INVALID_RANGE",
                "the last day comes before the first",
            ));
        }
        if filter
            .language
            .as_deref()
            .is_some_and(|l| l.trim().is_empty() || l.len() > 35)
        {
            return Err(CoreError::invalid(
                "filter.language",
                "INVALID_LANGUAGE",
                "give a language tag such as es or en",
            ));
        }
    }
    Ok(())
}

/// Starts a campaign: checks `new`, resolves its audience into recipients (charts without
/// an account, reachable on one of its channels, and not already in another running
/// campaign), and has the sweep send its invitations at once. Refused with `EMPTY_AUDIENCE`
/// when nobody would be invited.
pub async fn start(
    tx: &TenantTx,
    actor: &Actor,
    new: &NewCampaign,
    now: DateTime<Utc>,
) -> CoreResult<invitation_campaign::Model> {
    check(new)?;
    // The practice's write lock before the audience is read: two campaigns started at once
    // then see each other's recipients, and no patient is in both.
    audit::lock(tx).await?;
    let patients = audience::resolve(tx, &new.audience, new.channels).await?;
    if patients.is_empty() {
        return Err(CoreError::invalid(
            "audience",
            "EMPTY_AUDIENCE",
            "no patient without a portal account can be reached this way",
        ));
    }
    let (kind, import_id, filter) = match &new.audience {
        Audience::NotActivated => (audiences::NOT_ACTIVATED, None, None),
        Audience::Import(id) => (audiences::IMPORT, Some(*id), None),
        Audience::Filter(f) => (
            audiences::FILTER,
            None,
            Some(serde_json::to_string(f).map_err(CoreError::adapter)?),
        ),
    };
    let channels = match (new.channels.email, new.channels.sms) {
        (true, true) => "email,sms",
        (true, false) => "email",
        _ => "sms",
    };
    let id = Uuid::now_v7();
    invitation_campaign::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        name: Set(new.name.trim().to_owned()),
        audience: Set(kind.to_owned()),
        import_id: Set(import_id),
        filter: Set(filter),
        channels: Set(channels.to_owned()),
        follow_up_days: Set(serde_json::to_string(&new.follow_up_days).map_err(CoreError::adapter)?),
        status: Set(status::RUNNING.to_owned()),
        recipients: Set(i32::try_from(patients.len()).unwrap_or(i32::MAX)),
        created_by: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    for chunk in patients.chunks(CHUNK) {
        let rows = chunk
            .iter()
            .map(|&patient| campaign_recipient::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                campaign_id: Set(id),
                patient_id: Set(patient),
                steps_sent: Set(0),
                next_due_at: Set(Some(now)),
                status: Set(recipient::PENDING.to_owned()),
                first_invited_at: Set(None),
                last_invited_at: Set(None),
                activated_at: Set(None),
                created_at: Set(now),
            });
        tx.insert_many(rows)
            .exec_without_returning(tx.conn())
            .await?;
    }
    audit::record(tx, actor, access("campaign.start", id)).await?;
    find(tx, id).await
}
