//! Which of a Patient's names, addresses, contact points and identifiers count, as FHIR
//! means them: an entry whose `use` is `old` or whose `period` has ended (or not begun) is
//! history, never the current value, wherever it stands in the list; among current entries
//! `use` decides, then a contact point's `rank`, then the EHR's order.
//!
//! Read from the raw JSON so that the pull (which value the chart takes) and the write-back
//! (which entry a change goes to) choose the very same entry.

use chrono::Utc;
use serde_json::Value;

/// The identifier-type code system (v2-0203), and the older URL some servers still send.
const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const IDENTIFIER_TYPE_OLD: &str = "http://hl7.org/fhir/v2/0203";

/// Today as `YYYY-MM-DD` (UTC), what periods are compared with.
pub(crate) fn today() -> String {
    Utc::now().date_naive().format("%Y-%m-%d").to_string()
}

fn str_at<'a>(entry: &'a Value, key: &str) -> Option<&'a str> {
    entry.get(key).and_then(Value::as_str)
}

/// Whether an entry is current: not `use: old`, and `today` within its `period`. FHIR
/// dates may be partial (`2019`, `2019-06`): compared at their own precision, an end in
/// the current year or month has not passed yet.
pub(crate) fn in_effect(entry: &Value, today: &str) -> bool {
    if str_at(entry, "use") == Some("old") {
        return false;
    }
    let Some(period) = entry.get("period") else {
        return true;
    };
    // `YYYY`, `YYYY-MM` or the date part of `YYYY-MM-DD[Thh:mm...]`.
    let day = |key: &str| {
        str_at(period, key).map(|v| {
            let date = v.get(..10.min(v.len())).unwrap_or(v);
            let at = today.get(..date.len()).unwrap_or(today);
            (date.to_owned(), at.to_owned())
        })
    };
    let ended = day("end").is_some_and(|(end, now)| end < now);
    let not_begun = day("start").is_some_and(|(start, now)| start > now);
    !ended && !not_begun
}

/// The index of the best current entry of `list`: the lowest `rank(entry)` (`None` never
/// counts), then the lowest contact-point `rank`, then the first.
fn best(list: &[Value], today: &str, rank: impl Fn(&Value) -> Option<u8>) -> Option<usize> {
    list.iter()
        .enumerate()
        .filter(|(_, e)| e.is_object() && in_effect(e, today))
        .filter_map(|(i, e)| {
            let preference = e
                .get("rank")
                .and_then(Value::as_u64)
                .filter(|r| *r > 0)
                .unwrap_or(u64::MAX);
            rank(e).map(|r| ((r, preference, i), i))
        })
        .min_by_key(|(key, _)| *key)
        .map(|(_, i)| i)
}

fn list<'a>(patient: &'a Value, key: &str) -> &'a [Value] {
    patient
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn blank(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

/// The name the chart shows: official, then usual, then one without a `use`, then a
/// temporary name, a nickname, an anonymous one. Old and maiden names (a previous name)
/// never; nor a name with neither a given nor a family part.
pub(crate) fn name(patient: &Value, today: &str) -> Option<usize> {
    best(list(patient, "name"), today, |n| {
        let has_given = n
            .get("given")
            .and_then(Value::as_array)
            .is_some_and(|g| g.iter().any(|g| !blank(g.as_str())));
        if !has_given && blank(str_at(n, "family")) {
            return None;
        }
        match str_at(n, "use") {
            Some("official") => Some(0),
            Some("usual") => Some(1),
            None => Some(2),
            Some("temp") => Some(3),
            Some("nickname") => Some(4),
            Some("anonymous") => Some(5),
            _ => None,
        }
    })
}

/// The address the chart keeps: home, then one without a `use`, then temporary, then work,
/// and a billing address only when there is nothing else. Never an old one; never one
/// with nothing in it.
pub(crate) fn address(patient: &Value, today: &str) -> Option<usize> {
    best(list(patient, "address"), today, |a| {
        let empty = ["city", "state", "postalCode", "country"]
            .iter()
            .all(|k| blank(str_at(a, k)))
            && a.get("line")
                .and_then(Value::as_array)
                .is_none_or(|l| l.iter().all(|l| blank(l.as_str())));
        if empty {
            return None;
        }
        match str_at(a, "use") {
            Some("home") => Some(0),
            None => Some(1),
            Some("temp") => Some(2),
            Some("work") => Some(3),
            Some("billing") => Some(4),
            _ => None,
        }
    })
}

/// The contact point of `system` (`phone` or `email`) the chart keeps. A phone is the one
/// the patient carries (texts go to it): mobile, then home, then one without a `use`, then
/// temporary, then work. An e-mail: home, then none, then temporary, then work. Never an
/// old one.
pub(crate) fn telecom(patient: &Value, system: &str, today: &str) -> Option<usize> {
    best(list(patient, "telecom"), today, |t| {
        if str_at(t, "system") != Some(system) || blank(str_at(t, "value")) {
            return None;
        }
        let phone = system == "phone";
        match str_at(t, "use") {
            Some("mobile") if phone => Some(0),
            Some("home") => Some(1),
            None => Some(2),
            Some("temp") => Some(3),
            Some("work") => Some(4),
            Some("mobile") => Some(5),
            _ => None,
        }
    })
}

/// The v2-0203 type of an identifier (`MR`, `SS`, `DL`...), if it is typed with one.
pub(crate) fn identifier_type(identifier: &Value) -> Option<&str> {
    identifier
        .pointer("/type/coding")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| {
            matches!(
                str_at(c, "system"),
                Some(IDENTIFIER_TYPE | IDENTIFIER_TYPE_OLD)
            )
        })
        .and_then(|c| str_at(c, "code"))
}

/// The identifiers in use (not old, within their period), in the EHR's order.
pub(crate) fn identifiers<'a>(
    patient: &'a Value,
    today: &'a str,
) -> impl Iterator<Item = &'a Value> + 'a {
    list(patient, "identifier")
        .iter()
        .filter(move |i| i.is_object() && in_effect(i, today))
}
