//! Fitting what an EHR sends into the columns Portico keeps it in. PostgreSQL refuses a value
//! longer than its column where SQLite would store it, so each EHR-fed value is checked here
//! against the column's own limit before anything is written: one bad value refuses its
//! resource (with a code) on both profiles alike, instead of failing the page on one of
//! them. Values are normalised where the standard allows (a country given as ISO 3166
//! alpha-3, numeric or by name becomes alpha-2); an optional value that still does not fit a
//! rule is left out rather than refusing the whole resource.

use std::str::FromStr;

use sea_orm::{DbErr, RuntimeErr, sqlx};

use super::model::EhrPatient;
use crate::{CoreError, CoreResult};

/// A value longer than its column.
pub const VALUE_TOO_LONG: &str = "EHR_VALUE_TOO_LONG";
/// A resource the database refused for a rule of its own (a constraint, a value it cannot
/// represent): refused alone, never retried as if the EHR were at fault.
pub const UNSTORABLE: &str = "EHR_UNSTORABLE_RESOURCE";

/// What the SQLite length guards (migration `m20261205_000024`) raise, so their refusal is
/// told apart from other constraint failures.
const SQLITE_LENGTH_GUARD: &str = "PORTICO_VALUE_TOO_LONG";

/// The `patients` columns an EHR patient fills, with their lengths.
pub const MRN_MAX: usize = 64;
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const PHONE_MAX: usize = 32;
pub const ADDRESS_LINE_MAX: usize = 200;
pub const PLACE_MAX: usize = 100;
pub const POSTAL_CODE_MAX: usize = 20;

/// `providers.display_name` / `specialty` and `locations.name` / `address`.
pub const PROVIDER_NAME_MAX: usize = 100;
pub const LOCATION_NAME_MAX: usize = 100;
pub const LOCATION_ADDRESS_MAX: usize = 300;

fn too_long(value: Option<&str>, max: usize) -> bool {
    value.is_some_and(|v| v.len() > max && v.chars().count() > max)
}

/// The ISO 3166-1 alpha-2 code (upper case) of a country given as alpha-2, alpha-3, numeric
/// code or English name (`USA`, `840`, `United States`); `None` when it names no country.
pub fn country_alpha2(value: &str) -> Option<String> {
    let key: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if key.is_empty() {
        return None;
    }
    celes::Country::from_str(&key)
        .ok()
        .map(|c| c.alpha2.to_ascii_uppercase())
}

/// Fits an EHR patient to the `patients` columns: the country normalised (or left out when
/// unknown), identifiers too long to be an MRN dropped (they could never equal one), and
/// any other value longer than its column refuses the patient.
pub fn fit_patient(p: &mut EhrPatient) -> CoreResult<()> {
    p.country = p.country.as_deref().and_then(country_alpha2);
    p.identifiers
        .retain(|i| !too_long(Some(i.value.as_str()), MRN_MAX));
    let checks = [
        (Some(p.given_name.as_str()), NAME_MAX),
        (Some(p.family_name.as_str()), NAME_MAX),
        (p.email.as_deref(), EMAIL_MAX),
        (p.phone.as_deref(), PHONE_MAX),
        (p.address_line.as_deref(), ADDRESS_LINE_MAX),
        (p.city.as_deref(), PLACE_MAX),
        (p.region.as_deref(), PLACE_MAX),
        (p.postal_code.as_deref(), POSTAL_CODE_MAX),
    ];
    if checks.into_iter().any(|(value, max)| too_long(value, max)) {
        return Err(refused(VALUE_TOO_LONG));
    }
    Ok(())
}

pub(super) fn refused(code: &'static str) -> CoreError {
    CoreError::invalid("resource", code, "refused by the EHR sync")
}

/// The refusal code for a database error caused by the data of one resource (a value too
/// long, a constraint), or `None` for anything else (a lost connection, a deadlock), which
/// must fail the page so that the next run tries it again.
pub fn unstorable(err: &DbErr) -> Option<&'static str> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let sqlx::Error::Database(db) = e.as_ref() else {
        return None;
    };
    if db.message().contains(SQLITE_LENGTH_GUARD) {
        return Some(VALUE_TOO_LONG);
    }
    let code = db.code().unwrap_or_default();
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        // Class 22: data exceptions (22001: a string too long); class 23: constraints.
        return match code.as_ref() {
            "22001" => Some(VALUE_TOO_LONG),
            c if c.starts_with("22") || c.starts_with("23") => Some(UNSTORABLE),
            _ => None,
        };
    }
    // SQLite: the primary code is the low byte of the extended one; 18 too big,
    // 19 a constraint, 20 a type mismatch.
    match code.parse::<i32>().map(|c| c & 0xff) {
        Ok(18..=20) => Some(UNSTORABLE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_normalised_to_alpha2_or_left_out() {
        for given in ["US", "us", "USA", "usa", "840", "United States", " USA "] {
            assert_eq!(country_alpha2(given).as_deref(), Some("US"), "{given}");
        }
        assert_eq!(country_alpha2("DEU").as_deref(), Some("DE"));
        assert_eq!(country_alpha2("GBR").as_deref(), Some("GB"));
        assert_eq!(country_alpha2("MEX").as_deref(), Some("MX"));
        for unknown in ["XYZ", "Atlantis", "", "  ", "ZZ"] {
            assert_eq!(country_alpha2(unknown), None, "{unknown}");
        }
    }
}
