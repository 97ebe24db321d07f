//! Patient: who the chart belongs to, matched to portal accounts by identifiers and
//! demographics.

use fhir_model::r4b::{resources::Patient, types::HumanName};
use portico_core::ehr::model::{EhrIdentifier, EhrPatient, Inbound};

use super::fields::{MISSING, NAME_MAX, Reject, date, required, text};

pub fn map(patient: &Patient) -> Result<Inbound, Reject> {
    let identifiers = patient
        .identifier
        .iter()
        .flatten()
        .filter_map(|i| match text(i.value.as_ref(), NAME_MAX) {
            Ok(Some(value)) => Some(
                text(i.system.as_ref(), NAME_MAX).map(|system| EhrIdentifier { system, value }),
            ),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<&HumanName> = patient.name.iter().flatten().collect();
    // A record without a name still maps: it can be matched by identifier and fixed in the EHR.
    let (given_name, family_name) = match official(&names) {
        Some(name) => split_name(name)?,
        None => (String::new(), String::new()),
    };
    let given_names = match official(&names) {
        Some(name) => given_names(name)?,
        None => Vec::new(),
    };
    let birth_date = date(required(patient.birth_date.as_ref())?).ok_or(MISSING)?;
    let gender = patient
        .gender
        .as_ref()
        .map_or("unknown", AsRef::as_ref)
        .to_owned();
    let telecom = |system: &str| {
        let found =
            patient.telecom.iter().flatten().find(|t| {
                t.system.as_ref().is_some_and(|s| s.as_ref() == system) && t.value.is_some()
            });
        text(found.and_then(|t| t.value.as_ref()), NAME_MAX)
    };
    let address = patient.address.iter().flatten().next();
    let line = address
        .map(|a| {
            a.line
                .iter()
                .flatten()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|l| !l.is_empty());
    Ok(Inbound::Patient(EhrPatient {
        identifiers,
        given_name,
        given_names,
        family_name,
        birth_date,
        gender,
        email: telecom("email")?,
        phone: telecom("phone")?,
        address_line: text(line.as_ref(), NAME_MAX)?,
        city: text(address.and_then(|a| a.city.as_ref()), NAME_MAX)?,
        region: text(address.and_then(|a| a.state.as_ref()), NAME_MAX)?,
        postal_code: text(address.and_then(|a| a.postal_code.as_ref()), NAME_MAX)?,
        country: text(address.and_then(|a| a.country.as_ref()), NAME_MAX)?,
        active: patient.active != Some(false),
    }))
}

/// The `official` name, else the first.
pub fn official<'a>(names: &[&'a HumanName]) -> Option<&'a HumanName> {
    names
        .iter()
        .find(|n| n.r#use.as_ref().is_some_and(|u| u.as_ref() == "official"))
        .or_else(|| names.first())
        .copied()
}

/// The given names one by one (at most ten; blank ones dropped).
pub fn given_names(name: &HumanName) -> Result<Vec<String>, Reject> {
    name.given
        .iter()
        .flatten()
        .take(10)
        .filter_map(|g| text(Some(g), NAME_MAX).transpose())
        .collect()
}

/// Given names joined by a space, and the family name (prefixes and suffixes are not kept).
pub fn split_name(name: &HumanName) -> Result<(String, String), Reject> {
    let given = name
        .given
        .iter()
        .flatten()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let given = text(Some(&given), NAME_MAX)?.unwrap_or_default();
    let family = text(name.family.as_ref(), NAME_MAX)?.unwrap_or_default();
    Ok((given, family))
}
