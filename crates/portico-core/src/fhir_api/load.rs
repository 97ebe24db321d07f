//! A chart's resources of one type, built as the API serves them: with their ids, `Type/id`
//! references, and what their Provenance says. Records hidden from the viewer are left out
//! ([`records::visible`]: entered in error, for a patient), and so are references to them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use uuid::Uuid;

use super::types::ResourceType;
use crate::{
    CoreResult, TenantTx,
    chart_access::OpenChart,
    entities::{
        allergy, appointment, appointment_type, condition, diagnostic_report, encounter,
        home_reading, immunization, location, medication_request, observation, provider,
    },
    records::{
        self, PORTAL_SOURCE, Page,
        fhir::{self, Agent, Refs},
    },
};

const REST: Refs = Refs::Rest;

/// Who a resource's Provenance names.
#[derive(Clone, Copy, Debug)]
pub(super) enum Origin {
    /// The practice: entered in Portico (`from_ehr` false) or received from its EHR.
    Practice { from_ehr: bool },
    /// The patient, who recorded it at home.
    Patient,
}

/// One resource as served.
#[derive(Clone, Debug)]
pub(super) struct Served {
    pub id: Uuid,
    pub resource: Value,
    pub recorded: DateTime<Utc>,
    pub origin: Origin,
}

impl Served {
    fn new(id: Uuid, mut resource: Value, recorded: DateTime<Utc>, origin: Origin) -> Self {
        resource["id"] = Value::String(id.to_string());
        Self {
            id,
            resource: fhir::compact(resource),
            recorded,
            origin,
        }
    }

    /// Its Provenance, naming `practice`.
    pub fn provenance(&self, ty: ResourceType, practice: &str) -> Value {
        let agent = match self.origin {
            Origin::Practice { from_ehr } => Agent::Practice {
                name: practice,
                from_ehr,
            },
            Origin::Patient => Agent::Patient(self.resource["subject"].clone()),
        };
        fhir::provenance(ty.as_str(), self.id, self.recorded, agent)
    }
}

fn origin(source: Option<&str>) -> Origin {
    Origin::Practice {
        from_ehr: source.is_some_and(|s| s != PORTAL_SOURCE),
    }
}

/// The chart's resources of type `ty`, newest first.
pub(super) async fn chart_resources(
    tx: &TenantTx,
    chart: &OpenChart,
    ty: ResourceType,
    sees: super::Sees,
) -> CoreResult<Vec<Served>> {
    Ok(match ty {
        ResourceType::Patient => {
            let contacts = records::emergency::contacts(tx, chart).await?;
            let p = &chart.chart;
            vec![Served::new(
                p.id,
                fhir::patient(p, &contacts),
                p.updated_at,
                origin(None),
            )]
        }
        ResourceType::Encounter => visible::<encounter::Entity>(tx, chart)
            .await?
            .iter()
            .map(|e| {
                let r = fhir::encounter(e, REST);
                Served::new(e.id, r, e.updated_at, origin(e.source.as_deref()))
            })
            .collect(),
        ResourceType::DocumentReference => visible::<encounter::Entity>(tx, chart)
            .await?
            .iter()
            .filter_map(|e| {
                let summary = e.summary.as_deref()?;
                let r = fhir::summary(e, summary, REST);
                Some(Served::new(
                    e.id,
                    r,
                    e.updated_at,
                    origin(e.source.as_deref()),
                ))
            })
            .collect(),
        ResourceType::Observation => {
            let known = encounter_ids(tx, chart).await?;
            let mut out: Vec<Served> = visible::<observation::Entity>(tx, chart)
                .await?
                .iter()
                .map(|o| {
                    let r = fhir::observation(o, encounter_ref(&known, o.encounter_id), REST);
                    Served::new(o.id, r, o.updated_at, origin(o.source.as_deref()))
                })
                .collect();
            if sees.home_readings {
                out.extend(readings(tx, chart).await?);
            }
            out.sort_by(|a, b| effective(&b.resource).cmp(effective(&a.resource)));
            out
        }
        ResourceType::DiagnosticReport => {
            let known = encounter_ids(tx, chart).await?;
            let results: Vec<(Uuid, Option<Uuid>)> = visible::<observation::Entity>(tx, chart)
                .await?
                .iter()
                .map(|o| (o.id, o.report_id))
                .collect();
            visible::<diagnostic_report::Entity>(tx, chart)
                .await?
                .iter()
                .map(|r| {
                    let mine: Vec<Uuid> = results
                        .iter()
                        .filter(|(_, report)| *report == Some(r.id))
                        .map(|(id, _)| *id)
                        .collect();
                    let body = fhir::report(r, encounter_ref(&known, r.encounter_id), &mine, REST);
                    Served::new(r.id, body, r.updated_at, origin(r.source.as_deref()))
                })
                .collect()
        }
        ResourceType::MedicationRequest => visible::<medication_request::Entity>(tx, chart)
            .await?
            .iter()
            .map(|m| {
                let r = fhir::medication(m, REST);
                Served::new(m.id, r, m.updated_at, origin(m.source.as_deref()))
            })
            .collect(),
        ResourceType::AllergyIntolerance => visible::<allergy::Entity>(tx, chart)
            .await?
            .iter()
            .map(|a| {
                let r = fhir::allergy(a, REST);
                Served::new(a.id, r, a.updated_at, origin(a.source.as_deref()))
            })
            .collect(),
        ResourceType::Condition => visible::<condition::Entity>(tx, chart)
            .await?
            .iter()
            .map(|c| {
                let r = fhir::condition(c, REST);
                Served::new(c.id, r, c.updated_at, origin(c.source.as_deref()))
            })
            .collect(),
        ResourceType::Immunization => visible::<immunization::Entity>(tx, chart)
            .await?
            .iter()
            .map(|i| {
                let r = fhir::immunization(i, REST);
                Served::new(i.id, r, i.updated_at, origin(i.source.as_deref()))
            })
            .collect(),
        ResourceType::Appointment if sees.appointments => appointments(tx, chart).await?,
        ResourceType::Appointment => Vec::new(),
        ResourceType::Provenance => Vec::new(),
    })
}

