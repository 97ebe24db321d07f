//! Staff find a chart from one search box: by name words (case and accents ignored), birth
//! date, MRN, phone or email, through indexes; never another practice's charts.

use portico_core::{
    identity::Role,
    patient_search::{self, PatientSearch},
    tenancy::{Access, TenantTx},
    tenants,
};
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: CreatePatientInput!) { createPatient(input: $i) {
    patient { id } userErrors { field code message } } }";
const SEARCH: &str = "query($s: String, $first: Int, $after: String) {
    patients(search: $s, first: $first, after: $after) {
      edges { cursor node { id givenName familyName } } pageInfo { hasNextPage } } }";
const UPDATE_CONTACT: &str = "mutation($i: UpdateContactDetailsInput!) {
    updateContactDetails(input: $i) { userErrors { field code message } } }";

/// Opens a chart through `createPatient`; returns its global id.
async fn chart(
    app: &TestApp,
    staff: &Signed,
    (given, family, birth, mrn, phone, email): (&str, &str, &str, &str, &str, &str),
) -> String {
    let (_, body) = app
        .gql_as(
            &staff.slug,
            &staff.access,
            CREATE,
            json!({ "i": {
                "givenName": given, "familyName": family, "birthDate": birth, "gender": "unknown",
                "mrn": (!mrn.is_empty()).then_some(mrn),
                "phone": (!phone.is_empty()).then_some(phone),
                "email": (!email.is_empty()).then_some(email),
            } }),
        )
        .await;
    let payload = &body["data"]["createPatient"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    payload["patient"]["id"].as_str().unwrap().to_owned()
}

/// The response to a search.
async fn search_body(
    app: &TestApp,
    staff: &Signed,
    text: &str,
    first: i32,
    after: Option<&str>,
) -> Value {
    let (_, body) = app
        .gql_as(
            &staff.slug,
            &staff.access,
            SEARCH,
            json!({ "s": text, "first": first, "after": after }),
        )
        .await;
    body
}

/// "Given Family" of each chart a search finds, in order.
async fn found(app: &TestApp, staff: &Signed, text: &str) -> Vec<String> {
    let body = search_body(app, staff, text, 50, None).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["patients"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["node"]["givenName"].as_str().unwrap(),
                e["node"]["familyName"].as_str().unwrap()
            )
        })
        .collect()
}

/// A practice with a few charts.
async fn front_desk(app: &TestApp, slug: &str) -> Signed {
    let admin = app.practice_admin(slug).await;
    for row in [
        (
            "María",
            "García",
            "1984-03-07",
            "A-1001",
            "+1 (555) 123-4567",
            "Maria.Garcia@Example.com",
        ),
        (
            "Gary",
            "Oldman",
            "1958-03-21",
            "A-1002",
            "555 765 4321",
            "gary@example.com",
        ),
        ("Marco", "Polo", "1984-03-08", "7654321", "", ""),
        (
            "Seán",
            "O'Brien",
            "1990-12-01",
            "",
            "020 7946 0958",
            "sean@example.ie",
        ),
        ("Ana María", "López Díaz", "2001-01-15", "", "", ""),
    ] {
        chart(app, &admin, row).await;
    }
    admin
}

#[tokio::test]
async fn staff_find_charts_by_name_words_ignoring_case_and_accents() {
    let app = spawn_app().await;
    let desk = front_desk(&app, "search-names").await;
    assert_eq!(found(&app, &desk, "garc").await, ["María García"]);
    assert_eq!(found(&app, &desk, "GARCÍA").await, ["María García"]);
    assert_eq!(found(&app, &desk, "gar mar").await, ["María García"]);
    assert_eq!(found(&app, &desk, "mar gar").await, ["María García"]);
    // Ordered by family name, then given name.
    assert_eq!(
        found(&app, &desk, "mar").await,
        ["María García", "Ana María López Díaz", "Marco Polo"]
    );
    assert_eq!(found(&app, &desk, "diaz").await, ["Ana María López Díaz"]);
    assert_eq!(found(&app, &desk, "O'Brien").await, ["Seán O'Brien"]);
    assert_eq!(found(&app, &desk, "obrien sean").await, ["Seán O'Brien"]);
    assert_eq!(found(&app, &desk, "zzz").await, Vec::<String>::new());
    assert_eq!(found(&app, &desk, "garcia zzz").await, Vec::<String>::new());
}

