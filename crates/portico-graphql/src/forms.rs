//! Check-in forms: practice admins build questionnaires (FHIR `Questionnaire`) and attach
//! them to visit types; staff send one to a patient; patients (and proxies with `book`)
//! save drafts and submit; staff read the answers on the visit and the chart.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    entities::{form, form_request},
    forms::{
        self, answers,
        definitions::{self, ConditionDraft, FormDraft, ItemDraft},
        questionnaire::{self, Problem, Value},
        requests::{self, Listed},
    },
    tenancy::Access,
};

use crate::{
    global_id,
    run::{Need, Outcome, OutcomeExt, Run, refusable},
    scalars::Date,
    scheduling::appointments::{notice_text, relay_outbox},
    user_error::UserError,
};

const FORM: &str = "Form";
const REQUEST: &str = "FormRequest";

/// The kind of answer a question takes (FHIR `Questionnaire.item.type`).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum FormItemType {
    /// A line of text.
    String,
    /// Several lines of text.
    Text,
    /// One of the item's options.
    Choice,
    /// Yes or no.
    Boolean,
    Date,
    Decimal,
    Integer,
}

impl FormItemType {
    fn fhir(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Text => "text",
            Self::Choice => "choice",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
        }
    }

    fn of(kind: &str) -> Self {
        match kind {
            "text" => Self::Text,
            "choice" => Self::Choice,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "decimal" => Self::Decimal,
            "integer" => Self::Integer,
            _ => Self::String,
        }
    }
}

/// How a condition compares (FHIR `enableWhen.operator`).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConditionOperator {
    /// `=`: the answer equals the value.
    Equals,
    /// `!=`: the answer is not the value (no answer is not the value).
    NotEquals,
    /// `exists`: answered (value `true`) or not (`false`).
    Exists,
}

impl ConditionOperator {
    fn fhir(self) -> &'static str {
        match self {
            Self::Equals => "=",
            Self::NotEquals => "!=",
            Self::Exists => "exists",
        }
    }

    fn of(operator: &str) -> Self {
        match operator {
            "!=" => Self::NotEquals,
            "exists" => Self::Exists,
            _ => Self::Equals,
        }
    }
}

/// With several conditions: whether any or all must hold.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EnableBehavior {
    Any,
    All,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum FormStatus {
    /// Being built: not asked of patients.
    Draft,
    /// Asked with bookings and sendable.
    Active,
    /// No longer asked; its answers stay.
    Retired,
}

