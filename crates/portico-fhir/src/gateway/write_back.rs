//! Write-back: portal bookings, refill decisions and demographic changes sent to the EHR,
//! and what the EHR answered (the new id and version, or a conflict).

use portico_core::ehr::gateway::{EhrError, WriteOutcome};
use portico_core::ehr::model::OutboundWrite;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use url::Url;
use uuid::Uuid;

use super::{Condition, FhirGateway, checked_id};
use crate::http::{Answer, BAD_RESPONSE};
use crate::smart::join;
use crate::{inbound, outbound};

impl FhirGateway {
    /// Sends one write-back: creates with a conditional POST (`If-None-Exist` on Portico's
    /// identifier), updates by reading the resource, changing Portico's fields only and
    /// writing it back with `If-Match` on the version read.
    pub(super) async fn write_back(&self, write: &OutboundWrite) -> Result<WriteOutcome, EhrError> {
        match write {
            OutboundWrite::Appointment {
                local_id,
                fhir_id: Some(fhir_id),
                status,
                starts_at,
                ends_at,
                ..
            } => {
                let fhir_id = checked_id(fhir_id)?;
                let url = join(&self.base, &format!("Appointment/{fhir_id}"))?;
                let (mut appointment, current) =
                    self.read_current(&url, "Appointment", &fhir_id).await?;
                outbound::apply_appointment_update(
                    &mut appointment,
                    local_id,
                    status,
                    starts_at,
                    ends_at,
                );
                self.put_current(
                    &url,
                    &appointment,
                    current.as_deref(),
                    "Appointment",
                    &fhir_id,
                )
                .await
            }
            OutboundWrite::Appointment {
                local_id,
                fhir_id: None,
                status,
                starts_at,
                ends_at,
                patient,
                practitioner,
                location,
                type_name,
            } => {
                let body = outbound::appointment(
                    local_id,
                    status,
                    starts_at,
                    ends_at,
                    patient,
                    practitioner.as_deref(),
                    location.as_deref(),
                    type_name,
                );
                self.create("Appointment", &body, outbound::APPOINTMENT_SYSTEM, local_id)
                    .await
            }
            OutboundWrite::RefillApproved {
                local_id,
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
                    local_id,
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
                self.create(
                    "MedicationRequest",
                    &body,
                    outbound::REFILL_SYSTEM,
                    local_id,
                )
                .await
            }
            OutboundWrite::RefillDeclined {
                local_id,
                patient,
                prior,
                outcome,
                authored_at,
            } => {
                let body = outbound::refill_declined(
                    local_id,
                    patient,
                    prior.as_deref(),
                    outcome,
                    authored_at,
                );
                self.create("Task", &body, outbound::REFILL_SYSTEM, local_id)
                    .await
            }
            OutboundWrite::FormResponse {
                local_id,
                patient,
                response,
                by_proxy,
            } => {
                let body = outbound::form_response(local_id, patient, response, *by_proxy)
                    .ok_or_else(|| {
                        // Never retried: the stored answers will not change.
                        EhrError::new(
                            "EHR_FORM_UNREADABLE",
                            "the stored QuestionnaireResponse is not a JSON object",
                            false,
                        )
                    })?;
                self.create(
                    "QuestionnaireResponse",
                    &body,
                    outbound::FORM_RESPONSE_SYSTEM,
                    local_id,
                )
                .await
            }
            OutboundWrite::Reading(reading) => {
                let body = outbound::reading(reading);
                self.create(
                    "Observation",
                    &body,
                    outbound::READING_SYSTEM,
                    &reading.local_id,
                )
                .await
            }
            OutboundWrite::Demographics {
                fhir_id,
                expected_version,
                demographics,
            } => {
                let fhir_id = checked_id(fhir_id)?;
                let url = join(&self.base, &format!("Patient/{fhir_id}"))?;
                let (mut patient, current) = self.read_current(&url, "Patient", &fhir_id).await?;
                if let Some(expected) = expected_version
                    && current.as_ref() != Some(expected)
                {
                    return Ok(WriteOutcome::Conflict {
                        current_version: current,
                    });
                }
                outbound::apply_demographics(&mut patient, demographics);
                self.put_current(&url, &patient, current.as_deref(), "Patient", &fhir_id)
                    .await
            }
        }
    }

    /// A conditional create: a second POST with the same identifier finds the first resource
    /// (200) instead of making another (201); both are `Written` with its id.
    async fn create(
        &self,
        kind: &str,
        body: &Value,
        system: &str,
        local_id: &Uuid,
    ) -> Result<WriteOutcome, EhrError> {
        let url = join(&self.base, kind)?;
        let search = outbound::if_none_exist(system, local_id);
        let answer = self
            .authed(
                Method::POST,
                &url,
                kind,
                Some(body),
                Condition::IfNoneExist(&search),
            )
            .await?;
        Self::outcome(answer, kind, None)
    }

    /// The resource as the server has it now, and its version.
    async fn read_current(
        &self,
        url: &Url,
        kind: &str,
        fhir_id: &str,
    ) -> Result<(Value, Option<String>), EhrError> {
        let resource: Value = self
            .authed(Method::GET, url, kind, None, Condition::None)
            .await?
            .success()?
            .json()?;
        let not_it = || {
            EhrError::new(
                BAD_RESPONSE,
                format!("GET {kind}: not the {kind} asked for"),
                false,
            )
        };
        if resource.get("resourceType").and_then(Value::as_str) != Some(kind) {
            return Err(not_it());
        }
        if resource
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id != fhir_id)
        {
            return Err(not_it());
        }
        let version = resource
            .pointer("/meta/versionId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((resource, version))
    }

    /// Writes a resource read with `read_current` back, only over the version read.
    async fn put_current(
        &self,
        url: &Url,
        resource: &Value,
        version: Option<&str>,
        kind: &str,
        fhir_id: &str,
    ) -> Result<WriteOutcome, EhrError> {
        let condition = version.map_or(Condition::None, Condition::IfMatch);
        let answer = self
            .authed(Method::PUT, url, kind, Some(resource), condition)
            .await?;
        Self::outcome(answer, kind, Some(fhir_id))
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
        // 201 for a new resource, 200 for an update or for a conditional create that found
        // the resource an earlier attempt made: all are written.
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
