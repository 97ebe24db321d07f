//! The chart's demographics as a US Core Patient.

use serde_json::{Value, json};

use super::MRN_SYSTEM;
use crate::{
    entities::{emergency_contact, patient},
    records::detail,
};

/// The Patient: Portico's own id as an identifier (US Core asks for one, and not every chart
/// has a medical record number), the MRN when there is one, and the emergency contacts.
pub fn patient(p: &patient::Model, contacts: &[emergency_contact::Model]) -> Value {
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone }));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({ "system": "email", "value": email }));
    }
    let mut identifier = vec![json!({
        "system": "urn:ietf:rfc:3986",
        "value": format!("urn:uuid:{}", p.id),
    })];
    if let Some(mrn) = &p.mrn {
        identifier.push(json!({ "system": MRN_SYSTEM, "value": mrn }));
    }
    let has_address = p.address_line.is_some() || p.city.is_some() || p.postal_code.is_some();
    let contact: Vec<Value> = contacts
        .iter()
        .map(|c| {
            let mut telecom = vec![json!({ "system": "phone", "value": c.phone })];
            if let Some(email) = &c.email {
                telecom.push(json!({ "system": "email", "value": email }));
            }
            json!({
                "relationship": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                        "code": "C",
                        "display": "Emergency Contact",
                    }],
                    "text": c.relationship,
                }],
                "name": { "text": c.name },
                "telecom": telecom,
            })
        })
        .collect();
    json!({
        "resourceType": "Patient",
        "identifier": identifier,
        "name": [{ "family": p.family_name, "given": given_names(p) }],
        "gender": p.gender,
        "birthDate": p.birth_date.to_string(),
        "telecom": (!telecom.is_empty()).then_some(telecom),
        "address": has_address.then(|| json!([{
            "line": p.address_line.as_ref().map(|l| vec![l]),
            "city": p.city,
            "state": p.region,
            "postalCode": p.postal_code,
            "country": p.country,
        }])),
        "communication": p.preferred_language.as_ref().map(|lang| json!([{
            "language": { "coding": [{ "system": "urn:ietf:bcp:47", "code": lang }] },
            "preferred": true,
        }])),
        "contact": (!contact.is_empty()).then_some(contact),
    })
}

/// The given names one by one as the EHR sent them, else the chart's given name.
fn given_names(p: &patient::Model) -> Vec<String> {
    let names: Vec<String> = detail::read(p.given_names.as_deref());
    if names.is_empty() {
        vec![p.given_name.clone()]
    } else {
        names
    }
}
