//! What the practice reads: scores (average rating and the promoter / passive / detractor
//! split, with counts) overall, by provider, by location and by month, and the comments,
//! newest first, each of which staff can mark handled. Scores carry no patient; every
//! comment listed is audited as a read of its chart, and a restricted chart's comment is
//! held back from staff who would have to break the glass to open it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::{SENT, answers::record};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, Sight, Viewer},
    entities::{feedback_invitation, feedback_response, location, provider},
    tenants,
};

pub const MAX_LIMIT: u64 = 200;

/// Counts and average of a set of ratings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    /// Answers with a rating.
    pub count: u32,
    pub sum: i64,
    /// 9-10.
    pub promoters: u32,
    /// 7-8.
    pub passives: u32,
    /// 0-6.
    pub detractors: u32,
}

impl Score {
    pub fn add(&mut self, rating: i32) {
        self.count += 1;
        self.sum += i64::from(rating);
        match rating {
            9.. => self.promoters += 1,
            7..=8 => self.passives += 1,
            _ => self.detractors += 1,
        }
    }

    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / f64::from(self.count))
    }

    /// Percent promoters less percent detractors (-100 to 100).
    pub fn nps(&self) -> Option<f64> {
        (self.count > 0).then(|| {
            (f64::from(self.promoters) - f64::from(self.detractors)) * 100.0 / f64::from(self.count)
        })
    }
}

/// A group's name and score.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The provider's or location's id; none for a month.
    pub id: Option<Uuid>,
    /// The provider's or location's name, or the month (`2026-12`, the practice's time).
    pub label: String,
    pub score: Score,
}

/// The practice's scores over a range.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scores {
    pub overall: Score,
    pub by_provider: Vec<Group>,
    pub by_location: Vec<Group>,
    pub by_month: Vec<Group>,
    /// Surveys sent in the range and how many of those were answered.
    pub surveys_sent: u32,
    pub surveys_answered: u32,
}

impl Scores {
    /// Answered surveys per survey sent (0-1).
    pub fn response_rate(&self) -> Option<f64> {
        (self.surveys_sent > 0)
            .then(|| f64::from(self.surveys_answered) / f64::from(self.surveys_sent))
    }
}

/// A rated answer: its provider, location, rating and when it was given.
type Rated = (Option<Uuid>, Option<Uuid>, Option<i32>, DateTime<Utc>);

