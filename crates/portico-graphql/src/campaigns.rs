//! Invitation campaigns (practice admins): `startInvitationCampaign` invites the patients
//! without a portal account (all of them, those one import created, or a filter) by email
//! and text, with follow-ups after chosen days; `invitationCampaigns` lists them with their
//! funnel; `cancelInvitationCampaign` stops one.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use portico_core::{
    campaigns::{
        self, audiences,
        funnel::{self, Funnel},
        plan::{self, Audience, Filter, NewCampaign},
        status,
    },
    entities::invitation_campaign,
    notify::Channels,
    tenancy::Access,
};

use crate::{
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

const READ: Need = Need::to("campaigns", "read");
const MANAGE: Need = Need::to("campaigns", "manage");
/// The global id type of campaigns.
const TYPE: &str = "InvitationCampaign";

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAudience {
    /// Every chart without a portal account.
    NotActivated,
    /// The charts one patient import created.
    Import,
    /// The charts a filter chooses.
    Filter,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CampaignChannel {
    Email,
    Sms,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    /// Invitations and follow-ups still to go.
    Running,
    /// Every step sent, or every recipient stopped.
    Finished,
    Cancelled,
}

/// Which charts a filter campaign invites; every given criterion holds.
#[derive(InputObject, SimpleObject, Clone, Default)]
#[graphql(input_name = "CampaignFilterInput")]
pub struct CampaignFilter {
    /// Charts created on or after this day (UTC).
    created_from: Option<NaiveDate>,
    /// Charts created on or before this day (UTC).
    created_to: Option<NaiveDate>,
    /// The preferred language's primary tag (`es` matches `es-MX`).
    language: Option<String>,
}

/// Of a campaign's recipients, how far each got.
#[derive(SimpleObject)]
pub struct CampaignFunnel {
    /// Patients the campaign chose.
    recipients: u32,
    /// Sent at least the invitation.
    invited: u32,
    /// Invited and since activated an account.
    activated: u32,
    /// Activated and did something in the portal beyond signing in.
    first_portal_action: u32,
    /// Activated and booked a visit online.
    first_online_booking: u32,
}

impl From<Funnel> for CampaignFunnel {
    fn from(f: Funnel) -> Self {
        Self {
            recipients: f.recipients,
            invited: f.invited,
            activated: f.activated,
            first_portal_action: f.first_portal_action,
            first_online_booking: f.first_online_booking,
        }
    }
}

/// A campaign, with its funnel when the list counted the funnels of all it lists together.
pub struct InvitationCampaign(invitation_campaign::Model, Option<Funnel>);

#[Object]
impl InvitationCampaign {
    async fn id(&self) -> ID {
        global_id::encode(TYPE, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn audience(&self) -> CampaignAudience {
        match self.0.audience.as_str() {
            audiences::IMPORT => CampaignAudience::Import,
            audiences::FILTER => CampaignAudience::Filter,
            _ => CampaignAudience::NotActivated,
        }
    }
    /// The import, for an `IMPORT` campaign.
    async fn import_id(&self) -> Option<ID> {
        self.0
            .import_id
            .map(|id| global_id::encode("PatientImport", id))
    }
    /// The filter, for a `FILTER` campaign.
    async fn filter(&self) -> Option<CampaignFilter> {
        let f: Filter = serde_json::from_str(self.0.filter.as_deref()?).ok()?;
        Some(CampaignFilter {
            created_from: f.created_from,
            created_to: f.created_to,
            language: f.language,
        })
    }
    async fn channels(&self) -> Vec<CampaignChannel> {
        let c = campaigns::channels(&self.0);
        let mut out = Vec::new();
        if c.email {
            out.push(CampaignChannel::Email);
        }
        if c.sms {
            out.push(CampaignChannel::Sms);
        }
        out
    }
    /// Days after the invitation each follow-up goes.
    async fn follow_up_days(&self) -> Vec<i64> {
        campaigns::follow_up_days(&self.0)
    }
    async fn status(&self) -> CampaignStatus {
        match self.0.status.as_str() {
            status::FINISHED => CampaignStatus::Finished,
            status::CANCELLED => CampaignStatus::Cancelled,
            _ => CampaignStatus::Running,
        }
    }
    /// Patients chosen when the campaign started.
    async fn recipients(&self) -> i32 {
        self.0.recipients
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Invited, activated, first portal action, first online booking.
    async fn funnel(&self, ctx: &Context<'_>) -> async_graphql::Result<CampaignFunnel> {
        if let Some(counted) = self.1 {
            return Ok(counted.into());
        }
        let id = self.0.id;
        let found = ctx
            .run(READ, Access::Read, async |tx, _| funnel::of(tx, id).await)
            .await?;
        Ok(found.into())
    }
}

#[derive(InputObject)]
pub struct StartInvitationCampaignInput {
    /// Up to 120 characters.
    name: String,
    audience: CampaignAudience,
    /// Required for `IMPORT`.
    import_id: Option<ID>,
    /// Required for `FILTER`, with at least one criterion.
    filter: Option<CampaignFilter>,
    /// Email, text message or both; each patient still gets only what they accept.
    channels: Vec<CampaignChannel>,
    /// Days after the invitation each follow-up goes to those who have not activated:
    /// ascending, 1 to 60, at most 5 (e.g. `[3, 7]`). Empty: no follow-up.
    follow_up_days: Vec<i32>,
}

#[derive(SimpleObject, Default)]
pub struct StartInvitationCampaignPayload {
    campaign: Option<InvitationCampaign>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CancelInvitationCampaignInput {
    id: ID,
}

#[derive(SimpleObject, Default)]
pub struct CancelInvitationCampaignPayload {
    campaign: Option<InvitationCampaign>,
    user_errors: Vec<UserError>,
}

refusable!(
    StartInvitationCampaignPayload,
    CancelInvitationCampaignPayload
);

#[derive(Default)]
pub struct CampaignsQuery;

#[Object]
impl CampaignsQuery {
    /// The practice's invitation campaigns, newest first (practice admins). At most `first`
    /// (1 to 100, 20 by default).
    async fn invitation_campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<InvitationCampaign>> {
        let limit = u64::try_from(first.unwrap_or(20).clamp(1, 100)).unwrap_or(20);
        // The funnels, when asked for, are counted for the whole list at once.
        let with_funnels = ctx.look_ahead().field("funnel").exists();
        let (found, mut funnels) = ctx
            .run(READ, Access::Read, async |tx, _| {
                let found = campaigns::list(tx, limit).await?;
                let funnels = if with_funnels {
                    let ids: Vec<_> = found.iter().map(|c| c.id).collect();
                    funnel::of_many(tx, &ids).await?
                } else {
                    HashMap::new()
                };
                Ok((found, funnels))
            })
            .await?;
        Ok(found
            .into_iter()
            .map(|model| {
                let counted = funnels.remove(&model.id);
                InvitationCampaign(model, counted)
            })
            .collect())
    }

    /// The practice's invitation funnel from `from` to `to` (both included, the practice's
    /// calendar; at most 731 days), for the adoption figures: `recipients` are the patients
    /// chosen by campaigns started then; `invited` those first sent an invitation then (each
    /// patient once, whatever the number of campaigns), and the rest what those invited did
    /// since. `INVALID_RANGE` on `to`.
    async fn invitation_funnel(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<CampaignFunnel> {
        let found = ctx
            .run(Need::to("adoption", "read"), Access::Read, async |tx, _| {
                funnel::practice_days(tx, from, to).await
            })
            .await?;
        Ok(found.into())
    }
}

#[derive(Default)]
pub struct CampaignsMutation;

#[Object]
impl CampaignsMutation {
    /// Starts an invitation campaign: the audience is resolved now (charts without an
    /// account that a chosen channel reaches, not in another running campaign) and the
    /// invitations go with the next minute's sweep. Refusals name the field:
    /// `NAME_REQUIRED`, `NAME_TOO_LONG`, `CHANNEL_REQUIRED`, `INVALID_FOLLOW_UP_DAYS`,
    /// `IMPORT_REQUIRED`, `IMPORT_NOT_FOUND`, `IMPORT_NOT_DONE`, `IMPORT_TOO_OLD`, `FILTER_REQUIRED`,
    /// `INVALID_RANGE`, `INVALID_LANGUAGE`, `EMPTY_AUDIENCE`; nothing is created then.
    async fn start_invitation_campaign(
        &self,
        ctx: &Context<'_>,
        input: StartInvitationCampaignInput,
    ) -> async_graphql::Result<StartInvitationCampaignPayload> {
        let audience = match input.audience {
            CampaignAudience::NotActivated => Audience::NotActivated,
            CampaignAudience::Import => {
                let Some(id) = input.import_id.as_ref() else {
                    return Ok(StartInvitationCampaignPayload {
                        campaign: None,
                        user_errors: vec![UserError::new(
                            "importId",
                            "IMPORT_REQUIRED",
                            "choose the import whose charts to invite",
                        )],
                    });
                };
                Audience::Import(global_id::parse("PatientImport", "importId", id)?)
            }
            CampaignAudience::Filter => {
                let f = input.filter.unwrap_or_default();
                Audience::Filter(Filter {
                    created_from: f.created_from,
                    created_to: f.created_to,
                    language: f.language,
                })
            }
        };
        let new = NewCampaign {
            name: input.name,
            audience,
            channels: Channels {
                email: input.channels.contains(&CampaignChannel::Email),
                sms: input.channels.contains(&CampaignChannel::Sms),
            },
            follow_up_days: input.follow_up_days.into_iter().map(i64::from).collect(),
        };
        let outcome = ctx
            // New activity: a suspended or cancelled practice starts no campaign.
            .mutate(MANAGE.new_work(), async |tx, caller| {
                plan::start(tx, &caller.actor, &new, Utc::now()).await
            })
            .await?;
        Ok(outcome.payload(|model| StartInvitationCampaignPayload {
            campaign: Some(InvitationCampaign(model, None)),
            user_errors: Vec::new(),
        }))
    }

    /// Cancels a running campaign: no more of its invitations are written. A campaign that
    /// is not running is refused with `CAMPAIGN_NOT_RUNNING`.
    async fn cancel_invitation_campaign(
        &self,
        ctx: &Context<'_>,
        input: CancelInvitationCampaignInput,
    ) -> async_graphql::Result<CancelInvitationCampaignPayload> {
        let id = global_id::parse(TYPE, "id", &input.id)?;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                campaigns::cancel(tx, &caller.actor, id, Utc::now()).await
            })
            .await?;
        Ok(outcome.payload(|model| CancelInvitationCampaignPayload {
            campaign: Some(InvitationCampaign(model, None)),
            user_errors: Vec::new(),
        }))
    }
}
