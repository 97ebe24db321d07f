//! Patient feedback: a survey answered through its one-time link (no sign-in), the portal's
//! feedback form for signed-in patients, and for practice admins the scores by provider,
//! location and month and the comments to read and mark handled.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use portico_core::{
    PatientId,
    audit::Actor,
    entities::feedback_response,
    feedback::{
        answers::{self, Answer},
        scores::{self, Group, Score, Scores},
    },
    tenancy::Access,
};

use crate::{
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

const RESPONSE: &str = "FeedbackResponse";

/// Counts and average of a set of 0-10 ratings.
#[derive(SimpleObject)]
pub struct FeedbackScore {
    /// Answers with a rating.
    count: u32,
    average: Option<f64>,
    /// Rated 9 or 10.
    promoters: u32,
    /// Rated 7 or 8.
    passives: u32,
    /// Rated 0 to 6.
    detractors: u32,
    /// Percent promoters less percent detractors (-100 to 100).
    nps: Option<f64>,
}

impl From<Score> for FeedbackScore {
    fn from(s: Score) -> Self {
        Self {
            count: s.count,
            average: s.average(),
            promoters: s.promoters,
            passives: s.passives,
            detractors: s.detractors,
            nps: s.nps(),
        }
    }
}

/// The score of one provider, location or month.
#[derive(SimpleObject)]
pub struct FeedbackGroup {
    /// The provider's or location's id; null for a month.
    id: Option<ID>,
    /// The provider's or location's name, or the month (`2026-12`, in the practice's time).
    label: String,
    score: FeedbackScore,
}

fn groups(kind: &str, groups: Vec<Group>) -> Vec<FeedbackGroup> {
    groups
        .into_iter()
        .map(|g| FeedbackGroup {
            id: g.id.map(|id| global_id::encode(kind, id)),
            label: g.label,
            score: g.score.into(),
        })
        .collect()
}

/// The practice's feedback scores over a range.
#[derive(SimpleObject)]
pub struct FeedbackScores {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    overall: FeedbackScore,
    by_provider: Vec<FeedbackGroup>,
    by_location: Vec<FeedbackGroup>,
    /// Oldest first.
    by_month: Vec<FeedbackGroup>,
    /// Surveys sent in the range.
    surveys_sent: u32,
    /// Of those, how many were answered.
    surveys_answered: u32,
    /// Answered per sent (0 to 1); null when none was sent.
    response_rate: Option<f64>,
}

impl FeedbackScores {
    fn of(scores: Scores, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            from,
            to,
            overall: scores.overall.into(),
            response_rate: scores.response_rate(),
            surveys_sent: scores.surveys_sent,
            surveys_answered: scores.surveys_answered,
            by_provider: groups("Provider", scores.by_provider),
            by_location: groups("Location", scores.by_location),
            by_month: groups("Month", scores.by_month),
        }
    }
}

/// A patient's feedback, as the practice reads it.
pub struct FeedbackComment {
    model: feedback_response::Model,
    restricted: bool,
}

#[Object]
impl FeedbackComment {
    async fn id(&self) -> ID {
        global_id::encode(RESPONSE, self.model.id)
    }
    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.model.patient_id)
    }
    /// The visit it is about, if any.
    async fn appointment_id(&self) -> Option<ID> {
        self.model
            .appointment_id
            .map(|a| global_id::encode("Appointment", a))
    }
    async fn provider_id(&self) -> Option<ID> {
        self.model
            .provider_id
            .map(|p| global_id::encode("Provider", p))
    }
    async fn rating(&self) -> Option<i32> {
        self.model.rating
    }
    /// Null on a restricted chart the viewer has not broken the glass for.
    async fn comment(&self) -> Option<&str> {
        self.model.comment.as_deref()
    }
    /// The chart is restricted: break the glass to read the comment.
    async fn restricted(&self) -> bool {
        self.restricted
    }
    /// `survey` (a survey after a visit) or `portal` (the portal's feedback form).
    async fn source(&self) -> &str {
        &self.model.source
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn handled_at(&self) -> Option<DateTime<Utc>> {
        self.model.handled_at
    }
    async fn handled_by(&self) -> Option<ID> {
        self.model.handled_by.map(|u| global_id::encode("User", u))
    }
}

