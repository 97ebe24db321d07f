//! A search's query string: the parameters its resource type takes (anything else is
//! refused, as US Core servers should rather than ignore a filter the client relies on),
//! paging, `_revinclude=Provenance:target`, and matching a built resource against it.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::types::{Param, ParamKind, ResourceType};
use crate::{CoreError, CoreResult};

/// A page holds 50 resources unless `_count` asks for another number, up to 200.
pub const DEFAULT_COUNT: usize = 50;
pub const MAX_COUNT: usize = 200;

/// A parsed search.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// The charts named by `patient` (or `subject`); empty when none was named.
    pub patients: Vec<Uuid>,
    /// Each filter must match (parameters repeated are AND; values with commas are OR).
    filters: Vec<Filter>,
    pub count: usize,
    pub offset: usize,
    /// `_revinclude=Provenance:target`: each match's Provenance comes along.
    pub provenance: bool,
}

#[derive(Clone, Debug)]
struct Filter {
    param: Param,
    /// Any of these (a comma-separated list).
    values: Vec<Wanted>,
}

#[derive(Clone, Debug)]
enum Wanted {
    Token {
        system: Option<String>,
        code: Option<String>,
    },
    Date {
        prefix: Prefix,
        range: (i64, i64),
    },
    Text(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

fn refused(code: &'static str, message: String) -> CoreError {
    CoreError::invalid("search", code, message)
}

impl Search {
    /// Parses `pairs` (the decoded query string) for a search of `ty`.
    pub fn parse(ty: ResourceType, pairs: &[(String, String)]) -> CoreResult<Self> {
        let mut search = Self {
            count: DEFAULT_COUNT,
            ..Self::default()
        };
        for (name, value) in pairs {
            match name.as_str() {
                "_count" => {
                    search.count = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_COUNT).contains(n))
                        .ok_or_else(|| {
                            refused(
                                "INVALID_VALUE",
                                format!("_count must be a number from 1 to {MAX_COUNT}"),
                            )
                        })?;
                }
                "_offset" => {
                    search.offset = value.parse::<usize>().map_err(|_| {
                        refused("INVALID_VALUE", "_offset must be a number".to_owned())
                    })?;
                }
                // Only JSON is served; asking for it by name is fine.
                "_format" if value.contains("json") => {}
                "_revinclude" if value == "Provenance:target" => search.provenance = true,
                "_revinclude" => {
                    return Err(refused(
                        "UNSUPPORTED_PARAMETER",
                        "_revinclude takes only Provenance:target".to_owned(),
                    ));
                }
                _ => search.add(ty, name, value)?,
            }
        }
        Ok(search)
    }

    fn add(&mut self, ty: ResourceType, name: &str, value: &str) -> CoreResult<()> {
        // Named back in a refusal: a name is the client's own text, so only so much of it.
        let shown: String = name.chars().take(64).collect();
        if name.contains(':') {
            return Err(refused(
                "UNSUPPORTED_MODIFIER",
                format!("search parameter modifiers are not supported (`{shown}`)"),
            ));
        }
        // `subject` is the same chart as `patient`, where the resource has a subject.
        let name = if name == "subject" && ty != ResourceType::Patient {
            "patient"
        } else {
            name
        };
        let Some(param) = ty.params().iter().find(|p| p.name == name).copied() else {
            return Err(refused(
                "UNKNOWN_PARAMETER",
                format!("{} has no search parameter `{shown}`", ty.as_str()),
            ));
        };
        if value.is_empty() {
            return Err(refused("INVALID_VALUE", format!("`{name}` needs a value")));
        }
        if param.kind == ParamKind::Reference {
            for one in value.split(',') {
                let id = one.strip_prefix("Patient/").unwrap_or(one);
                let id = Uuid::parse_str(id).map_err(|_| {
                    refused(
                        "INVALID_VALUE",
                        format!("`{name}` must be a Patient id or Patient/{{id}}"),
                    )
                })?;
                self.patients.push(id);
            }
            return Ok(());
        }
        let values = value
            .split(',')
            .map(|one| parse_value(param, one))
            .collect::<CoreResult<Vec<_>>>()?;
        self.filters.push(Filter { param, values });
        Ok(())
    }

    /// The ids `_id` asks for, if it does (a Patient search reads only those charts).
    pub fn ids(&self) -> Vec<Uuid> {
        self.filters
            .iter()
            .filter(|f| f.param.name == "_id")
            .flat_map(|f| &f.values)
            .filter_map(|v| match v {
                Wanted::Token { code: Some(c), .. } => Uuid::parse_str(c).ok(),
                _ => None,
            })
            .collect()
    }

