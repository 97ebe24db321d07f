//! Which name, address, phone, e-mail and identifier of a Patient count, and that a
//! demographic write-back changes only the entry the chart's value came from: checked over
//! the generated corpus of varied Patients (`tests/patient_corpus.rs`).

use portico_core::ehr::model::{Demographics, EhrPatient, Inbound, ResourceKind};
use portico_fhir::outbound;
use serde_json::{Value, json};

use crate::patient_corpus::{self, Case, assert_only, diff};
use crate::support::record;

fn patient(raw: &Value) -> EhrPatient {
    match record(raw, ResourceKind::Patient) {
        Inbound::Patient(p) => p,
        other => panic!("not a patient: {other:?}"),
    }
}

#[test]
fn the_corpus_maps_the_current_name_contacts_and_address_and_the_typed_mrn() {
    let corpus = patient_corpus::patients(120, "m");
    for Case { resource, expected } in &corpus {
        let p = patient(resource);
        let id = &resource["id"];
        assert_eq!(
            (p.given_name.as_str(), p.family_name.as_str()),
            (expected.given.as_str(), expected.family.as_str()),
            "name of {id}"
        );
        assert_eq!(p.phone, expected.phone, "phone of {id}");
        assert_eq!(p.email, expected.email, "email of {id}");
        assert_eq!(p.address_line, expected.address_line, "address of {id}");
        assert_eq!(p.city, expected.city, "city of {id}");
        assert_eq!(p.postal_code, expected.postal_code, "postal code of {id}");
        assert_eq!(
            p.mrn(None).map(|i| i.value.clone()),
            expected.mrn,
            "MRN of {id}"
        );
        // An old MRN is not an identifier in use, and typed numbers are never MRN
        // candidates when matching.
        assert!(p.identifiers.iter().all(|i| !i.value.starts_with("OLD-")));
        let values = p.mrn_values(None);
        assert!(
            values
                .iter()
                .all(|v| !v.starts_with("999-") && !v.starts_with("MB") && !v.starts_with('S')),
            "{id}: {values:?}"
        );
    }
    // The corpus varies what it claims to: the MRN not first, no MRN, no current address,
    // a billing address only, no mobile.
    let ids = |c: &Case| c.resource["identifier"].as_array().unwrap().clone();
    assert!(corpus.iter().any(|c| {
        c.expected.mrn.is_some() && ids(c)[0]["value"].as_str() != c.expected.mrn.as_deref()
    }));
    assert!(corpus.iter().any(|c| c.expected.mrn.is_none()));
    assert!(corpus.iter().any(|c| c.expected.address_at.is_none()));
    assert!(
        corpus
            .iter()
            .any(|c| c.expected.city.as_deref() == Some("Payville"))
    );
    assert!(
        corpus
            .iter()
            .any(|c| c.expected.phone_at.is_some_and(|i| i > 0))
    );
}

#[test]
fn an_untyped_identifier_is_matched_but_never_becomes_the_mrn_and_the_configured_system_is() {
    let raw = json!({ "resourceType": "Patient", "id": "u", "birthDate": "1980-01-02",
        "name": [{ "family": "Doe", "given": ["Jo"] }],
        "identifier": [
            { "system": "urn:oid:other", "value": "X-1" },
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS" }] },
              "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-11-2222" },
            { "system": "urn:oid:practice-mrn", "value": "PM-7" }
        ] });
    let p = patient(&raw);
    assert_eq!(p.mrn(None), None);
    assert_eq!(p.mrn_values(None), vec!["X-1", "PM-7"]);
    assert_eq!(
        p.mrn(Some("urn:oid:practice-mrn"))
            .map(|i| i.value.as_str()),
        Some("PM-7")
    );
    assert_eq!(p.mrn_values(Some("urn:oid:practice-mrn")), vec!["PM-7"]);
}

/// What the chart holds after pulling `p`.
fn chart_of(p: &EhrPatient) -> Demographics {
    Demographics {
        email: p.email.clone(),
        phone: p.phone.clone(),
        address_line: p.address_line.clone(),
        city: p.city.clone(),
        region: p.region.clone(),
        postal_code: p.postal_code.clone(),
        country: p.country.clone(),
    }
}

#[test]
fn writing_back_what_the_chart_read_changes_nothing() {
    for Case { resource, .. } in patient_corpus::patients(120, "w") {
        let mut chart = chart_of(&patient(&resource));
        // The chart keeps e-mails in lower case; that is not a change.
        chart.email = chart.email.map(|e| e.to_uppercase());
        let mut written = resource.clone();
        outbound::apply_demographics(&mut written, &chart);
        assert_eq!(diff(&resource, &written), Vec::<String>::new());
    }
}

