//! Patient education: the practice's library (practice admins add, change and archive
//! resources; staff list them to send one in a message), and for the portal the resources
//! about the codes of a chart's problems, results and medications ("Learn more"), in the
//! patient's language with English as the fallback.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, connection::query};
use chrono::{DateTime, Utc};
use portico_core::{
    education::{library, matching},
    entities::education_resource,
    tenancy::Access,
};

use crate::{
    chart_access, global_id,
    records::{self, Page_},
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

pub(crate) const RESOURCE: &str = "EducationResource";

/// A code a resource is about.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "EducationCodeInput")]
pub struct EducationCode {
    /// `icd10` (ICD-10-CM), `snomed` (SNOMED CT), `loinc` or `rxnorm`.
    system: String,
    code: String,
}

/// A resource of the practice's education library.
#[derive(Clone)]
pub struct EducationResource {
    model: education_resource::Model,
    /// None where the codes were not loaded (a message's card).
    codes: Option<Vec<(String, String)>>,
}

impl EducationResource {
    pub(crate) fn card(model: education_resource::Model) -> Self {
        Self { model, codes: None }
    }
}

impl From<library::Resource> for EducationResource {
    fn from(r: library::Resource) -> Self {
        Self {
            model: r.model,
            codes: Some(r.codes),
        }
    }
}

#[Object]
impl EducationResource {
    async fn id(&self) -> ID {
        global_id::encode(RESOURCE, self.model.id)
    }
    async fn title(&self) -> &str {
        &self.model.title
    }
    async fn summary(&self) -> &str {
        &self.model.summary
    }
    /// `link` (open `url` in a new tab) or `article` (`body`, Markdown: headings, lists,
    /// paragraphs and bold; shown as text, never as HTML).
    async fn kind(&self) -> &str {
        &self.model.kind
    }
    /// An https address (a link).
    async fn url(&self) -> Option<&str> {
        self.model.url.as_deref()
    }
    /// Markdown (an article).
    async fn body(&self) -> Option<&str> {
        self.model.body.as_deref()
    }
    /// `en` or `es`.
    async fn language(&self) -> &str {
        &self.model.language
    }
    /// About no code in particular: never shown beside a record.
    async fn general(&self) -> bool {
        self.model.general
    }
    /// `active` or `archived`.
    async fn status(&self) -> &str {
        &self.model.status
    }
    /// The codes it is about; null where they are not loaded (a message's card).
    async fn codes(&self) -> Option<Vec<EducationCode>> {
        self.codes.as_ref().map(|codes| {
            codes
                .iter()
                .map(|(system, code)| EducationCode {
                    system: system.clone(),
                    code: code.clone(),
                })
                .collect()
        })
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
}

/// The resources found for one code of a chart's records.
#[derive(SimpleObject)]
pub struct EducationMatch {
    /// As asked.
    system: String,
    code: String,
    /// In the patient's language, or in English when none is written in theirs.
    resources: Vec<EducationResource>,
}

#[derive(InputObject)]
pub struct SaveEducationResourceInput {
    /// The resource to change; none to add one.
    id: Option<ID>,
    /// Up to 200 characters.
    title: String,
    /// Up to 1000 characters.
    summary: String,
    /// `link` or `article`.
    kind: String,
    /// A link's https address.
    url: Option<String>,
    /// An article's Markdown, up to 20,000 characters.
    body: Option<String>,
    /// `en` or `es`.
    language: String,
    /// About no code in particular (then it has none).
    #[graphql(default = false)]
    general: bool,
    /// What it is about; replaces the codes it had.
    #[graphql(default)]
    codes: Vec<EducationCode>,
}

#[derive(SimpleObject, Default)]
pub struct EducationResourcePayload {
    resource: Option<EducationResource>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ArchiveEducationResourceInput {
    id: ID,
}

refusable!(EducationResourcePayload);

#[derive(Default)]
pub struct EducationQuery;

#[Object]
impl EducationQuery {
    /// The practice's library by title (staff): active resources, archived ones too with
    /// `includeArchived`. Offset cursors, 20 a page by default, at most 100.
    async fn education_resources(
        &self,
        ctx: &Context<'_>,
        include_archived: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<EducationResource>> {
        let archived_too = include_archived.unwrap_or(false);
        query(
            after,
            None,
            first,
            None,
            |after: Option<usize>, _: Option<usize>, first, _| async move {
                let page = records::page_of(after, first);
                let rows = ctx
                    .run(
                        Need::to("education", "read"),
                        Access::Read,
                        async |tx, _| library::list(tx, archived_too, page).await,
                    )
                    .await?;
                Ok::<_, async_graphql::Error>(records::connection(
                    page,
                    records::shown(page, rows),
                    EducationResource::from,
                ))
            },
        )
        .await
    }

    /// One resource: any of the library for staff; an active one for patients and
    /// caregivers (an archived one is `NOT_FOUND`).
    async fn education_resource(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<EducationResource> {
        let id = global_id::parse(RESOURCE, "id", &id)?;
        let need = Need::to("education", "read").or_own("own_education");
        let found = ctx
            .run(need, Access::Read, async |tx, caller| {
                let model = if caller.is_patient() {
                    matching::open(tx, id).await?
                } else {
                    library::find(tx, id).await?
                };
                library::with_codes(tx, model).await
            })
            .await?;
        Ok(found.into())
    }

    /// "Learn more" for a chart: for each of `codes` (those of the problems, results and
    /// medications shown) that active resources are about, those resources in the chart's
    /// preferred language, else in English. An ICD-10-CM code also finds resources about
    /// the codes above it (`E11.9` finds `E11`). A malformed code finds nothing; at most 200
    /// codes. Audited as a read of the chart.
    async fn education_for(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        codes: Vec<EducationCode>,
    ) -> async_graphql::Result<Vec<EducationMatch>> {
        let patient = global_id::parse("Patient", "patientId", &patient_id)?;
        let asked: Vec<(String, String)> = codes.into_iter().map(|c| (c.system, c.code)).collect();
        let found = chart_access::read(ctx, patient, async |tx, opened| {
            matching::for_chart(tx, &opened.actor, &opened.chart, &asked).await
        })
        .await?;
        Ok(found
            .into_iter()
            .map(|m| EducationMatch {
                system: m.system,
                code: m.code,
                resources: m
                    .resources
                    .into_iter()
                    .map(EducationResource::card)
                    .collect(),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct EducationMutation;

#[Object]
impl EducationMutation {
    /// Adds a resource to the library, or changes one (practice admins). Refused with the
    /// field named: `TITLE_REQUIRED`, `TITLE_TOO_LONG`, `SUMMARY_REQUIRED`,
    /// `SUMMARY_TOO_LONG`, `INVALID_KIND`, `URL_REQUIRED`, `URL_NOT_HTTPS`, `BODY_REQUIRED`,
    /// `BODY_TOO_LONG`, `LANGUAGE_UNSUPPORTED`, `CODES_REQUIRED`, `GENERAL_WITH_CODES`,
    /// `TOO_MANY_CODES`, `INVALID_CODE_SYSTEM`, `INVALID_CODE` (the message names which
    /// code); nothing is saved when refused.
    async fn save_education_resource(
        &self,
        ctx: &Context<'_>,
        input: SaveEducationResourceInput,
    ) -> async_graphql::Result<EducationResourcePayload> {
        let id = global_id::parse_opt(RESOURCE, "id", input.id.as_ref())?;
        let draft = library::Draft {
            title: input.title,
            summary: input.summary,
            kind: input.kind,
            url: input.url,
            body: input.body,
            language: input.language,
            general: input.general,
            codes: input
                .codes
                .into_iter()
                .map(|c| (c.system, c.code))
                .collect(),
        };
        let outcome = ctx
            .mutate(Need::to("education", "manage"), async |tx, caller| {
                let user = caller.principal.user_id.as_uuid();
                library::save(tx, &caller.actor, user, id, &draft, Utc::now()).await
            })
            .await?;
        Ok(outcome.payload(|r| EducationResourcePayload {
            resource: Some(r.into()),
            user_errors: Vec::new(),
        }))
    }

    /// Archives a resource (practice admins): no longer shown beside records nor sent;
    /// messages that sent it still show it.
    async fn archive_education_resource(
        &self,
        ctx: &Context<'_>,
        input: ArchiveEducationResourceInput,
    ) -> async_graphql::Result<EducationResourcePayload> {
        let id = global_id::parse(RESOURCE, "id", &input.id)?;
        let outcome = ctx
            .mutate(Need::to("education", "manage"), async |tx, caller| {
                let user = caller.principal.user_id.as_uuid();
                library::archive(tx, &caller.actor, user, id, Utc::now()).await
            })
            .await?;
        Ok(outcome.payload(|r| EducationResourcePayload {
            resource: Some(r.into()),
            user_errors: Vec::new(),
        }))
    }
}
