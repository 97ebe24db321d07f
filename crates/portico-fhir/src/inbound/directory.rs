//! Practitioners and locations: what appointments and encounters point at.

use fhir_model::r4b::resources::{Location, Practitioner};
use portico_core::ehr::model::{EhrLocation, EhrPractitioner, Inbound};

use super::fields::{MISSING, NAME_MAX, Reject, required, text};
use super::patient::{official, split_name};

pub fn practitioner(practitioner: &Practitioner) -> Result<Inbound, Reject> {
    let names: Vec<_> = practitioner.name.iter().flatten().collect();
    let name = required(official(&names))?;
    let (given, family) = split_name(name)?;
    let display = [given, family]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let display_name = match text(Some(&display), NAME_MAX)? {
        Some(d) => d,
        None => text(name.text.as_ref(), NAME_MAX)?.ok_or(MISSING)?,
    };
    Ok(Inbound::Practitioner(EhrPractitioner {
        display_name,
        specialty: None,
        active: practitioner.active != Some(false),
    }))
}

/// Location statuses as they arrive; only `inactive` makes one inactive.
pub const LOCATION_STATUSES: [&str; 3] = ["active", "suspended", "inactive"];

pub fn location(location: &Location) -> Result<Inbound, Reject> {
    let name = text(location.name.as_ref(), NAME_MAX)?.ok_or(MISSING)?;
    let address = match &location.address {
        None => None,
        Some(a) => match text(a.text.as_ref(), NAME_MAX)? {
            Some(t) => Some(t),
            None => {
                let parts: Vec<&str> = a
                    .line
                    .iter()
                    .flatten()
                    .chain(a.city.as_ref())
                    .map(|p| p.trim())
                    .filter(|p| !p.is_empty())
                    .collect();
                text(Some(&parts.join(", ")), NAME_MAX)?
            }
        },
    };
    Ok(Inbound::Location(EhrLocation {
        name,
        address,
        active: location
            .status
            .as_ref()
            .is_none_or(|s| s.as_ref() != "inactive"),
    }))
}