impl FormStatus {
    fn core(self) -> &'static str {
        match self {
            Self::Draft => forms::DRAFT,
            Self::Active => forms::ACTIVE,
            Self::Retired => forms::RETIRED,
        }
    }

    fn of(status: &str) -> Self {
        match status {
            forms::ACTIVE => Self::Active,
            forms::RETIRED => Self::Retired,
            _ => Self::Draft,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum FormRequestStatus {
    /// Asked; nothing saved yet.
    Pending,
    /// A draft is saved.
    InProgress,
    /// Submitted.
    Completed,
    /// The visit was cancelled before it was submitted.
    Withdrawn,
}

impl FormRequestStatus {
    fn of(status: &str) -> Self {
        match status {
            forms::IN_PROGRESS => Self::InProgress,
            forms::COMPLETED => Self::Completed,
            forms::WITHDRAWN => Self::Withdrawn,
            _ => Self::Pending,
        }
    }
}

/// Show the question only when an earlier question's answer compares so.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "FormConditionInput")]
pub struct FormCondition {
    /// The earlier question's link id.
    question: String,
    operator: ConditionOperator,
    /// An answer to that question (`true`, `2`, `2026-01-31`, one of its options); for
    /// `EXISTS`, `true` or `false`.
    value: String,
}

/// One question of a form.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "FormItemInput")]
pub struct FormItem {
    /// Unique in the form: letters, digits, `.`, `-`, `_` (1 to 64).
    link_id: String,
    /// The question (1 to 500 characters).
    text: String,
    #[graphql(name = "type")]
    kind: FormItemType,
    #[graphql(default)]
    required: bool,
    /// A choice's options (1 to 50); none for other types.
    #[graphql(default)]
    options: Vec<String>,
    /// Shown only when these hold; always shown without any.
    #[graphql(default)]
    enable_when: Vec<FormCondition>,
    /// With several conditions: any or all (required then).
    enable_behavior: Option<EnableBehavior>,
}

impl FormItem {
    fn of(item: &questionnaire::Item) -> Self {
        Self {
            link_id: item.link_id.clone(),
            text: item.text.clone(),
            kind: FormItemType::of(&item.kind),
            required: item.required,
            options: item
                .answer_option
                .iter()
                .map(|o| o.value_string.clone())
                .collect(),
            enable_when: item
                .enable_when
                .iter()
                .map(|w| FormCondition {
                    question: w.question.clone(),
                    operator: ConditionOperator::of(&w.operator),
                    value: w.expected().map(|v| v.raw()).unwrap_or_default(),
                })
                .collect(),
            enable_behavior: item.enable_behavior.as_deref().map(|b| {
                if b == "any" {
                    EnableBehavior::Any
                } else {
                    EnableBehavior::All
                }
            }),
        }
    }

    fn draft(self) -> ItemDraft {
        ItemDraft {
            link_id: self.link_id,
            text: self.text,
            kind: self.kind.fhir().to_owned(),
            required: self.required,
            options: self.options,
            conditions: self
                .enable_when
                .into_iter()
                .map(|c| ConditionDraft {
                    question: c.question,
                    operator: c.operator.fhir().to_owned(),
                    value: c.value,
                })
                .collect(),
            behavior: self.enable_behavior.map(|b| {
                match b {
                    EnableBehavior::Any => "any",
                    EnableBehavior::All => "all",
                }
                .to_owned()
            }),
        }
    }
}

/// One version of a practice's form.
pub struct Form {
    model: form::Model,
}

#[Object]
impl Form {
    /// This version's id.
    async fn id(&self) -> ID {
        global_id::encode(FORM, self.model.id)
    }
    async fn title(&self) -> &str {
        &self.model.title
    }
    /// 1 for a new form; a change to a form patients were asked for makes the next.
    async fn version(&self) -> i32 {
        self.model.version
    }
    async fn status(&self) -> FormStatus {
        FormStatus::of(&self.model.status)
    }
    /// The canonical URL, the same for every version.
    async fn url(&self) -> String {
        forms::canonical(self.model.form_key)
    }
    async fn items(&self) -> async_graphql::Result<Vec<FormItem>> {
        let parsed = forms::questionnaire_of(&self.model).map_err(internal)?;
        Ok(parsed.item.iter().map(FormItem::of).collect())
    }
    /// The FHIR R4 Questionnaire, as JSON.
    async fn questionnaire(&self) -> &str {
        &self.model.questionnaire
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
}

fn internal(_err: portico_core::CoreError) -> async_graphql::Error {
    // Not the parse error itself: serde_json quotes the text it stopped at, which here can
    // be a patient's answer.
    tracing::error!("a stored form does not read back");
    async_graphql::Error::new("INTERNAL")
}

/// One answer, as the form's input takes it.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "FormAnswerInput")]
pub struct FormAnswer {
    link_id: String,
    /// `true`/`false`, a number, `YYYY-MM-DD`, an option or text.
    value: String,
}

/// A form asked of a patient, with the answers saved so far.
pub struct FormRequest {
    request: form_request::Model,
    form: form::Model,
}

impl From<Listed> for FormRequest {
    fn from(listed: Listed) -> Self {
        Self {
            request: listed.request,
            form: listed.form,
        }
    }
}

#[Object]
impl FormRequest {
    async fn id(&self) -> ID {
        global_id::encode(REQUEST, self.request.id)
    }
    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.request.patient_id)
    }
    /// The visit it came with; null when staff sent it on its own.
    async fn appointment_id(&self) -> Option<ID> {
        self.request
            .appointment_id
            .map(|a| global_id::encode("Appointment", a))
    }
    async fn status(&self) -> FormRequestStatus {
        FormRequestStatus::of(&self.request.status)
    }
    async fn due_on(&self) -> Option<Date> {
        self.request.due_on.map(Date)
    }
    /// The form version asked for (its questions are the ones answered).
    async fn form(&self) -> Form {
        Form {
            model: self.form.clone(),
        }
    }
    /// The answers saved (a draft's or the submitted ones), in the form's order.
    async fn answers(&self) -> async_graphql::Result<Vec<FormAnswer>> {
        let Some(response) = forms::response_of(&self.request).map_err(internal)? else {
            return Ok(Vec::new());
        };
        Ok(response
            .item
            .iter()
            .filter_map(|item| {
                let value = item.answer.first().and_then(Value::of_answer)?;
                Some(FormAnswer {
                    link_id: item.link_id.clone(),
                    value: value.raw(),
                })
            })
            .collect())
    }
    /// The FHIR R4 QuestionnaireResponse, as JSON; null until something is saved.
    async fn response(&self) -> Option<&str> {
        self.request.response.as_deref()
    }
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.request.submitted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.request.created_at
    }
}

