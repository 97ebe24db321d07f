//! Matching an EHR patient to a Portico chart: by the id map first, then by an identifier
//! (the MRN), then by name and birth date. One clear match is linked; several go to the
//! staff review queue and the patient's records wait; none creates a chart (without a
//! portal account: the practice invites the patient as usual). A linked chart takes the
//! EHR's demographics, which is the record of truth for them.

use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    ingest::Applied,
    links,
    model::{EhrPatient, ResourceKind},
    reviews,
};
use crate::{
    CoreResult, TenantTx,
    audit::Actor,
    entities::{ehr_link, patient},
    patients::{self, NewPatient},
};

/// Candidates for an EHR patient not linked yet, best rule first.
pub async fn candidates(tx: &TenantTx, p: &EhrPatient) -> CoreResult<Vec<Uuid>> {
    let values: Vec<&str> = p.identifiers.iter().map(|i| i.value.as_str()).collect();
    if !values.is_empty() {
        let by_mrn = unlinked(
            tx,
            tx.find::<patient::Entity>()
                .filter(patient::Column::Mrn.is_in(values))
                .all(tx.conn())
                .await?,
        )
        .await?;
        if !by_mrn.is_empty() {
            return Ok(by_mrn);
        }
    }
    let same_birth = tx
        .find::<patient::Entity>()
        .filter(patient::Column::BirthDate.eq(p.birth_date))
        .all(tx.conn())
        .await?;
    let by_name = same_birth
        .into_iter()
        .filter(|c| {
            c.given_name
                .trim()
                .eq_ignore_ascii_case(p.given_name.trim())
                && c.family_name
                    .trim()
                    .eq_ignore_ascii_case(p.family_name.trim())
        })
        .collect();
    unlinked(tx, by_name).await
}

/// Charts not linked to another EHR patient already.
async fn unlinked(tx: &TenantTx, found: Vec<patient::Model>) -> CoreResult<Vec<Uuid>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    let linked: Vec<Uuid> = tx
        .find::<ehr_link::Entity>()
        .filter(ehr_link::Column::ResourceType.eq(ResourceKind::Patient.as_str()))
        .filter(ehr_link::Column::LocalId.is_in(ids.clone()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|l| l.local_id)
        .collect();
    Ok(ids.into_iter().filter(|id| !linked.contains(id)).collect())
}

pub(super) async fn apply(
    tx: &TenantTx,
    fhir_id: &str,
    version: Option<&str>,
    p: &EhrPatient,
) -> CoreResult<Applied> {
    let local = match links::local(tx, ResourceKind::Patient, fhir_id).await? {
        Some(local) => local,
        None => {
            if reviews::open_for(tx, reviews::PATIENT_MATCH, ResourceKind::Patient, fhir_id)
                .await?
                .is_some()
            {
                return Ok(Applied::Waiting);
            }
            let found = if reviews::decided_new(tx, fhir_id).await? {
                Vec::new()
            } else {
                candidates(tx, p).await?
            };
            match found.as_slice() {
                [one] => *one,
                [] if !p.active => return Ok(Applied::Unchanged),
                [] => create(tx, p).await?,
                many => {
                    reviews::open_match(tx, fhir_id, many).await?;
                    return Ok(Applied::Waiting);
                }
            }
        }
    };
    // A contact change made in Portico and not yet written back wins until it is: taking
    // the EHR's record now would undo it, and its version check would then pass over the
    // EHR's own change instead of flagging the conflict.
    if super::writeback::demographics_pending(tx, local).await? {
        return Ok(Applied::Unchanged);
    }
    update(tx, local, p).await?;
    links::set(
        tx,
        ResourceKind::Patient,
        fhir_id,
        local,
        version,
        Some(local),
    )
    .await?;
    Ok(Applied::Changed)
}

/// A new chart for an EHR patient no chart matches.
pub(super) async fn create(tx: &TenantTx, p: &EhrPatient) -> CoreResult<Uuid> {
    let mrn = p.identifiers.first().map(|i| i.value.clone());
    let created = patients::create(
        tx,
        &Actor::system(),
        NewPatient {
            mrn,
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            birth_date: Some(p.birth_date),
            gender: p.gender.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
        },
    )
    .await?;
    Ok(created.id)
}

/// Takes the EHR's demographics into a linked chart. An address the EHR changed clears its
/// bounce mark, as a patient's own change does.
pub(super) async fn update(tx: &TenantTx, local: Uuid, p: &EhrPatient) -> CoreResult<()> {
    let Some(found) = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(local))
        .one(tx.conn())
        .await?
    else {
        return Ok(());
    };
    let mut active: patient::ActiveModel = found.clone().into();
    active.given_name = Set(crate::records::required("givenName", &p.given_name, 100)?);
    active.family_name = Set(crate::records::required("familyName", &p.family_name, 100)?);
    active.birth_date = Set(p.birth_date);
    if !patients::GENDERS.contains(&p.gender.as_str()) {
        return Err(crate::CoreError::invalid(
            "gender",
            "EHR_UNSUPPORTED_GENDER",
            "not a gender Portico keeps",
        ));
    }
    active.gender = Set(p.gender.clone());
    let email = p.email.as_ref().map(|e| e.trim().to_ascii_lowercase());
    if email.is_some() && email != found.email {
        active.email = Set(email);
        active.email_bounced_at = Set(None);
    }
    if p.phone.is_some() && p.phone != found.phone {
        active.phone = Set(p.phone.clone());
        active.phone_bounced_at = Set(None);
    }
    for (value, column) in [
        (&p.address_line, &mut active.address_line),
        (&p.city, &mut active.city),
        (&p.region, &mut active.region),
        (&p.postal_code, &mut active.postal_code),
        (&p.country, &mut active.country),
    ] {
        if value.is_some() {
            *column = Set(value.clone());
        }
    }
    active.updated_at = Set(chrono::Utc::now());
    active.update(tx.conn()).await?;
    Ok(())
}