async fn visible<E: records::ChartRecord>(
    tx: &TenantTx,
    chart: &OpenChart,
) -> CoreResult<Vec<E::Model>> {
    records::visible::<E>(tx, chart, Page::ALL).await
}

/// The chart's encounters the viewer may see: references to others are left out.
async fn encounter_ids(tx: &TenantTx, chart: &OpenChart) -> CoreResult<HashSet<Uuid>> {
    Ok(visible::<encounter::Entity>(tx, chart)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

fn encounter_ref(known: &HashSet<Uuid>, id: Option<Uuid>) -> Option<Value> {
    id.filter(|i| known.contains(i))
        .map(|i| REST.to("Encounter", i))
}

fn effective(resource: &Value) -> &str {
    resource["effectiveDateTime"].as_str().unwrap_or_default()
}

/// The readings recorded at home, as patient-reported Observations.
async fn readings(tx: &TenantTx, chart: &OpenChart) -> CoreResult<Vec<Served>> {
    let rows = tx
        .find::<home_reading::Entity>()
        .filter(home_reading::Column::PatientId.eq(chart.id()))
        .order_by_desc(home_reading::Column::TakenAt)
        .all(tx.conn())
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let (id, recorded, by_proxy) = (row.id, row.created_at, row.by_proxy);
            let write =
                crate::ehr::reading_observation::reading_write(row, chart.id().to_string())?;
            let body =
                crate::ehr::reading_observation::reading(&write, REST.to("Patient", chart.id()));
            let origin = if by_proxy {
                Origin::Practice { from_ehr: false }
            } else {
                Origin::Patient
            };
            Some(Served::new(id, body, recorded, origin))
        })
        .collect())
}

/// The chart's bookings, newest first, naming the clinician, place and kind of visit.
async fn appointments(tx: &TenantTx, chart: &OpenChart) -> CoreResult<Vec<Served>> {
    let rows = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::PatientId.eq(chart.id()))
        .order_by_desc(appointment::Column::StartsAt)
        .all(tx.conn())
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let providers = tx.find::<provider::Entity>().all(tx.conn()).await?;
    let locations = tx.find::<location::Entity>().all(tx.conn()).await?;
    let types = tx.find::<appointment_type::Entity>().all(tx.conn()).await?;
    Ok(rows
        .iter()
        .map(|a| {
            let provider = providers
                .iter()
                .find(|p| p.id == a.provider_id)
                .map(|p| p.display_name.as_str());
            let location = locations
                .iter()
                .find(|l| l.id == a.location_id)
                .map(|l| l.name.as_str());
            let kind = types
                .iter()
                .find(|t| t.id == a.appointment_type_id)
                .map_or("Visit", |t| t.name.as_str());
            let body = fhir::appointment(a, provider, location, kind, REST);
            Served::new(a.id, body, a.updated_at, origin(Some(PORTAL_SOURCE)))
        })
        .collect())
}