#[derive(InputObject)]
pub struct AnswerFeedbackSurveyInput {
    /// The token of the survey's link.
    token: String,
    /// 0 to 10: how likely the patient is to recommend the practice.
    rating: i32,
    /// Up to 2000 characters.
    comment: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct AnswerFeedbackSurveyPayload {
    /// The answer was saved.
    answered: bool,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SubmitFeedbackInput {
    /// The patient's own chart.
    patient_id: ID,
    /// Up to 2000 characters; required.
    comment: String,
    /// 0 to 10; optional.
    rating: Option<i32>,
    /// One of the patient's past visits it is about; optional.
    appointment_id: Option<ID>,
}

#[derive(SimpleObject, Default)]
pub struct SubmitFeedbackPayload {
    /// The feedback's id, once saved.
    feedback_id: Option<ID>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct MarkFeedbackHandledInput {
    id: ID,
}

#[derive(SimpleObject, Default)]
pub struct MarkFeedbackHandledPayload {
    feedback: Option<FeedbackComment>,
    user_errors: Vec<UserError>,
}

refusable!(
    AnswerFeedbackSurveyPayload,
    SubmitFeedbackPayload,
    MarkFeedbackHandledPayload
);

#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// The practice's feedback scores (practice admins) for the answers given in
    /// `[from, to)`: by default the last twelve months.
    async fn feedback_scores(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<FeedbackScores> {
        let to = to.unwrap_or_else(Utc::now);
        let from = from.unwrap_or(to - Duration::days(365));
        let found = ctx
            .run(Need::to("feedback", "read"), Access::Read, async |tx, _| {
                scores::scores(tx, from, to).await
            })
            .await?;
        Ok(FeedbackScores::of(found, from, to))
    }

    /// Patients' comments, newest first (practice admins); with `unhandled`, only those not
    /// yet handled. At most `first` (1 to 200, 50 by default). Each one is audited as a read
    /// of its chart.
    async fn feedback_comments(
        &self,
        ctx: &Context<'_>,
        unhandled: Option<bool>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<FeedbackComment>> {
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 200)).unwrap_or(50);
        // Writing: listing audits the charts it shows.
        let listed = ctx
            .run(
                Need::to("feedback", "read"),
                Access::Write,
                async |tx, caller| {
                    let viewer = caller.viewer();
                    scores::comments(
                        tx,
                        &caller.actor,
                        &viewer,
                        unhandled.unwrap_or(false),
                        limit,
                    )
                    .await
                },
            )
            .await?;
        Ok(listed
            .into_iter()
            .map(|l| FeedbackComment {
                model: l.response,
                restricted: l.restricted,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Answers a visit's survey through its one-time link (no sign-in). `INVALID_RATING`
    /// outside 0-10, `COMMENT_TOO_LONG`, `SURVEY_ALREADY_ANSWERED`, `SURVEY_EXPIRED`, or
    /// `INVALID_LINK` for an unknown token; nothing is saved when refused.
    async fn answer_feedback_survey(
        &self,
        ctx: &Context<'_>,
        input: AnswerFeedbackSurveyInput,
    ) -> async_graphql::Result<AnswerFeedbackSurveyPayload> {
        let answer = Answer {
            rating: Some(input.rating),
            comment: input.comment,
        };
        let outcome = ctx
            .mutate_public(async |tx, anonymous| {
                // Named in the audit log by the link it came through.
                let actor = Actor {
                    kind: "feedback_link",
                    ..anonymous.clone()
                };
                answers::answer_survey(tx, &actor, &input.token, &answer, Utc::now()).await
            })
            .await?;
        Ok(outcome.payload(|_| AnswerFeedbackSurveyPayload {
            answered: true,
            user_errors: Vec::new(),
        }))
    }

    /// The portal's feedback form: a comment, a rating (0-10) if the patient gives one, and
    /// optionally one of their past visits. `COMMENT_REQUIRED`, `COMMENT_TOO_LONG`,
    /// `INVALID_RATING`, `APPOINTMENT_NOT_FOUND`; another chart is `NOT_FOUND`.
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        input: SubmitFeedbackInput,
    ) -> async_graphql::Result<SubmitFeedbackPayload> {
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let visit = global_id::parse_opt(
            "Appointment",
            "appointmentId",
            input.appointment_id.as_ref(),
        )?;
        let answer = Answer {
            rating: input.rating,
            comment: Some(input.comment),
        };
        let outcome = ctx
            .mutate(Need::to("own_feedback", "write"), async |tx, caller| {
                let viewer = caller.viewer();
                answers::submit(
                    tx,
                    &caller.actor,
                    &viewer,
                    PatientId::from_uuid(patient),
                    visit,
                    &answer,
                    Utc::now(),
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|model| SubmitFeedbackPayload {
            feedback_id: Some(global_id::encode(RESPONSE, model.id)),
            user_errors: Vec::new(),
        }))
    }

    /// Marks a patient's feedback handled by the caller (practice admins).
    async fn mark_feedback_handled(
        &self,
        ctx: &Context<'_>,
        input: MarkFeedbackHandledInput,
    ) -> async_graphql::Result<MarkFeedbackHandledPayload> {
        let id = global_id::parse(RESPONSE, "id", &input.id)?;
        let outcome = ctx
            .mutate(Need::to("feedback", "manage"), async |tx, caller| {
                let viewer = caller.viewer();
                scores::mark_handled(tx, &caller.actor, &viewer, id, Utc::now()).await
            })
            .await?;
        Ok(outcome.payload(|listed| MarkFeedbackHandledPayload {
            feedback: Some(FeedbackComment {
                model: listed.response,
                restricted: listed.restricted,
            }),
            user_errors: Vec::new(),
        }))
    }
}
