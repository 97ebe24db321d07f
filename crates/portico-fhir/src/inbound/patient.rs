//! Patient: who the chart belongs to, matched to portal accounts by identifiers and
//! demographics.

use fhir_model::r4b::{resources::Patient, types::HumanName};
use portico_core::ehr::model::{EhrIdentifier, EhrPatient, Inbound};
use serde_json::Value;

use super::choice;
use super::fields::{MISSING, NAME_MAX, Reject, date, required, text};

/// A string of the raw resource (already checked by the typed read), trimmed and capped.
fn raw_text(value: Option<&Value>, max: usize) -> Result<Option<String>, Reject> {
    text(
        value.and_then(Value::as_str).map(str::to_owned).as_ref(),
        max,
    )
}

/// Maps a Patient. The typed read checked its shape; which name, address, phone, e-mail and
/// identifiers count is chosen on the raw JSON (see `choice`), as the write-back chooses.
pub fn map(patient: &Patient, raw: &Value) -> Result<Inbound, Reject> {
    let today = choice::today();
    let identifiers = choice::identifiers(raw, &today)
        .filter_map(|i| match raw_text(i.get("value"), NAME_MAX) {
            Ok(Some(value)) => {
                Some(
                    raw_text(i.get("system"), NAME_MAX).map(|system| EhrIdentifier {
                        system,
                        value,
                        type_code: choice::identifier_type(i).map(str::to_owned),
                    }),
                )
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A record without a current name still maps: it can be matched by identifier and
    // fixed in the EHR.
    let chosen = choice::name(raw, &today).and_then(|i| entry(raw, "name", i));
    let (given_name, family_name) = match chosen {
        Some(name) => raw_name(name)?,
        None => (String::new(), String::new()),
    };
    let given_names = match chosen {
        Some(name) => raw_given_names(name)?,
        None => Vec::new(),
    };
    let birth_date = date(required(patient.birth_date.as_ref())?).ok_or(MISSING)?;
    let gender = patient
        .gender
        .as_ref()
        .map_or("unknown", AsRef::as_ref)
        .to_owned();
    let telecom = |system: &str| {
        let found = choice::telecom(raw, system, &today).and_then(|i| entry(raw, "telecom", i));
        raw_text(found.and_then(|t| t.get("value")), NAME_MAX)
    };
    let address = choice::address(raw, &today).and_then(|i| entry(raw, "address", i));
    let part = |key: &str| raw_text(address.and_then(|a| a.get(key)), NAME_MAX);
    Ok(Inbound::Patient(EhrPatient {
        identifiers,
        given_name,
        given_names,
        family_name,
        birth_date,
        gender,
        email: telecom("email")?,
        phone: telecom("phone")?,
        address_line: raw_text(address_line(address).as_ref(), NAME_MAX)?,
        city: part("city")?,
        region: part("state")?,
        postal_code: part("postalCode")?,
        country: part("country")?,
        active: patient.active != Some(false),
    }))
}

/// Entry `index` of the list `key`.
pub(crate) fn entry<'a>(raw: &'a Value, key: &str, index: usize) -> Option<&'a Value> {
    raw.get(key)
        .and_then(Value::as_array)
        .and_then(|l| l.get(index))
}

/// An address's lines as the chart keeps them: one line, joined by commas.
pub(crate) fn address_line(address: Option<&Value>) -> Option<Value> {
    let line = address?
        .get("line")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    (!line.is_empty()).then_some(Value::String(line))
}

/// The given names of a raw HumanName one by one (at most ten; blank ones dropped), as
/// the export writes them back.
fn raw_given_names(name: &Value) -> Result<Vec<String>, Reject> {
    name.get("given")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .take(10)
        .filter_map(|g| text(Some(&g.to_owned()), NAME_MAX).transpose())
        .collect()
}

/// Given names joined by a space, and the family name, of a raw HumanName.
fn raw_name(name: &Value) -> Result<(String, String), Reject> {
    let given = name
        .get("given")
        .and_then(Value::as_array)
        .map(|g| {
            g.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let given = text(Some(&given), NAME_MAX)?.unwrap_or_default();
    let family = raw_text(name.get("family"), NAME_MAX)?.unwrap_or_default();
    Ok((given, family))
}

/// The `official` name, else the first.
pub fn official<'a>(names: &[&'a HumanName]) -> Option<&'a HumanName> {
    names
        .iter()
        .find(|n| n.r#use.as_ref().is_some_and(|u| u.as_ref() == "official"))
        .or_else(|| names.first())
        .copied()
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