#[test]
fn a_country_the_chart_keeps_as_alpha_2_is_not_written_over_the_ehrs_alpha_3() {
    let resource = json!({
        "resourceType": "Patient", "id": "c1", "birthDate": "1970-01-01",
        "name": [{"use": "official", "family": "Rivera", "given": ["Ana"]}],
        "telecom": [{"system": "phone", "value": "555-0100", "use": "mobile"}],
        "address": [{"use": "home", "line": ["1 Main St"], "city": "Springfield",
                     "postalCode": "01101", "country": "USA"}],
    });
    let mut chart = chart_of(&patient(&resource));
    // As stored: the chart's country is normalised to alpha-2.
    chart.country = portico_core::ehr::columns::country_alpha2("USA");
    assert_eq!(chart.country.as_deref(), Some("US"));
    let mut written = resource.clone();
    outbound::apply_demographics(&mut written, &chart);
    assert_eq!(diff(&resource, &written), Vec::<String>::new());
    // A changed phone leaves the address, country and all, as it was.
    chart.phone = Some("555-0199".into());
    let mut written = resource.clone();
    outbound::apply_demographics(&mut written, &chart);
    assert_eq!(diff(&resource, &written), ["/telecom/0/value"]);
}

#[test]
fn a_changed_phone_and_address_go_only_to_the_entries_the_chart_read() {
    for Case { resource, expected } in patient_corpus::patients(120, "x") {
        let mut chart = chart_of(&patient(&resource));
        chart.phone = Some("555-0999".into());
        chart.address_line = Some("77 New Street".into());
        chart.postal_code = Some("02720".into());
        let mut written = resource.clone();
        outbound::apply_demographics(&mut written, &chart);
        let count = |key: &str| resource[key].as_array().map_or(0, Vec::len);
        let mut intended = vec![match expected.phone_at {
            Some(i) => format!("/telecom/{i}/value"),
            None => format!("/telecom/{}", count("telecom")),
        }];
        // A billing address is read when there is nothing else, but never written over: the
        // new address is added as the home address.
        let billing = expected
            .address_at
            .is_some_and(|i| resource["address"][i]["use"] == "billing");
        match expected.address_at {
            Some(i) if !billing => {
                intended.push(format!("/address/{i}/line"));
                intended.push(format!("/address/{i}/postalCode"));
            }
            _ => intended.push(format!("/address/{}", count("address"))),
        }
        assert_only(&diff(&resource, &written), &intended, &resource["id"]);
        let changed = patient(&written);
        assert_eq!(changed.phone.as_deref(), Some("555-0999"));
        assert_eq!(changed.address_line.as_deref(), Some("77 New Street"));
        assert_eq!(changed.postal_code.as_deref(), Some("02720"));
        // The rest of the address stays as it was (a new one has only what changed and
        // what the chart holds).
        if !billing && expected.address_at.is_some() {
            assert_eq!(changed.city, expected.city);
        }
    }
}

#[test]
fn a_new_email_goes_to_the_current_one_not_an_old_one_listed_first() {
    let raw = json!({ "resourceType": "Patient", "id": "e", "birthDate": "1980-01-02",
        "name": [{ "family": "Doe", "given": ["Jo"] }],
        "telecom": [
            { "system": "email", "use": "old", "value": "old@example.org" },
            { "system": "phone", "use": "home", "value": "555-0101" },
            { "system": "phone", "use": "mobile", "value": "555-0102" },
            { "system": "email", "value": "jo@example.com" }
        ],
        "address": [
            { "use": "old", "line": ["1 Old Road"], "city": "Oldtown" },
            { "use": "home", "line": ["2 Home Street"], "city": "Hometown",
              "text": "2 Home Street, Hometown" }
        ] });
    let mut written = raw.clone();
    outbound::apply_demographics(
        &mut written,
        &Demographics {
            email: Some("jo@new.example".into()),
            phone: Some("555-0103".into()),
            city: Some("Newtown".into()),
            ..Demographics::default()
        },
    );
    assert_eq!(
        diff(&raw, &written),
        vec![
            "/address/1/city",
            "/address/1/text",
            "/telecom/2/value",
            "/telecom/3/value"
        ]
    );
    assert_eq!(written["telecom"][2]["value"], "555-0103");
    assert_eq!(written["telecom"][3]["value"], "jo@new.example");
    // The text rendered the old address; it goes rather than contradict the new one.
    assert!(written["address"][1].get("text").is_none());
}
