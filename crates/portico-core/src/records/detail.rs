//! What a record keeps of the FHIR resource it came from beyond the chart's own columns:
//! codings as received, every reaction of an allergy, a measurement's units and reference
//! range as quantities, a vital sign's components. Stored as JSON in a `detail` text column
//! (portable across SQLite and PostgreSQL) and only ever read or written through these types;
//! a record entered in Portico has none, and the export falls back to the chart's columns.

use serde::{Deserialize, Serialize};

use crate::{CoreError, CoreResult};

/// Most codings kept of one concept, reactions of one allergy, manifestations of one
/// reaction and components of one observation: bounds on what one resource can store.
pub const MAX_ITEMS: usize = 16;
const TEXT_MAX: usize = 200;

/// A FHIR Coding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A FHIR CodeableConcept as received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Concept {
    /// The concept's text, else its first coding's display.
    pub fn label(&self) -> Option<&str> {
        self.text
            .as_deref()
            .or_else(|| self.coding.iter().find_map(|c| c.display.as_deref()))
    }
}

/// A FHIR Quantity; without `value` it is a unit alone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A reference range with its bounds as quantities.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One reaction of an allergy: what happened and how bad it was.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    #[serde(default)]
    pub manifestations: Vec<Concept>,
    /// `mild`, `moderate`, `severe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

/// One component of an observation (a blood pressure's systolic or diastolic value).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// LOINC code.
    pub code: String,
    pub display: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concept: Option<Concept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Quantity>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllergyDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Concept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Concept>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservationDetail {
    /// The test's code with every coding received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Concept>,
    /// A coded result (`valueCodeableConcept`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_concept: Option<Concept>,
    /// The unit of a numeric result with its system and code (UCUM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_unit: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// The detail stored in a column; what cannot be read (never written by Portico) is none.
pub fn read<T: for<'de> Deserialize<'de> + Default>(column: Option<&str>) -> T {
    column
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// The column's value: `None` for an empty detail.
pub fn write<T: Serialize + Default + PartialEq>(detail: &T) -> CoreResult<Option<String>> {
    if *detail == T::default() {
        return Ok(None);
    }
    serde_json::to_string(detail)
        .map(Some)
        .map_err(|_| invalid("detail", "not storable"))
}

fn invalid(field: &'static str, message: &'static str) -> CoreError {
    CoreError::invalid(field, "INVALID_DETAIL", message)
}

fn short(field: &'static str, value: Option<&String>) -> CoreResult<()> {
    match value {
        Some(v) if v.chars().count() > TEXT_MAX => Err(invalid(field, "a value is too long")),
        _ => Ok(()),
    }
}

fn few<T>(field: &'static str, items: &[T]) -> CoreResult<()> {
    if items.len() > MAX_ITEMS {
        return Err(invalid(field, "too many entries"));
    }
    Ok(())
}

/// The chart's bounds on a concept: a few codings of short strings.
pub fn check_concept(field: &'static str, concept: &Concept) -> CoreResult<()> {
    few(field, &concept.coding)?;
    short(field, concept.text.as_ref())?;
    for c in &concept.coding {
        short(field, c.system.as_ref())?;
        short(field, c.code.as_ref())?;
        short(field, c.display.as_ref())?;
    }
    Ok(())
}

fn check_quantity(field: &'static str, q: &Quantity) -> CoreResult<()> {
    if q.value.is_some_and(|v| !v.is_finite()) {
        return Err(invalid(field, "must be a number"));
    }
    short(field, q.unit.as_ref())?;
    short(field, q.system.as_ref())?;
    short(field, q.code.as_ref())
}

pub fn check_allergy(d: &AllergyDetail) -> CoreResult<()> {
    if let Some(code) = &d.code {
        check_concept("code", code)?;
    }
    few("reactions", &d.reactions)?;
    for r in &d.reactions {
        few("reactions", &r.manifestations)?;
        for m in &r.manifestations {
            check_concept("reactions", m)?;
        }
        if let Some(s) = &r.severity
            && !super::allergies::SEVERITIES.contains(&s.as_str())
        {
            return Err(CoreError::invalid(
                "reactions",
                "INVALID_SEVERITY",
                "must be mild, moderate or severe",
            ));
        }
    }
    Ok(())
}

pub fn check_observation(d: &ObservationDetail) -> CoreResult<()> {
    for concept in [&d.code, &d.value_concept].into_iter().flatten() {
        check_concept("code", concept)?;
    }
    if let Some(unit) = &d.value_unit {
        check_quantity("unit", unit)?;
    }
    if let Some(range) = &d.range {
        for q in [&range.low, &range.high].into_iter().flatten() {
            check_quantity("range", q)?;
        }
        short("range", range.text.as_ref())?;
    }
    few("components", &d.components)?;
    for c in &d.components {
        super::code("components", Some(c.code.clone()), true)?;
        short("components", Some(&c.display))?;
        if let Some(concept) = &c.concept {
            check_concept("components", concept)?;
        }
        if let Some(q) = &c.value {
            check_quantity("components", q)?;
        }
    }
    Ok(())
}

/// The most severe of the reactions' severities.
pub fn worst_severity(reactions: &[Reaction]) -> Option<&str> {
    let rank = |s: &str| super::allergies::SEVERITIES.iter().position(|x| *x == s);
    reactions
        .iter()
        .filter_map(|r| r.severity.as_deref())
        .max_by_key(|s| rank(s))
}
