//! Matching an EHR patient to a Portico chart: by the id map first, then by an identifier
//! equal to a chart's MRN (with the birth date agreeing), then by name and birth date (with
//! an email, phone or postal code agreeing). One sure match is linked; anything less sure
//! goes to the staff review queue and the patient's records wait; none creates a chart (without a
//! portal account: the practice invites the patient as usual), unless charts of the same
//! name and birth date are linked to other EHR patients already: a second registration of
//! one person is reviewed by staff, never made a second chart silently. A linked chart takes the
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

/// How an EHR patient matches Portico's charts.
#[derive(Debug, PartialEq, Eq)]
pub enum Candidates {
    /// One chart, matched well enough to link without a person.
    Sure(Uuid),
    /// Charts it may be: staff decide.
    Unsure(Vec<Uuid>),
    /// No chart free to take it, but charts of the same name and birth date are linked to
    /// other EHR patients already: a second registration of the same person, perhaps.
    /// Staff decide before a second chart is made.
    Duplicate(Vec<Uuid>),
    None,
}

/// The practice's MRN system, for EHRs that do not type their MRN identifier. No
/// connection sets one yet (`EhrPatient::mrn` takes it once one does): an EHR that types
/// no identifier gives charts no MRN, and is matched by its untyped identifiers.
const MRN_SYSTEM: Option<&str> = None;

/// The charts an EHR patient (not linked yet) may be. An identifier equal to a chart's MRN
/// links only when the birth date agrees too (an insurance or other number may collide
/// with an MRN); name and birth date alone link only when an email, phone or postal code
/// agrees as well. Anything less certain goes to staff.
pub async fn candidates(tx: &TenantTx, p: &EhrPatient) -> CoreResult<Candidates> {
    let values = p.mrn_values(MRN_SYSTEM);
    if !values.is_empty() {
        let found = tx
            .find::<patient::Entity>()
            .filter(patient::Column::Mrn.is_in(values))
            .all(tx.conn())
            .await?;
        let by_mrn = unlinked(tx, found).await?;
        match by_mrn.as_slice() {
            [] => {}
            [one] if one.birth_date == p.birth_date => return Ok(Candidates::Sure(one.id)),
            some => return Ok(Candidates::Unsure(some.iter().map(|c| c.id).collect())),
        }
    }
    let same_birth = tx
        .find::<patient::Entity>()
        .filter(patient::Column::BirthDate.eq(p.birth_date))
        .all(tx.conn())
        .await?;
    let same_name: Vec<patient::Model> = same_birth
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
    let linked: Vec<Uuid> = same_name.iter().map(|c| c.id).collect();
    let by_name = unlinked(tx, same_name).await?;
    Ok(match by_name.as_slice() {
        [] if linked.is_empty() => Candidates::None,
        [] => Candidates::Duplicate(linked),
        [one] if contact_agrees(one, p) => Candidates::Sure(one.id),
        some => Candidates::Unsure(some.iter().map(|c| c.id).collect()),
    })
}

fn contact_agrees(chart: &patient::Model, p: &EhrPatient) -> bool {
    fn same(a: &Option<String>, b: &Option<String>, norm: fn(&str) -> String) -> bool {
        matches!((a, b), (Some(a), Some(b)) if !norm(a).is_empty() && norm(a) == norm(b))
    }
    let lower = |v: &str| v.trim().to_ascii_lowercase();
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    same(&chart.email, &p.email, lower)
        || same(&chart.phone, &p.phone, digits)
        || same(&chart.postal_code, &p.postal_code, lower)
}

/// Charts not linked to another EHR patient already.
async fn unlinked(tx: &TenantTx, found: Vec<patient::Model>) -> CoreResult<Vec<patient::Model>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    let linked: Vec<Uuid> = tx
        .find::<ehr_link::Entity>()
        .filter(ehr_link::Column::ResourceType.eq(ResourceKind::Patient.as_str()))
        .filter(ehr_link::Column::LocalId.is_in(ids))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|l| l.local_id)
        .collect();
    Ok(found
        .into_iter()
        .filter(|p| !linked.contains(&p.id))
        .collect())
}

pub(super) async fn apply(
    tx: &TenantTx,
    fhir_id: &str,
    version: Option<&str>,
    p: &EhrPatient,
) -> CoreResult<Applied> {
    let link = links::by_fhir(tx, ResourceKind::Patient, fhir_id).await?;
    let local = match &link {
        Some(link) => link.local_id,
        None => {
            if !p.active && reviews::close_merged(tx, fhir_id).await? {
                return Ok(Applied::Unchanged);
            }
            for kind in [reviews::PATIENT_MATCH, reviews::POSSIBLE_DUPLICATE] {
                if reviews::open_for(tx, kind, ResourceKind::Patient, fhir_id)
                    .await?
                    .is_some()
                {
                    return Ok(Applied::Waiting);
                }
            }
            let found = if reviews::decided_new(tx, fhir_id).await? {
                Candidates::None
            } else {
                candidates(tx, p).await?
            };
            match found {
                Candidates::Sure(one) => one,
                // An inactive record (one the EHR merged into another, say) makes no chart.
                Candidates::None | Candidates::Duplicate(_) if !p.active => {
                    return Ok(Applied::Unchanged);
                }
                Candidates::None => create(tx, p).await?,
                Candidates::Unsure(some) => {
                    reviews::open_match(tx, fhir_id, &some).await?;
                    return Ok(Applied::Waiting);
                }
                Candidates::Duplicate(charts) => {
                    reviews::open_duplicate(tx, fhir_id, &charts).await?;
                    return Ok(Applied::Waiting);
                }
            }
        }
    };
    // A contact change made in Portico and not yet written back wins until it is: taking
    // the EHR's record now would undo it, and its version check would then pass over the
    // EHR's own change instead of flagging the conflict. A chart staff just linked has no
    // version yet: the version is taken (the waiting write is checked against it), the
    // details are not.
    if super::writeback::demographics_pending(tx, local).await? {
        if link.as_ref().is_some_and(|l| l.version_id.is_none()) {
            links::set(
                tx,
                ResourceKind::Patient,
                fhir_id,
                local,
                version,
                Some(local),
            )
            .await?;
        }
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
    // The EHR's MRN (the identifier typed `MR`, or in the practice's MRN system) becomes
    // the chart's, unless a chart already has it (then the chart goes without; staff can
    // set one). No MRN rather than some other number.
    let mrn = match p.mrn(MRN_SYSTEM) {
        Some(id) => {
            let taken = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Mrn.eq(id.value.as_str()))
                .one(tx.conn())
                .await?
                .is_some();
            (!taken).then(|| id.value.clone())
        }
        None => None,
    };
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
    active.given_names = Set(crate::records::detail::write(&p.given_names)?);
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
    let updated = active.update(tx.conn()).await?;
    crate::patient_search::index_names(tx, &updated).await?;
    Ok(())
}