#[derive(InputObject)]
pub struct SaveFormInput {
    /// Any version of the form to change; none for a new form.
    id: Option<ID>,
    /// 1 to 200 characters.
    title: String,
    status: FormStatus,
    /// 1 to 100 questions; conditions only on earlier ones.
    items: Vec<FormItem>,
}

#[derive(InputObject)]
pub struct SetFormStatusInput {
    id: ID,
    status: FormStatus,
}

#[derive(InputObject)]
pub struct AttachFormInput {
    appointment_type_id: ID,
    /// Any version of the form: a booking asks for its newest active version.
    form_id: ID,
    /// False takes it off the visit type.
    #[graphql(default = true)]
    attached: bool,
}

#[derive(InputObject)]
pub struct SendFormInput {
    /// An active form version.
    form_id: ID,
    patient_id: ID,
    /// Not in the past.
    due_on: Option<Date>,
}

#[derive(InputObject)]
pub struct SaveFormAnswersInput {
    id: ID,
    answers: Vec<FormAnswer>,
    /// Submit (checked, once) rather than save a draft.
    #[graphql(default)]
    submit: bool,
}

#[derive(SimpleObject, Default)]
pub struct FormPayload {
    form: Option<Form>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct AttachFormPayload {
    /// The forms now attached to the visit type.
    forms: Vec<Form>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct FormRequestPayload {
    form_request: Option<FormRequest>,
    user_errors: Vec<UserError>,
}

refusable!(FormPayload, AttachFormPayload, FormRequestPayload);

/// A refusal of the domain (naming the item or the answer's link id) as `userErrors`.
fn problem_errors(problem: Problem) -> Vec<UserError> {
    vec![UserError::new(
        &problem.field,
        problem.code,
        problem.message,
    )]
}

/// A checked change: the value, the problem with the input, or another refusal.
fn settle<T>(outcome: Outcome<Result<T, Problem>>) -> Outcome<T> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(problem)) => Err(problem_errors(problem)),
        Err(errors) => Err(errors),
    }
}

#[derive(Default)]
pub struct FormsQuery;