#[tokio::test]
async fn staff_find_charts_by_birth_date_mrn_phone_and_email() {
    let app = spawn_app().await;
    let desk = front_desk(&app, "search-kinds").await;
    assert_eq!(found(&app, &desk, "1984-03-07").await, ["María García"]);
    assert_eq!(found(&app, &desk, "03/07/1984").await, ["María García"]);
    assert_eq!(found(&app, &desk, "3/8/1984").await, ["Marco Polo"]);
    assert_eq!(found(&app, &desk, "1999-09-09").await, Vec::<String>::new());
    // MRN, exactly: as text and as a number that could be a phone.
    assert_eq!(found(&app, &desk, "A-1002").await, ["Gary Oldman"]);
    assert_eq!(found(&app, &desk, "A-100").await, Vec::<String>::new());
    assert_eq!(
        found(&app, &desk, "7654321").await,
        ["Gary Oldman", "Marco Polo"]
    );
    // Phones however they are typed, by their last digits.
    assert_eq!(found(&app, &desk, "555-123-4567").await, ["María García"]);
    assert_eq!(found(&app, &desk, "(555) 123 4567").await, ["María García"]);
    assert_eq!(
        found(&app, &desk, "+1 555 123 4567").await,
        ["María García"]
    );
    assert_eq!(found(&app, &desk, "123-4567").await, ["María García"]);
    assert_eq!(
        found(&app, &desk, "+44 20 7946 0958").await,
        ["Seán O'Brien"]
    );
    assert_eq!(
        found(&app, &desk, "555-000-0000").await,
        Vec::<String>::new()
    );
    // Emails by their start, in any case.
    assert_eq!(found(&app, &desk, "maria.g@").await, Vec::<String>::new());
    assert_eq!(
        found(&app, &desk, "MARIA.GARCIA@EX").await,
        ["María García"]
    );
    assert_eq!(
        found(&app, &desk, "gary@example.com").await,
        ["Gary Oldman"]
    );
    assert_eq!(
        found(&app, &desk, "nobody@example.com").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_blank_search_lists_every_chart_and_a_long_one_is_refused_without_echoing_it() {
    let app = spawn_app().await;
    let desk = front_desk(&app, "search-input").await;
    assert_eq!(found(&app, &desk, "   ").await.len(), 5);

    let long = format!("García {}", "x".repeat(200));
    let body = search_body(&app, &desk, &long, 10, None).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "SEARCH_TOO_LONG");
    assert!(!body.to_string().contains("García"), "{body}");
    assert!(
        body["data"].is_null() || body["data"]["patients"].is_null(),
        "{body}"
    );
}

#[tokio::test]
async fn patients_cannot_search_the_practices_charts() {
    let app = spawn_app().await;
    front_desk(&app, "search-authz").await;
    let (patient, _) = app.add_user("search-authz", Role::Patient).await;
    let body = search_body(&app, &patient, "garcia", 10, None).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn a_search_never_finds_another_practices_charts() {
    let app = spawn_app().await;
    let a = front_desk(&app, "search-a").await;
    let b = app.practice_admin("search-b").await;
    chart(
        &app,
        &b,
        (
            "Mario",
            "García",
            "1984-03-07",
            "A-1001",
            "555-123-4567",
            "maria.garcia@example.com",
        ),
    )
    .await;
    for text in [
        "garcia",
        "1984-03-07",
        "A-1001",
        "5551234567",
        "maria.garcia@",
    ] {
        assert_eq!(found(&app, &a, text).await, ["María García"], "{text}");
        assert_eq!(found(&app, &b, text).await, ["Mario García"], "{text}");
    }
}

#[tokio::test]
async fn new_contact_details_are_found_and_the_old_ones_no_longer() {
    let app = spawn_app().await;
    let desk = front_desk(&app, "search-contact").await;
    let gary = chart(
        &app,
        &desk,
        (
            "Gareth",
            "Evans",
            "1970-05-05",
            "",
            "555-222-3333",
            "gareth@old.example",
        ),
    )
    .await;
    let (_, body) = app
        .gql_as(
            &desk.slug,
            &desk.access,
            UPDATE_CONTACT,
            json!({ "i": { "patientId": gary, "phone": "(555) 888-9999", "email": "G.Evans@New.Example" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateContactDetails"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(found(&app, &desk, "555 888 9999").await, ["Gareth Evans"]);
    assert_eq!(found(&app, &desk, "g.evans@new").await, ["Gareth Evans"]);
    assert_eq!(
        found(&app, &desk, "555-222-3333").await,
        Vec::<String>::new()
    );
    assert_eq!(found(&app, &desk, "gareth@old").await, Vec::<String>::new());
    // The name terms are untouched by a contact change.
    assert_eq!(found(&app, &desk, "evans gar").await, ["Gareth Evans"]);
}

#[tokio::test]
async fn a_search_pages_in_name_order_with_the_lists_cursors() {
    let app = spawn_app().await;
    let desk = app.practice_admin("search-pages").await;
    for given in ["Eve", "Bea", "Dan", "Ada", "Cy"] {
        chart(&app, &desk, (given, "Pager", "1990-01-01", "", "", "")).await;
    }
    chart(&app, &desk, ("Zed", "Other", "1990-01-01", "", "", "")).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = search_body(&app, &desk, "pager", 2, after.as_deref()).await;
        let page = &body["data"]["patients"];
        let edges = page["edges"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert!(edges.len() <= 2);
        seen.extend(
            edges
                .iter()
                .map(|e| e["node"]["givenName"].as_str().unwrap().to_owned()),
        );
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = Some(edges.last().unwrap()["cursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, ["Ada", "Bea", "Cy", "Dan", "Eve"]);
}

/// Three thousand more charts in the practice, with statistics, so the planners weigh real
/// costs (on a table of one page every plan costs the same).
async fn seed_and_analyze(app: &TestApp) {
    let postgres = app.database.is_postgres();
    // The owner: on PostgreSQL it is not subject to row-level security.
    let conn = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let (id, birth) = if postgres {
        ("gen_random_uuid()", "date '1950-01-01' + i")
    } else {
        ("randomblob(16)", "date('1950-01-01', '+' || i || ' days')")
    };
    conn.execute_unprepared(&format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000) \
         INSERT INTO patients (tenant_id, id, given_name, family_name, birth_date, gender, \
           created_at, updated_at, mrn, phone, phone_reversed, email, email_lower, \
           search_family, search_given) \
         SELECT (SELECT tenant_id FROM patients LIMIT 1), {id}, 'G' || i, 'F' || i, {birth}, \
           'unknown', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'M' || i, '555' || i, \
           i || '555', 'p' || i || '@example.com', 'p' || i || '@example.com', \
           'f' || i, 'g' || i FROM s"
    ))
    .await
    .unwrap();
    for column in ["search_family", "search_given"] {
        conn.execute_unprepared(&format!(
            "INSERT INTO patient_search_terms (tenant_id, patient_id, term) \
             SELECT tenant_id, id, {column} FROM patients WHERE mrn LIKE 'M%'"
        ))
        .await
        .unwrap();
    }
    conn.execute_unprepared("ANALYZE").await.unwrap();
    conn.close().await.unwrap();
}

/// The plan of the search statement for `text`, one line per step.
async fn plan(app: &TestApp, tenant: &tenants::ResolvedTenant, text: &str) -> String {
    let db = app.db();
    let search = PatientSearch::parse(text).unwrap().unwrap();
    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Read)
        .await
        .unwrap();
    // The second page's statement: the order's keyset condition is part of it.
    let after = patient_search::After {
        search_family: "a".into(),
        search_given: "b".into(),
        id: uuid::Uuid::now_v7(),
    };
    let postgres = app.database.is_postgres();
    let backend = if postgres {
        DbBackend::Postgres
    } else {
        DbBackend::Sqlite
    };
    let built = patient_search::select(&tx, &search, Some(&after)).build(backend);
    tx.rollback().await.unwrap();
    let explain = if postgres {
        "EXPLAIN"
    } else {
        "EXPLAIN QUERY PLAN"
    };
    let rows = db
        .connection_for_adapters()
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("{explain} {}", built.sql),
            built.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            if postgres {
                r.try_get_by_index::<String>(0).unwrap()
            } else {
                r.try_get::<String>("", "detail").unwrap()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_kind_of_search_reaches_patients_through_an_index() {
    let app = spawn_app().await;
    front_desk(&app, "search-plans").await;
    seed_and_analyze(&app).await;
    let tenant = tenants::find_by_slug(&app.db(), "search-plans")
        .await
        .unwrap()
        .unwrap();
    for (text, indexes) in [
        (
            "gar mar",
            &[
                "ix_patient_search_terms_tenant_term",
                "ux_patients_tenant_mrn",
            ][..],
        ),
        (
            "555-123-4567",
            &[
                "ix_patients_tenant_phone_reversed",
                "ux_patients_tenant_mrn",
            ][..],
        ),
        ("maria@", &["ix_patients_tenant_email_lower"][..]),
        ("03/07/1984", &["ix_patients_tenant_birth_date"][..]),
    ] {
        let plan = plan(&app, &tenant, text).await;
        for index in indexes {
            assert!(plan.contains(index), "{text}: {index} not used:\n{plan}");
        }
        for scan in [
            "SCAN patients",
            "Seq Scan on patients",
            "SCAN patient_search_terms",
            "Seq Scan on patient_search_terms",
        ] {
            assert!(!plan.contains(scan), "{text}: full scan:\n{plan}");
        }
    }
}

#[test]
fn the_migration_folds_names_as_the_application_does() {
    use portico_migrations::m20261212_000027_patient_search::search_text;
    for name in [
        "María García-López",
        "O'Brien",
        "Ø Straße",
        "Jos\u{65}\u{301}",
        "Łukasz Żółć",
        "李 小龍",
        "  ",
    ] {
        assert_eq!(
            search_text::fold_words(name),
            patient_search::fold_words(name),
            "{name}"
        );
    }
}
