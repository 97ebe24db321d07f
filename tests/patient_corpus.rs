//! A generated corpus of varied FHIR R4 Patient resources, as EHRs send them: names,
//! addresses and contact points with every `use`, with periods that have ended, not yet
//! begun or are open; identifiers typed MR, SS, DL, MB or not at all, the MRN anywhere in
//! the list or missing; and several registrations of one person. Each case is built around
//! the entries the chart must take (placed among decoys at a position that varies), so
//! what is expected is known by construction, not computed by the rules under test.
//!
//! Nobody in it is real: names come from short made-up lists, phone numbers are in the
//! fictional 555-01xx..555-09xx ranges, e-mails are at example.com / example.org.
//!
//! Only `serde_json`: the black-box suite uses it as `portico_tests::patient_corpus`, and
//! portico-fhir's own tests include this file by path.

use serde_json::{Value, json};

pub const MRN_SYSTEM: &str = "urn:oid:portico-test-mrn";
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

const GIVEN: [&str; 10] = [
    "Alba", "Bram", "Cora", "Dorian", "Elowen", "Florian", "Greta", "Hale", "Ines", "Jasper",
];
const MIDDLE: [&str; 4] = ["Rose", "Lee", "Marie", "Quinn"];
const FAMILY: [&str; 9] = [
    "Ashdown",
    "Brightwater",
    "Calloway",
    "Dunmore",
    "Elsworth",
    "Fairbanks",
    "Glenrock",
    "Hartwell",
    "Ivesdale",
];
const STREETS: [&str; 5] = [
    "Maple Row",
    "Quarry Lane",
    "Heron Way",
    "Birch Court",
    "Lantern Street",
];
const CITIES: [(&str, &str, &str); 3] = [
    ("Fairhaven", "MA", "02719"),
    ("Millbrook", "MA", "01757"),
    ("Stonebridge", "MA", "01451"),
];

/// What the chart must take from a case, and where in the resource it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub given: String,
    pub family: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The lines joined with ", ", as the chart keeps them.
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub mrn: Option<String>,
    /// Indexes in `telecom` / `address` of the entries the chart reads, which are the ones
    /// a change written back must go to (`None`: there is none; a change adds one).
    pub phone_at: Option<usize>,
    pub email_at: Option<usize>,
    pub address_at: Option<usize>,
}

pub struct Case {
    pub resource: Value,
    pub expected: Expected,
}

/// A tiny deterministic generator (an LCG), so the corpus is the same on every run.
struct Dice(u64);

impl Dice {
    fn new(seed: usize) -> Self {
        Dice((seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0005_DEEC_E66D)
    }
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below.max(1) as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next(2) == 1
    }
    /// `items` in a shuffled order (Fisher-Yates).
    fn shuffle<T>(&mut self, mut items: Vec<T>) -> Vec<T> {
        for i in (1..items.len()).rev() {
            let j = self.next(i + 1);
            items.swap(i, j);
        }
        items
    }
}

