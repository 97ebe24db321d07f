//! Resolving a campaign's audience: the charts without a portal account that one of the
//! campaign's channels can reach as the patient's preferences stand (not opted out, the
//! channel wanted, the address not bounced), and not already in another running campaign
//! (so nobody gets two invitations at once).

use std::collections::HashSet;

use chrono::{Days, NaiveTime};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::plan::{Audience, Filter};
use super::recipient;
use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{campaign_recipient, patient, patient_import_chart},
    notify::{Channels, preferences},
    patient_imports,
};

/// The patients `audience` invites on `channels`, in chart order.
pub async fn resolve(
    tx: &TenantTx,
    audience: &Audience,
    channels: Channels,
) -> CoreResult<Vec<Uuid>> {
    let mut query = tx
        .find::<patient::Entity>()
        .filter(patient::Column::UserId.is_null())
        .filter(patient::Column::NotificationsOptedOutAt.is_null());
    let mut only: Option<HashSet<Uuid>> = None;
    match audience {
        Audience::NotActivated => {}
        Audience::Import(id) => {
            let import = patient_imports::find(tx, *id).await.map_err(|e| match e {
                CoreError::NotFound => CoreError::invalid(
                    "importId",
                    "IMPORT_NOT_FOUND",
                    "no import of this practice has this id",
                ),
                other => other,
            })?;
            if import.status != patient_imports::status::DONE {
                return Err(CoreError::invalid(
                    "importId",
                    "IMPORT_NOT_DONE",
                    "the import has not created its charts yet",
                ));
            }
            let charts: Vec<Uuid> = tx
                .find::<patient_import_chart::Entity>()
                .select_only()
                .column(patient_import_chart::Column::PatientId)
                .filter(patient_import_chart::Column::ImportId.eq(import.id))
                .into_tuple()
                .all(tx.conn())
                .await?;
            // Imports finished before Portico noted the charts each created (they are
            // noted since invitation campaigns came) cannot be told apart from the rest.
            if charts.is_empty() && import.created > 0 {
                return Err(CoreError::invalid(
                    "importId",
                    "IMPORT_TOO_OLD",
                    "this import ran before its charts were noted; invite by registration dates instead",
                ));
            }
            only = Some(charts.into_iter().collect());
        }
        Audience::Filter(filter) => query = filtered(query, filter),
    }
    let charts = query
        .order_by_asc(patient::Column::Id)
        .all(tx.conn())
        .await?;
    let busy = in_running_campaigns(tx).await?;
    let language = match audience {
        Audience::Filter(f) => f.language.as_deref().map(primary),
        _ => None,
    };
    Ok(charts
        .into_iter()
        .filter(|c| only.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| !busy.contains(&c.id))
        .filter(|c| {
            language.as_ref().is_none_or(|want| {
                c.preferred_language
                    .as_deref()
                    .is_some_and(|l| primary(l) == *want)
            })
        })
        .filter(|c| reachable(c, channels))
        .map(|c| c.id)
        .collect())
}

/// The primary subtag of a language tag, lower-cased (`es-MX` → `es`).
fn primary(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn filtered(
    query: sea_orm::Select<patient::Entity>,
    filter: &Filter,
) -> sea_orm::Select<patient::Entity> {
    let mut query = query;
    if let Some(from) = filter.created_from {
        query =
            query.filter(patient::Column::CreatedAt.gte(from.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(to) = filter
        .created_to
        .and_then(|d| d.checked_add_days(Days::new(1)))
    {
        query = query.filter(patient::Column::CreatedAt.lt(to.and_time(NaiveTime::MIN).and_utc()));
    }
    query
}

/// The chart can be reached on one of `channels` as its preferences stand.
pub fn reachable(chart: &patient::Model, channels: Channels) -> bool {
    let email = channels.email
        && chart.notify_email
        && chart.email_bounced_at.is_none()
        && chart.email.is_some();
    let sms = channels.sms
        && chart.notify_sms
        && chart.phone_bounced_at.is_none()
        && chart
            .phone
            .as_deref()
            .and_then(preferences::mobile_number)
            .is_some();
    chart.notifications_opted_out_at.is_none() && (email || sms)
}

/// Patients with invitations still to come from a running campaign.
async fn in_running_campaigns(tx: &TenantTx) -> CoreResult<HashSet<Uuid>> {
    let ids: Vec<Uuid> = tx
        .find::<campaign_recipient::Entity>()
        .select_only()
        .column(campaign_recipient::Column::PatientId)
        .filter(campaign_recipient::Column::Status.eq(recipient::PENDING))
        .into_tuple()
        .all(tx.conn())
        .await?;
    Ok(ids.into_iter().collect())
}