#[Object]
impl FormsQuery {
    /// The practice's forms (the newest version of each), by title (staff).
    async fn forms(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Form>> {
        let found = ctx
            .run(Need::to("forms", "read"), Access::Read, async |tx, _| {
                definitions::list(tx).await
            })
            .await?;
        Ok(found.into_iter().map(|model| Form { model }).collect())
    }

    /// One form version (staff).
    async fn form(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Form> {
        let id = global_id::parse(FORM, "id", &id)?;
        let model = ctx
            .run(Need::to("forms", "read"), Access::Read, async |tx, _| {
                forms::find_form(tx, id).await
            })
            .await?;
        Ok(Form { model })
    }

    /// The forms attached to a visit type (staff).
    async fn appointment_type_forms(
        &self,
        ctx: &Context<'_>,
        appointment_type_id: ID,
    ) -> async_graphql::Result<Vec<Form>> {
        let kind = global_id::parse("AppointmentType", "appointmentTypeId", &appointment_type_id)?;
        let found = ctx
            .run(Need::to("forms", "read"), Access::Read, async |tx, _| {
                definitions::attached_to(tx, kind).await
            })
            .await?;
        Ok(found.into_iter().map(|model| Form { model }).collect())
    }

    /// A chart's forms (withdrawn ones left out), newest first: the patient's own (or a
    /// proxy's with `read`), or any chart's for staff. Audited.
    async fn form_requests(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
    ) -> async_graphql::Result<Vec<FormRequest>> {
        let patient = global_id::parse("Patient", "patientId", &patient_id)?;
        let listed = ctx
            .run(
                Need::to("forms", "read").or_own("own_forms"),
                Access::Write,
                async |tx, caller| {
                    let chart = portico_core::chart_access::open(
                        tx,
                        &caller.viewer(),
                        PatientId::from_uuid(patient),
                        portico_core::chart_access::Purpose::Read,
                    )
                    .await?;
                    requests::of_chart(tx, &caller.actor, &chart).await
                },
            )
            .await?;
        Ok(listed.into_iter().map(FormRequest::from).collect())
    }

    /// A visit's forms with their answers, for whoever may read the visit's chart. Audited.
    async fn appointment_forms(
        &self,
        ctx: &Context<'_>,
        appointment_id: ID,
    ) -> async_graphql::Result<Vec<FormRequest>> {
        let visit = global_id::parse("Appointment", "appointmentId", &appointment_id)?;
        let listed = ctx
            .run(
                Need::to("forms", "read").or_own("own_forms"),
                Access::Write,
                async |tx, caller| {
                    requests::of_visit(tx, &caller.actor, &caller.viewer(), visit).await
                },
            )
            .await?;
        Ok(listed.into_iter().map(FormRequest::from).collect())
    }

    /// One form request with its questions and answers. Audited.
    async fn form_request(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<FormRequest> {
        let id = global_id::parse(REQUEST, "id", &id)?;
        let listed = ctx
            .run(
                Need::to("forms", "read").or_own("own_forms"),
                Access::Write,
                async |tx, caller| requests::open(tx, &caller.actor, &caller.viewer(), id).await,
            )
            .await?;
        Ok(listed.into())
    }
}

#[derive(Default)]
pub struct FormsMutation;

#[Object]
impl FormsMutation {
    /// Saves a form (practice admins): a new one, or a change to `id`'s form, made in place
    /// while no patient was asked for it and as a new version after. `FORM_ITEM_INVALID`
    /// names the item (`items.<linkId>`): a duplicate link id, a choice without options, a
    /// condition on an unknown or later item, a value that does not fit.
    async fn save_form(
        &self,
        ctx: &Context<'_>,
        input: SaveFormInput,
    ) -> async_graphql::Result<FormPayload> {
        let key_of = global_id::parse_opt(FORM, "id", input.id.as_ref())?;
        let draft = FormDraft {
            title: input.title,
            status: input.status.core().to_owned(),
            items: input.items.into_iter().map(FormItem::draft).collect(),
        };
        let outcome = ctx
            .mutate(Need::to("forms", "manage"), async |tx, caller| {
                let key = match key_of {
                    Some(id) => Some(forms::find_form(tx, id).await?.form_key),
                    None => None,
                };
                definitions::save(tx, &caller.actor, key, &draft).await
            })
            .await?;
        Ok(settle(outcome).payload(|model| FormPayload {
            form: Some(Form { model }),
            user_errors: Vec::new(),
        }))
    }

    /// Sets a form version's status (practice admins): retiring stops new requests.
    async fn set_form_status(
        &self,
        ctx: &Context<'_>,
        input: SetFormStatusInput,
    ) -> async_graphql::Result<FormPayload> {
        let id = global_id::parse(FORM, "id", &input.id)?;
        let outcome = ctx
            .mutate(Need::to("forms", "manage"), async |tx, caller| {
                definitions::set_status(tx, &caller.actor, id, input.status.core()).await
            })
            .await?;
        Ok(outcome.payload(|model| FormPayload {
            form: Some(Form { model }),
            user_errors: Vec::new(),
        }))
    }

    /// Attaches a form to a visit type, or takes it off (practice admins): every booking of
    /// the type then asks the patient for it, once per visit.
    async fn attach_form(
        &self,
        ctx: &Context<'_>,
        input: AttachFormInput,
    ) -> async_graphql::Result<AttachFormPayload> {
        let kind = global_id::parse(
            "AppointmentType",
            "appointmentTypeId",
            &input.appointment_type_id,
        )?;
        let id = global_id::parse(FORM, "formId", &input.form_id)?;
        let outcome = ctx
            .mutate(Need::to("forms", "manage"), async |tx, caller| {
                let key = forms::find_form(tx, id).await?.form_key;
                definitions::attach(tx, &caller.actor, kind, key, input.attached).await
            })
            .await?;
        Ok(outcome.payload(|found| AttachFormPayload {
            forms: found.into_iter().map(|model| Form { model }).collect(),
            user_errors: Vec::new(),
        }))
    }

    /// Sends an active form to a patient (staff), due by `dueOn` if given. The patient is
    /// told there is a form to fill in, with nothing of it. `FORM_NOT_ACTIVE`,
    /// `FORM_DUE_INVALID`.
    async fn send_form(
        &self,
        ctx: &Context<'_>,
        input: SendFormInput,
    ) -> async_graphql::Result<FormRequestPayload> {
        let form_id = global_id::parse(FORM, "formId", &input.form_id)?;
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let portal = notice_text(ctx)?;
        let outcome = ctx
            .mutate(Need::to("forms", "send").new_work(), async |tx, caller| {
                let (request, written) = requests::send(
                    tx,
                    &caller.actor,
                    &portal,
                    form_id,
                    patient,
                    input.due_on.map(|d| d.0),
                    Utc::now(),
                )
                .await?;
                let form = forms::find_form(tx, request.form_id).await?;
                Ok((Listed { request, form }, written))
            })
            .await?;
        if let Ok((_, written)) = &outcome {
            relay_outbox(ctx, *written).await?;
        }
        Ok(outcome.payload(|(listed, _)| FormRequestPayload {
            form_request: Some(listed.into()),
            user_errors: Vec::new(),
        }))
    }

    /// Saves answers to a form of the patient's own chart (or, with a proxy grant's `book`
    /// scope, of that chart): a draft, or (`submit`) the final answers, once. On submit,
    /// answers to questions hidden by their conditions are dropped. `FORM_ANSWER_REQUIRED`
    /// and `FORM_ANSWER_INVALID` name the question's link id as the field;
    /// `FORM_ALREADY_SUBMITTED`, `FORM_WITHDRAWN`.
    async fn save_form_answers(
        &self,
        ctx: &Context<'_>,
        input: SaveFormAnswersInput,
    ) -> async_graphql::Result<FormRequestPayload> {
        let id = global_id::parse(REQUEST, "id", &input.id)?;
        let given: Vec<(String, String)> = input
            .answers
            .into_iter()
            .map(|a| (a.link_id, a.value))
            .collect();
        let outcome = ctx
            .mutate(
                Need::to("own_forms", "write").new_work(),
                async |tx, caller| {
                    let saved = answers::save(
                        tx,
                        &caller.actor,
                        &caller.viewer(),
                        id,
                        &given,
                        input.submit,
                        Utc::now(),
                    )
                    .await?;
                    Ok(match saved {
                        Ok(request) => {
                            let form = forms::find_form(tx, request.form_id).await?;
                            Ok(Listed { request, form })
                        }
                        Err(problem) => Err(problem),
                    })
                },
            )
            .await?;
        let submitted = input.submit && outcome.as_ref().is_ok_and(Result::is_ok);
        if submitted {
            // The write-back to the EHR waits in the outbox.
            relay_outbox(ctx, 1).await?;
        }
        Ok(settle(outcome).payload(|listed| FormRequestPayload {
            form_request: Some(listed.into()),
            user_errors: Vec::new(),
        }))
    }
}