    /// Whether `resource` passes every filter.
    pub fn matches(&self, resource: &Value) -> bool {
        self.filters.iter().all(|f| {
            let found: Vec<&Value> = f
                .param
                .paths
                .iter()
                .flat_map(|path| values_at(resource, path))
                .collect();
            f.values
                .iter()
                .any(|wanted| found.iter().any(|v| wanted.matches(v)))
        })
    }
}

fn parse_value(param: Param, one: &str) -> CoreResult<Wanted> {
    let bad = |what: &str| refused("INVALID_VALUE", format!("`{}` must be {what}", param.name));
    Ok(match param.kind {
        ParamKind::Token => {
            let (system, code) = match one.split_once('|') {
                Some((s, c)) => (Some(s.to_owned()), (!c.is_empty()).then(|| c.to_owned())),
                None => (None, Some(one.to_owned())),
            };
            Wanted::Token { system, code }
        }
        ParamKind::Date => {
            let (prefix, rest) = match one.get(..2) {
                Some("eq") => (Prefix::Eq, &one[2..]),
                Some("ne") => (Prefix::Ne, &one[2..]),
                Some("gt") => (Prefix::Gt, &one[2..]),
                Some("lt") => (Prefix::Lt, &one[2..]),
                Some("ge") => (Prefix::Ge, &one[2..]),
                Some("le") => (Prefix::Le, &one[2..]),
                _ => (Prefix::Eq, one),
            };
            let range = date_range(rest).ok_or_else(|| {
                bad("a date (YYYY, YYYY-MM, YYYY-MM-DD or a date and time), with eq, ne, gt, lt, ge or le before it")
            })?;
            Wanted::Date { prefix, range }
        }
        ParamKind::String => Wanted::Text(one.to_lowercase()),
        ParamKind::Reference => return Err(bad("a reference")),
    })
}

impl Wanted {
    fn matches(&self, found: &Value) -> bool {
        match self {
            Self::Token { system, code } => {
                token_matches(system.as_deref(), code.as_deref(), found)
            }
            Self::Date { prefix, range } => found
                .as_str()
                .and_then(date_range)
                .is_some_and(|at| date_matches(*prefix, *range, at)),
            Self::Text(start) => found
                .as_str()
                .is_some_and(|s| s.to_lowercase().starts_with(start.as_str())),
        }
    }
}

/// A code (a plain string), Coding, CodeableConcept or Identifier against `[system|]code`.
fn token_matches(system: Option<&str>, code: Option<&str>, found: &Value) -> bool {
    let pair = |s: Option<&str>, c: Option<&str>| {
        system.is_none_or(|want| s.unwrap_or_default() == want)
            && code.is_none_or(|want| c == Some(want))
    };
    match found {
        // A code of the resource's own (status, gender): no system to match.
        Value::String(s) => system.is_none_or(str::is_empty) && code.is_none_or(|want| want == s),
        Value::Object(map) => {
            if let Some(codings) = map.get("coding").and_then(Value::as_array) {
                return codings.iter().any(|c| token_matches(system, code, c));
            }
            let s = map.get("system").and_then(Value::as_str);
            let c = map
                .get("code")
                .or_else(|| map.get("value"))
                .and_then(Value::as_str);
            pair(s, c)
        }
        _ => false,
    }
}

/// The values at a dotted path, through arrays on the way.
fn values_at<'a>(value: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut here = vec![value];
    for step in path.split('.') {
        here = here
            .into_iter()
            .filter_map(|v| v.get(step))
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            })
            .collect();
    }
    here
}

/// The seconds a date or time covers, `[start, end)` in UTC: a year, a month, a day, or the
/// second of a date and time.
fn date_range(text: &str) -> Option<(i64, i64)> {
    let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    match text.len() {
        4 => {
            let year: i32 = text.parse().ok()?;
            let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
            Some((day(start)?, day(start.with_year(year + 1)?)?))
        }
        7 => {
            let start = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
            Some((day(start)?, day(start.checked_add_months(Months::new(1))?)?))
        }
        10 => {
            let start = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some((day(start)?, day(start + TimeDelta::days(1))?))
        }
        _ => {
            let at = DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc).timestamp())
                .or_else(|_| {
                    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                        .map(|t| t.and_utc().timestamp())
                })
                .ok()?;
            Some((at, at + 1))
        }
    }
}

