//! The one save path of the records kept in a patient's chart: the chart a resource belongs
//! to, its references checked against that chart, and its row and link written with the
//! page.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Applied, EHR_SOURCE, Page, Resource, ResourceKind, Row, invalid};
use crate::{CoreResult, TenantTx, ehr::model::Statuses};

/// A resource of one patient's chart, once that patient is matched.
pub(super) struct Chart<'a> {
    pub(super) resource: &'a Resource<'a>,
    pub(super) patient_id: Uuid,
    /// The record's id: the one it is linked to, else a new one.
    pub(super) id: Uuid,
    pub(super) now: DateTime<Utc>,
}

impl<'a> Chart<'a> {
    /// The chart of the EHR patient `patient`; `None` while that patient is not matched (the
    /// resource waits).
    pub(super) async fn of(
        tx: &TenantTx,
        page: &mut Page,
        resource: &'a Resource<'a>,
        patient: &str,
    ) -> CoreResult<Option<Self>> {
        let Some(patient_id) = page.local(tx, ResourceKind::Patient, patient).await? else {
            return Ok(None);
        };
        // A record the EHR moved to another chart is refused rather than moved.
        if let Some(link) = &resource.link
            && link.patient_id.is_some_and(|p| p != patient_id)
        {
            return Err(invalid("EHR_CROSS_PATIENT_REFERENCE"));
        }
        Ok(Some(Self {
            resource,
            patient_id,
            id: resource.existing().unwrap_or_else(Uuid::now_v7),
            now: Utc::now(),
        }))
    }

    /// A record's `source`: it came from the EHR.
    pub(super) fn source(&self) -> Option<String> {
        Some(EHR_SOURCE.to_owned())
    }

    /// A record's `external_id`: the resource's FHIR id.
    pub(super) fn external_id(&self) -> Option<String> {
        Some(self.resource.fhir_id.to_owned())
    }

    /// The local id of a record `fhir_id` refers to, which must be in this chart.
    pub(super) async fn reference(
        &self,
        tx: &TenantTx,
        page: &mut Page,
        kind: ResourceKind,
        fhir_id: Option<&str>,
    ) -> CoreResult<Option<Uuid>> {
        let Some(fhir_id) = fhir_id else {
            return Ok(None);
        };
        match page.link(tx, kind, fhir_id).await? {
            Some(link) if link.patient_id == Some(self.patient_id) => Ok(Some(link.local_id)),
            Some(_) => Err(invalid("EHR_CROSS_PATIENT_REFERENCE")),
            None => Ok(None),
        }
    }

    /// Links the resource to its record in this chart. `removed`: the EHR took the record
    /// out (`entered-in-error`).
    pub(super) async fn link(
        &self,
        tx: &TenantTx,
        page: &mut Page,
        removed: bool,
    ) -> CoreResult<Applied> {
        self.resource
            .link_to(tx, page, self.id, Some(self.patient_id))
            .await?;
        Ok(Applied::written(removed))
    }

    /// Saves a record's row with the page, and links it. The row carries its creation time
    /// and what only a new record takes: the page's write keeps those of a record already
    /// there.
    pub(super) async fn save(
        &self,
        tx: &TenantTx,
        page: &mut Page,
        row: Row,
        removed: bool,
    ) -> CoreResult<Applied> {
        page.save(self.id, row);
        self.link(tx, page, removed).await
    }
}

/// The FHIR clinical and verification status as received, each checked against its code
/// system.
pub(super) fn fhir_statuses(
    statuses: &Statuses,
    clinical: &[&str],
    verification: &[&str],
) -> CoreResult<(Option<String>, Option<String>)> {
    let known = |value: &Option<String>, allowed: &[&str]| match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(invalid("EHR_UNSUPPORTED_STATUS")),
        _ => Ok(value.clone()),
    };
    Ok((
        known(&statuses.clinical, clinical)?,
        known(&statuses.verification, verification)?,
    ))
}
