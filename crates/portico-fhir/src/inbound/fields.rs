//! The checks every mapping shares: length caps, required fields, references, codes and
//! dates. A failed check is a stable, PHI-free rejection code; the resource is skipped, the
//! rest of the page still syncs.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fhir_model::r4b::types::{CodeableConcept, Coding, Quantity, Reference};
use portico_core::ehr::model::ResourceKind;
use portico_core::records::detail;

/// Why a resource was not mapped (the `code` of `Change::Rejected`).
pub type Reject = &'static str;

pub const MALFORMED: Reject = "EHR_MALFORMED_RESOURCE";
pub const MISSING: Reject = "EHR_MISSING_FIELD";
pub const TOO_LONG: Reject = "EHR_VALUE_TOO_LONG";
pub const UNEXPECTED_TYPE: Reject = "EHR_UNEXPECTED_TYPE";
pub const BAD_REFERENCE: Reject = "EHR_BAD_REFERENCE";
pub const UNSUPPORTED_STATUS: Reject = "EHR_UNSUPPORTED_STATUS";
/// A coded value outside what the chart knows (an encounter class, for one).
pub const UNSUPPORTED_CODE: Reject = "EHR_UNSUPPORTED_CODE";
/// A result value Portico cannot show faithfully (a range, a ratio, a waveform...).
pub const UNSUPPORTED_VALUE: Reject = "EHR_UNSUPPORTED_VALUE";
/// A MedicationRequest that is not an order to take a medication (a plan, a proposal, an
/// instruction not to take it).
pub const UNSUPPORTED_INTENT: Reject = "EHR_UNSUPPORTED_INTENT";
/// A reference Portico could not follow: a contained resource that is not there, or a
/// Medication the EHR did not return.
pub const UNRESOLVED_REFERENCE: Reject = "EHR_UNRESOLVED_REFERENCE";
/// A resource the EHR labels restricted or very restricted: not for the patient portal.
pub const RESTRICTED: Reject = "EHR_RESTRICTED_RESOURCE";

/// FHIR ids are at most 64 characters.
pub const ID_MAX: usize = 64;
// The caps are the chart's own, so a value the chart would refuse is refused here, with a
// code the sync can report, instead of failing the save.
/// Names, displays, codes, systems.
pub const NAME_MAX: usize = 200;
/// Short free text: a reason, a reaction, a value given as text, dosage instructions.
pub const SHORT_TEXT_MAX: usize = 1_000;
/// Notes, conclusions, visit summaries.
pub const TEXT_MAX: usize = 20_000;
/// Units of measure.
pub const UNIT_MAX: usize = 32;

pub const LOINC: &str = "http://loinc.org";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";

/// `value` trimmed, if it is within `max` characters; blank is `None`.
pub fn text(value: Option<&String>, max: usize) -> Result<Option<String>, Reject> {
    let Some(value) = value.map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    // Counting bytes first is cheap and bounds the char count from above.
    if value.len() > max && value.chars().count() > max {
        return Err(TOO_LONG);
    }
    Ok(Some(value.to_owned()))
}

pub fn required<T>(value: Option<T>) -> Result<T, Reject> {
    value.ok_or(MISSING)
}

/// A FHIR id: 1–64 of `[A-Za-z0-9.-]`, and not dots alone (`..` would climb a URL path).
pub fn id(value: &str) -> Result<String, Reject> {
    if value.len() > ID_MAX {
        return Err(TOO_LONG);
    }
    if value.bytes().all(|b| b == b'.')
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(BAD_REFERENCE);
    }
    Ok(value.to_owned())
}

/// The text of a concept: its `text`, else the first coding's display.
pub fn concept_text(concept: &CodeableConcept) -> Option<&String> {
    concept
        .text
        .as_ref()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            concept
                .coding
                .iter()
                .flatten()
                .find_map(|c| c.display.as_ref())
        })
}

/// The first coding of `system`.
pub fn coding<'a>(concept: &'a CodeableConcept, system: &str) -> Option<&'a Coding> {
    concept
        .coding
        .iter()
        .flatten()
        .find(|c| c.system.as_deref() == Some(system))
}

/// The first coding's code.
pub fn first_code(concept: &CodeableConcept) -> Option<&String> {
    concept
        .coding
        .iter()
        .flatten()
        .find_map(|c| c.code.as_ref())
}

pub fn instant(value: &fhir_model::Instant) -> Option<DateTime<Utc>> {
    let t = value.0;
    Utc.timestamp_opt(t.unix_timestamp(), t.nanosecond())
        .single()
}