/// FHIR's date comparison of the element's range `at` with the search's `range`.
fn date_matches(prefix: Prefix, (lo, hi): (i64, i64), (at_lo, at_hi): (i64, i64)) -> bool {
    let within = at_lo >= lo && at_hi <= hi;
    match prefix {
        Prefix::Eq => within,
        Prefix::Ne => !within,
        Prefix::Gt => at_hi > hi,
        Prefix::Lt => at_lo < lo,
        Prefix::Ge => at_hi > lo,
        Prefix::Le => at_lo < hi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn search(ty: ResourceType, query: &[(&str, &str)]) -> CoreResult<Search> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Search::parse(ty, &pairs)
    }

    fn code_of(err: CoreError) -> &'static str {
        match err {
            CoreError::Invalid { code, .. } => code,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unknown_parameters_modifiers_and_bad_values_are_refused() {
        let refused =
            |q: &[(&str, &str)]| code_of(search(ResourceType::Observation, q).unwrap_err());
        assert_eq!(refused(&[("colour", "red")]), "UNKNOWN_PARAMETER");
        assert_eq!(refused(&[("code:text", "glucose")]), "UNSUPPORTED_MODIFIER");
        assert_eq!(refused(&[("date", "yesterday")]), "INVALID_VALUE");
        assert_eq!(refused(&[("patient", "Patient/42")]), "INVALID_VALUE");
        assert_eq!(refused(&[("_count", "0")]), "INVALID_VALUE");
        assert_eq!(refused(&[("_count", "201")]), "INVALID_VALUE");
        assert_eq!(
            refused(&[("_revinclude", "Observation:subject")]),
            "UNSUPPORTED_PARAMETER"
        );
        assert_eq!(
            code_of(search(ResourceType::Patient, &[("clinical-status", "active")]).unwrap_err()),
            "UNKNOWN_PARAMETER"
        );
    }

    #[test]
    fn tokens_match_codes_codings_and_identifiers() {
        let obs = json!({
            "status": "final",
            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" }] }],
            "code": { "coding": [{ "system": "http://loinc.org", "code": "2345-7" }] },
        });
        let s = search(
            ResourceType::Observation,
            &[
                ("category", "laboratory"),
                ("code", "http://loinc.org|2345-7"),
            ],
        )
        .unwrap();
        assert!(s.matches(&obs));
        assert!(
            !search(
                ResourceType::Observation,
                &[("code", "http://snomed.info/sct|2345-7")]
            )
            .unwrap()
            .matches(&obs)
        );
        assert!(
            search(ResourceType::Observation, &[("status", "amended,final")])
                .unwrap()
                .matches(&obs)
        );
        assert!(
            !search(ResourceType::Observation, &[("status", "amended")])
                .unwrap()
                .matches(&obs)
        );
        let patient = json!({ "identifier": [{ "system": "urn:portico:mrn", "value": "A-1" }], "name": [{ "family": "Stone", "given": ["Avery"] }] });
        assert!(
            search(
                ResourceType::Patient,
                &[("identifier", "urn:portico:mrn|A-1")]
            )
            .unwrap()
            .matches(&patient)
        );
        assert!(
            search(ResourceType::Patient, &[("name", "av")])
                .unwrap()
                .matches(&patient)
        );
        assert!(
            !search(ResourceType::Patient, &[("family", "av")])
                .unwrap()
                .matches(&patient)
        );
    }

    #[test]
    fn dates_compare_as_ranges_with_their_prefix() {
        let obs = json!({ "effectiveDateTime": "2024-03-01T07:30:00Z" });
        let hit = |v: &str| {
            search(ResourceType::Observation, &[("date", v)])
                .unwrap()
                .matches(&obs)
        };
        assert!(hit("2024"));
        assert!(hit("2024-03"));
        assert!(hit("2024-03-01"));
        assert!(!hit("2024-03-02"));
        assert!(hit("ge2024-03-01"));
        assert!(hit("gt2024-02"));
        assert!(!hit("gt2024-03"));
        assert!(hit("lt2024-03-02"));
        assert!(!hit("le2024-02-29"));
        assert!(hit("ne2023"));
        // Repeated: a range.
        let between = search(
            ResourceType::Observation,
            &[("date", "ge2024-01-01"), ("date", "lt2024-04-01")],
        )
        .unwrap();
        assert!(between.matches(&obs));
    }
}