/// One entry of a list, and whether it is the one the chart must read.
enum Slot {
    Decoy(Value),
    Wanted(&'static str, Value),
}

/// Shuffles the slots and returns the list and where each wanted entry ended up.
fn place(dice: &mut Dice, slots: Vec<Slot>) -> (Vec<Value>, Vec<(&'static str, usize)>) {
    let mut list = Vec::new();
    let mut wanted = Vec::new();
    for (i, slot) in dice.shuffle(slots).into_iter().enumerate() {
        match slot {
            Slot::Decoy(v) => list.push(v),
            Slot::Wanted(what, v) => {
                wanted.push((what, i));
                list.push(v);
            }
        }
    }
    (list, wanted)
}

fn at(wanted: &[(&str, usize)], what: &str) -> Option<usize> {
    wanted.iter().find(|(w, _)| *w == what).map(|(_, i)| *i)
}

fn typed(code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": V2_0203, "code": code, "display": display }], "text": display })
}

/// Case `n` of the corpus (ids `{prefix}c-{n}`).
pub fn case(n: usize, prefix: &str) -> Case {
    let mut dice = Dice::new(n);
    let given = GIVEN[n % GIVEN.len()];
    let middle = MIDDLE[dice.next(MIDDLE.len())];
    let family = FAMILY[(n * 7 + 3) % FAMILY.len()];
    let birth_date = format!(
        "{}-{:02}-{:02}",
        1940 + (n * 13) % 70,
        1 + n % 12,
        1 + (n * 5) % 28
    );

    // Names: the current one (official, usual or without a use) among history.
    let name_use = [Some("official"), Some("usual"), None][n % 3];
    let mut name = json!({ "family": family, "given": [given, middle] });
    if let Some(u) = name_use {
        name["use"] = json!(u);
    }
    if dice.coin() {
        name["period"] = json!({ "start": "2015-03-01" });
    }
    let name_decoys = [
        json!({ "use": "old", "family": "Oldname", "given": [given] }),
        json!({ "use": "official", "family": "Endedname", "given": [given],
            "period": { "start": "2001-01-01", "end": "2012-06-30" } }),
        json!({ "use": "official", "family": "Yearended", "given": [given],
            "period": { "end": "2016" } }),
        json!({ "use": "maiden", "family": "Maidenname", "given": [given] }),
        json!({ "use": "nickname", "family": family, "given": ["Nicky"] }),
        json!({ "use": "official", "family": "Futurename", "given": [given],
            "period": { "start": "2999-01-01" } }),
        json!({ "use": "official", "text": "Only Text" }),
    ];
    let mut slots = vec![Slot::Wanted("name", name)];
    for (k, decoy) in name_decoys.into_iter().enumerate() {
        // Each decoy in about half the cases; the old name in every third case at least.
        if dice.coin() || (k == 0 && n.is_multiple_of(3)) {
            slots.push(Slot::Decoy(decoy));
        }
    }
    let (names, _) = place(&mut dice, slots);

    // Addresses: home (or no use) among old, ended, future, billing, work and temporary
    // ones; some cases have only a billing address (taken as a last resort), some none
    // current at all.
    let (city, state, postal) = CITIES[n % CITIES.len()];
    let street = format!("{} {}", 10 + n * 3, STREETS[n % STREETS.len()]);
    let mut lines = vec![street.clone()];
    if n.is_multiple_of(3) {
        lines.push(format!("Apt {}", 1 + n % 9));
    }
    let mut home = json!({ "line": lines, "city": city, "state": state,
        "postalCode": postal, "country": "US" });
    if n.is_multiple_of(2) {
        home["use"] = json!("home");
    }
    let old =
        json!({ "use": "old", "line": ["1 Old Road"], "city": "Oldtown", "postalCode": "01001" });
    let ended = json!({ "use": "home", "line": ["2 Ended Street"], "city": "Endham",
        "postalCode": "01002", "period": { "start": "2010-01-01", "end": "2019-05-01" } });
    let future = json!({ "use": "home", "line": ["3 Future Way"], "city": "Laterton",
        "postalCode": "01003", "period": { "start": "2999-01-01" } });
    let billing = json!({ "use": "billing", "line": ["PO Box 9"], "city": "Payville",
        "postalCode": "01004" });
    let work = json!({ "use": "work", "line": ["100 Office Park"], "city": "Worksop",
        "postalCode": "01005" });
    let temp = json!({ "use": "temp", "line": ["4 Visiting Lane"], "city": "Stayton",
        "postalCode": "01006" });
    let only_billing = n % 11 == 5;
    let none_current = n % 13 == 7;
    let mut slots = vec![Slot::Decoy(old), Slot::Decoy(ended)];
    if only_billing {
        slots.push(Slot::Wanted("address", billing.clone()));
    } else if !none_current {
        slots.push(Slot::Wanted("address", home));
        for decoy in [future, billing, work, temp] {
            if dice.coin() {
                slots.push(Slot::Decoy(decoy));
            }
        }
    }
    let (addresses, wanted) = place(&mut dice, slots);
    let address_at = at(&wanted, "address");
    let (address_line, address_city, address_postal) = match address_at {
        None => (None, None, None),
        Some(i) => {
            let a = &addresses[i];
            let joined = a["line"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (
                Some(joined),
                a["city"].as_str().map(str::to_owned),
                a["postalCode"].as_str().map(str::to_owned),
            )
        }
    };

    // Telecom: the mobile (or, without a current mobile, the home number) among home,
    // work, old and ended ones, a fax and e-mails; the e-mail (home or no use) among old,
    // ended and work ones.
    let nn = n % 100;
    let has_mobile = n % 4 != 3;
    let phone = if has_mobile {
        json!({ "system": "phone", "use": "mobile", "value": format!("555-01{nn:02}") })
    } else {
        json!({ "system": "phone", "use": "home", "value": format!("555-02{nn:02}") })
    };
    let mut email = json!({ "system": "email",
        "value": format!("{}.{}{n}@example.com", given.to_lowercase(), family.to_lowercase()) });
    if n % 2 == 1 {
        email["use"] = json!("home");
    }
    if dice.coin() {
        email["rank"] = json!(1);
    }
    let mut slots = vec![
        Slot::Wanted("phone", phone),
        Slot::Wanted("email", email),
        Slot::Decoy(json!({ "system": "phone", "use": "old", "value": format!("555-03{nn:02}") })),
        Slot::Decoy(
            json!({ "system": "phone", "use": "mobile", "value": format!("555-04{nn:02}"),
            "period": { "end": "2018-12-31" } }),
        ),
        Slot::Decoy(
            json!({ "system": "email", "use": "old", "value": format!("old{n}@example.org") }),
        ),
    ];
    if has_mobile {
        slots.push(Slot::Decoy(
            json!({ "system": "phone", "use": "home", "value": format!("555-05{nn:02}") }),
        ));
    }
    for decoy in [
        json!({ "system": "phone", "use": "work", "value": format!("555-06{nn:02}") }),
        json!({ "system": "fax", "value": format!("555-07{nn:02}") }),
        json!({ "system": "email", "use": "work", "value": format!("work{n}@example.org") }),
        json!({ "system": "email", "use": "home", "value": format!("ended{n}@example.org"),
            "period": { "start": "2005", "end": "2010-02" } }),
        json!({ "system": "sms", "value": format!("555-08{nn:02}") }),
    ] {
        if dice.coin() {
            slots.push(Slot::Decoy(decoy));
        }
    }
    let (telecom, wanted) = place(&mut dice, slots);
    let phone_at = at(&wanted, "phone");
    let email_at = at(&wanted, "email");
    let value_at = |i: Option<usize>| {
        i.and_then(|i| telecom[i]["value"].as_str())
            .map(str::to_owned)
    };

    // Identifiers: the MRN (typed MR) anywhere among a social security number, a driving
    // licence, an insurance member id, an untyped number of another system and an old MRN;
    // every sixth case has no MRN at all.
    let mrn = (n % 6 != 4).then(|| format!("MRN-{prefix}{n:05}"));
    let mut slots = vec![
        Slot::Decoy(json!({ "type": typed("SS", "Social Security number"),
            "system": "http://hl7.org/fhir/sid/us-ssn", "value": format!("999-{:02}-{:04}", nn, n) })),
        Slot::Decoy(
            json!({ "use": "old", "type": typed("MR", "Medical Record Number"),
            "system": MRN_SYSTEM, "value": format!("OLD-{prefix}{n:05}") }),
        ),
    ];
    if let Some(mrn) = &mrn {
        let mut id = json!({ "type": typed("MR", "Medical Record Number"),
            "system": MRN_SYSTEM, "value": mrn });
        if dice.coin() {
            id["use"] = json!("usual");
        }
        slots.push(Slot::Wanted("mrn", id));
    }
    for decoy in [
        json!({ "type": typed("DL", "Driver's license number"),
            "system": "urn:oid:2.16.840.1.113883.4.3.25", "value": format!("S{n:08}") }),
        json!({ "type": typed("MB", "Member Number"),
            "system": "urn:oid:portico-test-insurer", "value": format!("MB{n:07}") }),
        json!({ "system": "urn:oid:portico-test-lab", "value": format!("LAB-{n:05}") }),
    ] {
        if dice.coin() {
            slots.push(Slot::Decoy(decoy));
        }
    }
    let (identifiers, _) = place(&mut dice, slots);

    let resource = json!({
        "resourceType": "Patient",
        "id": format!("{prefix}c-{n}"),
        "meta": { "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"] },
        "extension": [{
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
            "valueCode": if n.is_multiple_of(2) { "F" } else { "M" }
        }],
        "identifier": identifiers,
        "active": true,
        "name": names,
        "telecom": telecom,
        "gender": if n.is_multiple_of(2) { "female" } else { "male" },
        "birthDate": birth_date,
        "address": addresses,
        "communication": [{ "language": { "coding": [{ "system": "urn:ietf:bcp:47", "code": "en-US" }] } }],
    });
    Case {
        expected: Expected {
            given: format!("{given} {middle}"),
            family: family.to_owned(),
            birth_date,
            phone: value_at(phone_at),
            email: value_at(email_at),
            address_line,
            city: address_city,
            postal_code: address_postal,
            mrn,
            phone_at,
            email_at,
            address_at,
        },
        resource,
    }
}

/// Cases `0..count`.
pub fn patients(count: usize, prefix: &str) -> Vec<Case> {
    (0..count).map(|n| case(n, prefix)).collect()
}

/// `count` registrations of the same person (case `n`'s name and birth date), as an EHR
/// holds them when a patient was registered twice: each its own id (`{prefix}c-{n}-r{k}`),
/// MRN and contact details.
pub fn registrations(n: usize, count: usize, prefix: &str) -> Vec<Case> {
    (0..count)
        .map(|k| {
            let mut c = case(n, prefix);
            c.resource["id"] = json!(format!("{prefix}c-{n}-r{k}"));
            let mrn = format!("MRN-{prefix}{n:05}-{k}");
            c.resource["identifier"] = json!([{ "type": typed("MR", "Medical Record Number"),
                "system": MRN_SYSTEM, "value": mrn }]);
            c.expected.mrn = Some(mrn);
            if k > 0 {
                // Registered again elsewhere: no contact detail in common with the first.
                c.resource["telecom"] = json!([{ "system": "phone", "use": "mobile",
                    "value": format!("555-09{:02}", (n + k) % 100) }]);
                c.resource.as_object_mut().map(|r| r.remove("address"));
                c.expected.phone = Some(format!("555-09{:02}", (n + k) % 100));
                c.expected.phone_at = Some(0);
                c.expected.email = None;
                c.expected.email_at = None;
                c.expected.address_line = None;
                c.expected.city = None;
                c.expected.postal_code = None;
                c.expected.address_at = None;
            }
            c
        })
        .collect()
}

/// The JSON pointers at which `after` differs from `before` (leaves, list entries added or
/// removed, keys added or removed).
pub fn diff(before: &Value, after: &Value) -> Vec<String> {
    fn walk(path: String, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let p = format!("{path}/{k}");
                    match (a.get(k), b.get(k)) {
                        (Some(x), Some(y)) => walk(p, x, y, out),
                        _ => out.push(p),
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for i in 0..a.len().max(b.len()) {
                    let p = format!("{path}/{i}");
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => walk(p, x, y, out),
                        _ => out.push(p),
                    }
                }
            }
            _ if a != b => out.push(path),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(String::new(), before, after, &mut out);
    out
}

/// Every difference is within one of the `intended` paths, and each of them changed.
pub fn assert_only(changed: &[String], intended: &[String], what: &Value) {
    let within =
        |path: &String, prefix: &String| path == prefix || path.starts_with(&format!("{prefix}/"));
    for path in changed {
        assert!(
            intended.iter().any(|i| within(path, i)),
            "{what}: {path} changed; only {intended:?} should"
        );
    }
    for i in intended {
        assert!(
            changed.iter().any(|p| within(p, i)),
            "{what}: {i} did not change: {changed:?}"
        );
    }
}