/// A dateTime as a moment: a full date-time, or a full date at midnight UTC. Partial dates
/// (a year, a month) are not moments.
pub fn moment(value: &fhir_model::DateTime) -> Option<DateTime<Utc>> {
    match value {
        fhir_model::DateTime::DateTime(i) => instant(i),
        fhir_model::DateTime::Date(d) => date(d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc()),
    }
}

/// A dateTime as a day, as written (a time's own offset, not UTC).
pub fn day(value: &fhir_model::DateTime) -> Option<NaiveDate> {
    match value {
        fhir_model::DateTime::DateTime(i) => {
            let d = i.0.date();
            NaiveDate::from_ymd_opt(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
        }
        fhir_model::DateTime::Date(d) => date(d),
    }
}

/// A full date; years and months alone are `None`.
pub fn date(value: &fhir_model::Date) -> Option<NaiveDate> {
    match value {
        fhir_model::Date::Date(d) => {
            NaiveDate::from_ymd_opt(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
        }
        fhir_model::Date::Year(_) | fhir_model::Date::YearMonth(..) => None,
    }
}

/// Resolves references against the connection's base URL.
pub struct Refs<'a> {
    /// The base without trailing slash.
    pub base: &'a str,
    /// Resources the page included or the gateway read for it.
    pub included: &'a super::included::Included,
}

impl Refs<'_> {
    /// The type and id a reference points to; `None` when it has no literal `reference`
    /// (only a display or an identifier). Contained (`#x`) and other servers' references are
    /// refused: Portico cannot resolve them.
    pub fn target(&self, reference: &Reference) -> Result<Option<(String, String)>, Reject> {
        match reference.reference.as_deref() {
            Some(raw) => self.target_of(raw).map(Some),
            None => Ok(None),
        }
    }

    /// The type and id of a literal reference.
    pub fn target_of(&self, raw: &str) -> Result<(String, String), Reject> {
        let raw = raw.trim();
        if raw.len() > NAME_MAX {
            return Err(TOO_LONG);
        }
        let relative = if raw.contains("://") {
            raw.strip_prefix(self.base)
                .and_then(|r| r.strip_prefix('/'))
                .ok_or(BAD_REFERENCE)?
        } else {
            raw
        };
        let parts: Vec<&str> = relative.split('/').collect();
        let (kind, fhir_id) = match parts.as_slice() {
            [kind, fhir_id] | [kind, fhir_id, "_history", _] => (*kind, *fhir_id),
            _ => return Err(BAD_REFERENCE),
        };
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(BAD_REFERENCE);
        }
        Ok((kind.to_owned(), id(fhir_id)?))
    }

    /// The id of an optional reference that must be of type `kind`.
    pub fn to(
        &self,
        reference: Option<&Reference>,
        kind: ResourceKind,
    ) -> Result<Option<String>, Reject> {
        let Some(reference) = reference else {
            return Ok(None);
        };
        match self.target(reference)? {
            None => Ok(None),
            Some((k, fhir_id)) if k == kind.as_str() => Ok(Some(fhir_id)),
            Some(_) => Err(BAD_REFERENCE),
        }
    }

    /// The id of a required reference of type `kind`.
    pub fn required(
        &self,
        reference: Option<&Reference>,
        kind: ResourceKind,
    ) -> Result<String, Reject> {
        self.to(reference, kind)?.ok_or(MISSING)
    }
}

/// A concept as received, for the chart to keep coded: its text and codings (at most
/// [`detail::MAX_ITEMS`]; a longer list keeps its first ones), each value within `NAME_MAX`.
pub fn concept(value: &CodeableConcept) -> Result<detail::Concept, Reject> {
    let coding = value
        .coding
        .iter()
        .flatten()
        .take(detail::MAX_ITEMS)
        .map(|c| {
            Ok(detail::Coding {
                system: text(c.system.as_ref(), NAME_MAX)?,
                code: text(c.code.as_ref(), NAME_MAX)?,
                display: text(c.display.as_ref(), NAME_MAX)?,
            })
        })
        // A coding with neither code nor display says nothing.
        .filter(|c| !matches!(c, Ok(c) if c.code.is_none() && c.display.is_none()))
        .collect::<Result<Vec<_>, Reject>>()?;
    Ok(detail::Concept {
        coding,
        text: text(value.text.as_ref(), NAME_MAX)?,
    })
}

/// A quantity as received (a comparator is not kept: callers show such values as text).
pub fn quantity(value: &Quantity) -> Result<detail::Quantity, Reject> {
    Ok(detail::Quantity {
        value: value.value.filter(|v| v.is_finite()),
        unit: text(value.unit.as_ref(), UNIT_MAX)?,
        system: text(value.system.as_ref(), NAME_MAX)?,
        code: text(value.code.as_ref(), UNIT_MAX)?,
    })
}