/// The scores of the answers given in `[from, to)`.
pub async fn scores(tx: &TenantTx, from: DateTime<Utc>, to: DateTime<Utc>) -> CoreResult<Scores> {
    let rated: Vec<Rated> = tx
        .find::<feedback_response::Entity>()
        .select_only()
        .column(feedback_response::Column::ProviderId)
        .column(feedback_response::Column::LocationId)
        .column(feedback_response::Column::Rating)
        .column(feedback_response::Column::CreatedAt)
        .filter(feedback_response::Column::CreatedAt.gte(from))
        .filter(feedback_response::Column::CreatedAt.lt(to))
        .filter(feedback_response::Column::Rating.is_not_null())
        .into_tuple()
        .all(tx.conn())
        .await?;
    let zone: Tz = tenants::own_row(tx)
        .await?
        .tenant
        .time_zone
        .parse()
        .unwrap_or(Tz::UTC);
    let mut out = Scores::default();
    let mut providers: HashMap<Uuid, Score> = HashMap::new();
    let mut locations: HashMap<Uuid, Score> = HashMap::new();
    let mut months: BTreeMap<String, Score> = BTreeMap::new();
    for (provider_id, location_id, rating, at) in rated {
        let Some(rating) = rating else { continue };
        out.overall.add(rating);
        if let Some(id) = provider_id {
            providers.entry(id).or_default().add(rating);
        }
        if let Some(id) = location_id {
            locations.entry(id).or_default().add(rating);
        }
        let month = at.with_timezone(&zone).format("%Y-%m").to_string();
        months.entry(month).or_default().add(rating);
    }
    let provider_names: HashMap<Uuid, String> = tx
        .find::<provider::Entity>()
        .filter(provider::Column::Id.is_in(providers.keys().copied()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect();
    let location_names: HashMap<Uuid, String> = tx
        .find::<location::Entity>()
        .filter(location::Column::Id.is_in(locations.keys().copied()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    out.by_provider = named(providers, &provider_names);
    out.by_location = named(locations, &location_names);
    out.by_month = months
        .into_iter()
        .map(|(label, score)| Group {
            id: None,
            label,
            score,
        })
        .collect();
    let sent: Vec<(String,)> = tx
        .find::<feedback_invitation::Entity>()
        .select_only()
        .column(feedback_invitation::Column::Status)
        .filter(feedback_invitation::Column::SentAt.gte(from))
        .filter(feedback_invitation::Column::SentAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?;
    out.surveys_sent = u32::try_from(sent.len()).unwrap_or(u32::MAX);
    out.surveys_answered =
        u32::try_from(sent.iter().filter(|(s,)| s != SENT).count()).unwrap_or(u32::MAX);
    Ok(out)
}

/// Groups by name, best score first (then by name).
fn named(scores: HashMap<Uuid, Score>, names: &HashMap<Uuid, String>) -> Vec<Group> {
    let mut groups: Vec<Group> = scores
        .into_iter()
        .map(|(id, score)| Group {
            id: Some(id),
            label: names.get(&id).cloned().unwrap_or_default(),
            score,
        })
        .collect();
    groups.sort_by(|a, b| {
        b.score
            .average()
            .partial_cmp(&a.score.average())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.label.cmp(&b.label))
    });
    groups
}

/// A comment as staff see it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub response: feedback_response::Model,
    /// The chart is restricted and the viewer has not broken the glass: the comment is
    /// held back.
    pub restricted: bool,
}

/// The answers with a comment, newest first; with `unhandled`, only those nobody handled.
/// Each one listed is audited as a read of its chart.
pub async fn comments(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    unhandled: bool,
    limit: u64,
) -> CoreResult<Vec<Listed>> {
    let mut query = tx
        .find::<feedback_response::Entity>()
        .filter(feedback_response::Column::Comment.is_not_null());
    if unhandled {
        query = query.filter(feedback_response::Column::HandledAt.is_null());
    }
    let found = query
        .order_by_desc(feedback_response::Column::CreatedAt)
        .order_by_desc(feedback_response::Column::Id)
        .limit(limit.clamp(1, MAX_LIMIT))
        .all(tx.conn())
        .await?;
    let sight = chart_access::sight_of_many(tx, viewer, found.iter().map(|r| r.patient_id)).await?;
    let listed: Vec<Listed> = found
        .into_iter()
        .map(|mut response| {
            let restricted = sight
                .get(&response.patient_id)
                .is_none_or(|seen| *seen == Sight::Hidden);
            if restricted {
                response.comment = None;
            }
            Listed {
                response,
                restricted,
            }
        })
        .collect();
    // Each comment shown is a read of its chart (flagged with the break-glass access that
    // opened it); those held back show nothing of it. Collected first: an iterator borrowing
    // the list across the await would make the resolver's future `Send` only for one
    // lifetime (a rustc limitation).
    let mut by_glass: HashMap<Option<Uuid>, Vec<Access<'static>>> = HashMap::new();
    for l in listed.iter().filter(|l| !l.restricted) {
        let glass = match sight.get(&l.response.patient_id) {
            Some(Sight::Glass(access)) => Some(*access),
            _ => None,
        };
        by_glass.entry(glass).or_default().push(Access {
            action: "feedback.read",
            resource_type: "FeedbackResponse",
            resource_id: Some(l.response.id),
            patient_id: Some(l.response.patient_id),
        });
    }
    for (glass, reads) in by_glass {
        audit::record_all(tx, &actor.clone().with_break_glass(glass), reads).await?;
    }
    Ok(listed)
}

/// Whether a comment about `patient` is kept from `viewer`: the chart is restricted and
/// they have no break-glass access to it in force.
async fn hidden_from(tx: &TenantTx, viewer: &Viewer, patient: Uuid) -> CoreResult<bool> {
    Ok(chart_access::needs_break_glass(tx, viewer, patient).await?
        && chart_access::active_break_glass(tx, viewer.user_id, patient)
            .await?
            .is_none())
}

/// Marks a comment handled by `viewer` (again: the later handler is kept). The comment comes
/// back as the list shows it: without its words on a restricted chart not opened.
pub async fn mark_handled(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<Listed> {
    audit::lock(tx).await?;
    let found = tx
        .find::<feedback_response::Entity>()
        .filter(feedback_response::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut active: feedback_response::ActiveModel = found.into();
    active.handled_by = Set(Some(viewer.user_id.as_uuid()));
    active.handled_at = Set(Some(now));
    let mut handled = active.update(tx.conn()).await?;
    record(tx, actor, "feedback.handle", &handled).await?;
    let restricted = hidden_from(tx, viewer, handled.patient_id).await?;
    if restricted {
        handled.comment = None;
    }
    Ok(Listed {
        response: handled,
        restricted,
    })
}
