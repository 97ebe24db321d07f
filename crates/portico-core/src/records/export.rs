//! "Download my record": the whole chart as a FHIR R4 Bundle of type `transaction`. Every
//! entry has a `urn:uuid:` full URL and a `POST` request, and resources refer to each other
//! by those URLs, so a FHIR server accepts the bundle as one transaction and links the
//! records it creates. The resources are the REST API's ([`super::fhir`]). Records entered
//! in error are left out.

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    ENTERED_IN_ERROR, Page, audit,
    fhir::{self, Refs},
    visible,
};
use crate::{
    CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{
        allergy, condition, diagnostic_report, encounter, immunization, medication_request,
        observation,
    },
};

const URN: Refs = Refs::Urn;

fn entry(id: Uuid, resource: Value) -> Value {
    let kind = resource["resourceType"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    json!({
        "fullUrl": format!("urn:uuid:{id}"),
        "resource": resource,
        "request": { "method": "POST", "url": kind },
    })
}

/// The bundle, audited as `chart.export`.
pub async fn bundle(tx: &TenantTx, actor: &Actor, chart: &OpenChart) -> CoreResult<Value> {
    let contacts = super::emergency::contacts(tx, chart).await?;
    let encounters = visible::<encounter::Entity>(tx, chart, Page::ALL).await?;
    let reports = visible::<diagnostic_report::Entity>(tx, chart, Page::ALL).await?;
    let observations = visible::<observation::Entity>(tx, chart, Page::ALL).await?;
    let medications = visible::<medication_request::Entity>(tx, chart, Page::ALL).await?;
    let allergies = visible::<allergy::Entity>(tx, chart, Page::ALL).await?;
    let conditions = visible::<condition::Entity>(tx, chart, Page::ALL).await?;
    let immunizations = visible::<immunization::Entity>(tx, chart, Page::ALL).await?;

    // Records entered in error are not exported, so references to them are dropped too.
    let hidden = |status: &str| status == ENTERED_IN_ERROR;
    let encounter_ids: Vec<Uuid> = encounters
        .iter()
        .filter(|e| !hidden(&e.status))
        .map(|e| e.id)
        .collect();
    let known_encounter = |id: Option<Uuid>| {
        id.filter(|i| encounter_ids.contains(i))
            .map(|i| URN.to("Encounter", i))
    };

    let p = &chart.chart;
    let mut entries = vec![entry(p.id, fhir::patient(p, &contacts))];
    for e in encounters.iter().filter(|e| !hidden(&e.status)) {
        entries.push(entry(e.id, fhir::encounter(e, URN)));
        if let Some(summary) = &e.summary {
            entries.push(entry(Uuid::now_v7(), fhir::summary(e, summary, URN)));
        }
    }
    let live_observations: Vec<&observation::Model> =
        observations.iter().filter(|o| !hidden(&o.status)).collect();
    for r in reports.iter().filter(|r| !hidden(&r.status)) {
        let results: Vec<Uuid> = live_observations
            .iter()
            .filter(|o| o.report_id == Some(r.id))
            .map(|o| o.id)
            .collect();
        let resource = fhir::report(r, known_encounter(r.encounter_id), &results, URN);
        entries.push(entry(r.id, resource));
    }
    for o in &live_observations {
        let resource = fhir::observation(o, known_encounter(o.encounter_id), URN);
        entries.push(entry(o.id, resource));
    }
    for m in medications.iter().filter(|m| !hidden(&m.status)) {
        entries.push(entry(m.id, fhir::medication(m, URN)));
    }
    for a in allergies.iter().filter(|a| !hidden(&a.status)) {
        entries.push(entry(a.id, fhir::allergy(a, URN)));
    }
    for c in conditions.iter().filter(|c| !hidden(&c.status)) {
        entries.push(entry(c.id, fhir::condition(c, URN)));
    }
    for i in immunizations.iter().filter(|i| !hidden(&i.status)) {
        entries.push(entry(i.id, fhir::immunization(i, URN)));
    }
    audit(tx, actor, chart, "chart.export", "Bundle", Some(chart.id())).await?;
    Ok(fhir::compact(json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "timestamp": fhir::instant(Utc::now()),
        "entry": entries,
    })))
}
