//! Write-back: portal bookings, refill decisions and demographic changes sent to the EHR,
//! and what the EHR answered (the new id and version, or a conflict).

use portico_core::ehr::gateway::{EhrError, WriteOutcome};
use portico_core::ehr::model::OutboundWrite;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{FhirGateway, checked_id};
use crate::http::{Answer, BAD_RESPONSE};
use crate::smart::join;
use crate::{inbound, outbound};

impl FhirGateway {
    /// Sends one write-back: creates with POST, updates with PUT (`If-Match` for patients).
    pub(super) async fn write_back(&self, write: &OutboundWrite) -> Result<WriteOutcome, EhrError> {
        match write {
            OutboundWrite::Appointment {
                local_id: _,
                fhir_id,
                status,
                starts_at,
                ends_at,
                patient,
                practitioner,
                location,
                type_name,
            } => {
                let fhir_id = fhir_id.as_deref().map(checked_id).transpose()?;
                let body = outbound::appointment(
                    fhir_id.as_deref(),
                    status,
                    starts_at,
                    ends_at,
                    patient,
                    practitioner.as_deref(),
                    location.as_deref(),
                    type_name,
                );
                let (method, url) = match &fhir_id {
                    Some(id) => (Method::PUT, join(&self.base, &format!("Appointment/{id}"))?),
                    None => (Method::POST, join(&self.base, "Appointment")?),
                };
                let answer = self.authed(method, &url, Some(&body), None).await?;
                Self::outcome(answer, "Appointment", fhir_id.as_deref())
            }
            OutboundWrite::RefillApproved {
                local_id: _,
                patient,
                prior,
                requester,
                medication,
                rxnorm_code,
                dosage,
                quantity,
                refills,
                authored_at,
            } => {
                let body = outbound::refill_approved(
                    patient,
                    prior.as_deref(),
                    requester.as_deref(),
                    medication,
                    rxnorm_code.as_deref(),
                    dosage,
                    *quantity,
                    *refills,
                    authored_at,
                );
                let url = join(&self.base, "MedicationRequest")?;
                let answer = self.authed(Method::POST, &url, Some(&body), None).await?;
                Self::outcome(answer, "MedicationRequest", None)
            }
            OutboundWrite::RefillDeclined {
                local_id: _,
                patient,
                prior,
                outcome,
                authored_at,
            } => {
                let body =
                    outbound::refill_declined(patient, prior.as_deref(), outcome, authored_at);
                let url = join(&self.base, "Task")?;
                let answer = self.authed(Method::POST, &url, Some(&body), None).await?;
                Self::outcome(answer, "Task", None)
            }
            OutboundWrite::Demographics {
                fhir_id,
                expected_version,
                demographics,
            } => {
                let fhir_id = checked_id(fhir_id)?;
                let url = join(&self.base, &format!("Patient/{fhir_id}"))?;
                let mut patient: Value = self
                    .authed(Method::GET, &url, None, None)
                    .await?
                    .success()?
                    .json()?;
                if patient.get("resourceType").and_then(Value::as_str) != Some("Patient") {
                    return Err(EhrError::new(
                        BAD_RESPONSE,
                        "GET /Patient: not a Patient",
                        false,
                    ));
                }
                let current = patient
                    .pointer("/meta/versionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let Some(expected) = expected_version
                    && current.as_ref() != Some(expected)
                {
                    return Ok(WriteOutcome::Conflict {
                        current_version: current,
                    });
                }
                outbound::apply_demographics(&mut patient, demographics);
                let answer = self
                    .authed(Method::PUT, &url, Some(&patient), current.as_deref())
                    .await?;
                Self::outcome(answer, "Patient", Some(&fhir_id))
            }
        }
    }

    /// The written resource's id and version, from the body or else the Location header.
    fn outcome(
        answer: Answer,
        kind: &str,
        known_id: Option<&str>,
    ) -> Result<WriteOutcome, EhrError> {
        if matches!(
            answer.status,
            StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED
        ) {
            return Ok(WriteOutcome::Conflict {
                current_version: None,
            });
        }
        let answer = answer.success()?;
        let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
        // Some servers answer a create with an OperationOutcome: only the resource itself counts.
        let from_body = body
            .as_ref()
            .filter(|b| b.get("resourceType").and_then(Value::as_str) == Some(kind))
            .and_then(|b| {
                let id = b.get("id").and_then(Value::as_str)?;
                let version = b.pointer("/meta/versionId").and_then(Value::as_str);
                Some((id.to_owned(), version.map(str::to_owned)))
            });
        let from_location = answer
            .location
            .as_deref()
            .and_then(|l| location_id(l, kind));
        let (fhir_id, version_id) = match (from_body, from_location) {
            (Some((id, v)), loc) => (id, v.or(loc.and_then(|(_, v)| v))),
            (None, Some((id, v))) => (id, v),
            (None, None) => match known_id {
                Some(id) => (id.to_owned(), None),
                None => {
                    return Err(EhrError::new(
                        BAD_RESPONSE,
                        format!(
                            "{}: {} without the new resource's id",
                            answer.label, answer.status
                        ),
                        false,
                    ));
                }
            },
        };
        Ok(WriteOutcome::Written {
            fhir_id,
            version_id,
        })
    }
}

/// `(id, version)` from a Location header `.../{kind}/{id}/_history/{version}`.
fn location_id(location: &str, kind: &str) -> Option<(String, Option<String>)> {
    let path = location.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.split('/').collect();
    let at = parts.iter().rposition(|p| *p == kind)?;
    let id = inbound::fields::id(parts.get(at + 1)?).ok()?;
    let version = match (parts.get(at + 2), parts.get(at + 3)) {
        (Some(&"_history"), Some(v)) => inbound::fields::id(v).ok(),
        _ => None,
    };
    Some((id, version))
}
