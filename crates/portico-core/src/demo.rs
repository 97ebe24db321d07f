//! The demo practice that `portico serve --demo` loads, so a fresh checkout has something to
//! show: a practice, a few charts, an admin and a front-desk staff member (with two-step
//! sign-in), a patient account, and a platform operator for the console's operator pages.
//! Loading it twice changes nothing; loading it over an older demo adds what is missing.
//! Demo credentials are for local use only.

use chrono::{Duration, NaiveDate, Utc};

use crate::{
    CoreResult, Db, PatientId, TenantTx, UserId, accounts,
    audit::Actor,
    chart_access::{OpenChart, Relationship},
    entities::patient,
    identity::Role,
    patients::{self, NewPatient},
    ports::Credentials,
    records,
    tenancy::Access,
    tenants::{self, Branding, NewTenant, ResolvedTenant},
};

pub const DEMO_SLUG: &str = "lakeside";
/// The demo practice's phone number (a 555-01xx number, reserved for fiction).
pub const DEMO_PHONE: &str = "(555) 010-0199";
pub const ADMIN_EMAIL: &str = "admin@lakeside.example";
pub const PATIENT_EMAIL: &str = "avery@lakeside.example";
/// The email on the chart of Jordan Reyes, a demo patient without a portal account: the
/// survey of his visit of yesterday goes there (the portal's feedback journey answers it, and
/// no other journey changes his preferences meanwhile).
pub const SURVEY_PATIENT_EMAIL: &str = "jordan.reyes@lakeside.example";
/// A front-desk staff member of the demo practice (role `staff`).
pub const FRONT_DESK_EMAIL: &str = "frontdesk@lakeside.example";
/// A platform operator (of the `platform` tenant), for the console's operator pages.
pub const OPERATOR_EMAIL: &str = "operator@portico.example";
/// Every demo account uses it.
pub const DEMO_PASSWORD: &str = "lakeside demo portal";

/// How to sign in to the demo practice.
pub struct DemoLogins {
    pub tenant: ResolvedTenant,
    /// The admin's TOTP secret, for an authenticator app (or `oathtool --totp -b`). The front
    /// desk and the operator use the same one, so one printed secret serves all three.
    pub admin_totp_secret: String,
}

/// A small chart for the demo patient: cholesterol and glucose results over a year (one
/// flagged high) in lab reports, visits with summaries, prescriptions (one to renew), an
/// allergy, problems, immunizations (a booster falling due) and an emergency contact.
async fn demo_chart(tx: &TenantTx, actor: &Actor, chart: patient::Model) -> CoreResult<()> {
    let open = OpenChart {
        chart,
        relationship: Relationship::Staff,
        break_glass: None,
    };
    let now = Utc::now();
    let days = |d: i64| now - Duration::days(d);
    for (ago, summary) in [
        (
            370,
            "Annual check-up. Blood pressure 128/82. Fasting labs ordered; diet and exercise \
             advice for borderline cholesterol.",
        ),
        (
            30,
            "Follow-up for cholesterol. Started atorvastatin 20 mg nightly. Recheck lipids in \
             three months.",
        ),
    ] {
        records::encounters::save(
            tx,
            actor,
            &open,
            None,
            records::encounters::EncounterInput {
                status: "finished".to_owned(),
                class: "ambulatory".to_owned(),
                reason: Some("Check-up".to_owned()),
                summary: Some(summary.to_owned()),
                practitioner_name: Some("Dr. Priya Natarajan".to_owned()),
                started_at: Some(days(ago)),
                ended_at: Some(days(ago) + Duration::minutes(30)),
            },
        )
        .await?;
    }
    // Three lipid panels: before the first visit, before the follow-up, and one since.
    for (ago, ldl, flag) in [(372, 138.0, "H"), (32, 162.0, "H"), (3, 96.0, "N")] {
        let report = records::reports::save(
            tx,
            actor,
            &open,
            None,
            records::reports::ReportInput {
                status: "final".to_owned(),
                code: "57698-3".to_owned(),
                display: "Lipid panel with direct LDL".to_owned(),
                conclusion: Some(if flag == "H" {
                    "LDL above goal.".to_owned()
                } else {
                    "LDL at goal on treatment.".to_owned()
                }),
                effective_at: Some(days(ago)),
                issued_at: Some(days(ago) + Duration::hours(20)),
                encounter_id: None,
            },
        )
        .await?;
        for (code, display, value, low, high, flag) in [
            (
                "18262-6",
                "LDL cholesterol (direct)",
                ldl,
                None,
                Some(100.0),
                flag,
            ),
            ("2085-9", "HDL cholesterol", 52.0, Some(40.0), None, "N"),
            (
                "2345-7",
                "Glucose",
                94.0 + (ago % 7) as f64,
                Some(70.0),
                Some(99.0),
                "N",
            ),
        ] {
            records::observations::create(
                tx,
                actor,
                &open,
                records::observations::ObservationInput {
                    status: "final".to_owned(),
                    code: code.to_owned(),
                    display: display.to_owned(),
                    value: Some(value),
                    unit: Some("mg/dL".to_owned()),
                    range_low: low,
                    range_high: high,
                    interpretation: Some(flag.to_owned()),
                    effective_at: Some(days(ago)),
                    report_id: Some(report.id),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    for (name, rxnorm, dosage, refills, controlled) in [
        (
            "Atorvastatin 20 mg tablet",
            "617310",
            "1 tablet by mouth at bedtime",
            3,
            false,
        ),
        (
            "Lisinopril 10 mg tablet",
            "314076",
            "1 tablet by mouth daily",
            0,
            false,
        ),
    ] {
        records::medications::save(
            tx,
            actor,
            &open,
            None,
            records::medications::MedicationInput {
                status: "active".to_owned(),
                name: name.to_owned(),
                rxnorm_code: Some(rxnorm.to_owned()),
                dosage: dosage.to_owned(),
                refills_left: refills,
                prescriber_name: Some("Dr. Priya Natarajan".to_owned()),
                last_filled_on: Some((days(20)).date_naive()),
                controlled,
                authored_at: Some(days(30)),
                ..Default::default()
            },
        )
        .await?;
    }
    records::allergies::save(
        tx,
        actor,
        &open,
        None,
        records::allergies::AllergyInput {
            status: "active".to_owned(),
            substance: "Penicillin".to_owned(),
            reaction: Some("Hives".to_owned()),
            severity: Some("moderate".to_owned()),
            ..Default::default()
        },
    )
    .await?;
    for (code, name, onset) in [
        ("E78.5", "Hyperlipidemia", 370),
        ("I10", "Essential hypertension", 900),
    ] {
        records::conditions::save(
            tx,
            actor,
            &open,
            None,
            records::conditions::ConditionInput {
                status: "active".to_owned(),
                code: Some(code.to_owned()),
                name: name.to_owned(),
                onset_on: Some(days(onset).date_naive()),
                abated_on: None,
            },
        )
        .await?;
    }
    for (code, name, ago, next) in [
        ("115", "Tdap", 3640, Some(10)),
        ("150", "Influenza, injectable, quadrivalent", 60, None),
    ] {
        records::immunizations::save(
            tx,
            actor,
            &open,
            None,
            records::immunizations::ImmunizationInput {
                status: "completed".to_owned(),
                vaccine_code: Some(code.to_owned()),
                vaccine_name: name.to_owned(),
                occurred_on: Some(days(ago).date_naive()),
                next_due_on: next.map(|d| (now + Duration::days(d)).date_naive()),
            },
        )
        .await?;
    }
    records::emergency::add_contact(
        tx,
        actor,
        &open,
        records::emergency::ContactInput {
            name: "Morgan Stone".to_owned(),
            relationship: "spouse".to_owned(),
            phone: "+1 312 555 0142".to_owned(),
            email: None,
        },
    )
    .await?;
    Ok(())
}

pub async fn load(db: &Db, credentials: &dyn Credentials) -> CoreResult<DemoLogins> {
    let (tenant, secret) = match tenants::find_by_slug(db, DEMO_SLUG).await? {
        Some(tenant) => {
            let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
            let admin = accounts::find_by_email(&tx, ADMIN_EMAIL).await?;
            // A demo loaded before practices had a phone number gets the demo's.
            let tenant = if tenant.tenant.phone.is_none() {
                crate::branding::update(
                    &tx,
                    crate::branding::BrandingChange {
                        phone: Some(DEMO_PHONE.to_owned()),
                        ..Default::default()
                    },
                )
                .await?
            } else {
                tenant
            };
            tx.commit().await?;
            let secret = admin.and_then(|a| a.totp_secret).unwrap_or_default();
            (tenant, secret)
        }
        None => load_practice(db, credentials).await?,
    };
    add_console_logins(db, &tenant, credentials, &secret).await?;
    Ok(DemoLogins {
        tenant,
        admin_totp_secret: secret,
    })
}

/// The front desk at the practice and the operator at the platform, unless they exist: the
/// demo password, and two-step sign-in on the admin's secret (none when it has none).
async fn add_console_logins(
    db: &Db,
    practice: &ResolvedTenant,
    credentials: &dyn Credentials,
    secret: &str,
) -> CoreResult<()> {
    let platform = tenants::platform(db).await?;
    for (tenant, email, name, role) in [
        (practice, FRONT_DESK_EMAIL, "Frankie Desk", Role::Staff),
        (&platform, OPERATOR_EMAIL, "Olive Operator", Role::Operator),
    ] {
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
        if accounts::find_by_email(&tx, email).await?.is_some() {
            tx.rollback().await?;
            continue;
        }
        let hash = credentials
            .hash(DEMO_PASSWORD)
            .map_err(crate::CoreError::adapter)?;
        let actor = Actor::system();
        let user = accounts::insert_user(&tx, email, name, role, Some(hash)).await?;
        if !secret.is_empty() {
            accounts::set_totp(&tx, &user, secret).await?;
        }
        if role == Role::Staff {
            // The front desk answers the front-desk pool's messages in the console.
            let pools = crate::messaging::pools::list(&tx, false).await?;
            if let Some(pool) = pools.iter().find(|p| p.kind == "front_desk") {
                crate::messaging::pools::add_member(&tx, &actor, pool.id, user.id).await?;
            }
        } else {
            crate::audit::record(
                &tx,
                &actor,
                crate::audit::Access {
                    action: "operator.create",
                    resource_type: "User",
                    resource_id: Some(user.id),
                    patient_id: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The practice, its admin, patient, charts and everything in them; returns the admin's
/// TOTP secret.
async fn load_practice(
    db: &Db,
    credentials: &dyn Credentials,
) -> CoreResult<(ResolvedTenant, String)> {
    let tenant = tenants::create(
        db,
        NewTenant {
            slug: DEMO_SLUG.to_owned(),
            name: "Lakeside Family Medicine".to_owned(),
            time_zone: "America/Chicago".to_owned(),
            branding: Some(Branding {
                display_name: "Lakeside Family Medicine".to_owned(),
                logo_url: None,
                primary_color: "#0f766e".to_owned(),
                phone: Some(DEMO_PHONE.to_owned()),
            }),
            custom_domain: None,
        },
    )
    .await?;
    let hash = credentials
        .hash(DEMO_PASSWORD)
        .map_err(crate::CoreError::adapter)?;
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let actor = Actor::system();
    let admin = accounts::insert_user(
        &tx,
        ADMIN_EMAIL,
        "Dana Admin",
        Role::PracticeAdmin,
        Some(hash.clone()),
    )
    .await?;
    let secret = credentials.new_totp_secret();
    accounts::set_totp(&tx, &admin, &secret).await?;
    let mut first_chart = None;
    let mut demo_charts = Vec::new();
    for (given, family, born, gender, email) in [
        ("Avery", "Stone", (1984, 3, 14), "female", None),
        (
            "Jordan",
            "Reyes",
            (1991, 11, 2),
            "male",
            Some(SURVEY_PATIENT_EMAIL),
        ),
        ("Sam", "Okafor", (1958, 6, 30), "other", None),
    ] {
        let chart = patients::create(
            &tx,
            &actor,
            NewPatient {
                mrn: None,
                given_name: given.to_owned(),
                family_name: family.to_owned(),
                birth_date: NaiveDate::from_ymd_opt(born.0, born.1, born.2),
                gender: gender.to_owned(),
                email: email.map(str::to_owned),
                phone: None,
            },
        )
        .await?;
        first_chart.get_or_insert(chart.id);
        demo_charts.push(chart.id);
    }
    let avery =
        accounts::insert_user(&tx, PATIENT_EMAIL, "Avery Stone", Role::Patient, Some(hash)).await?;
    crate::messaging::demo::load(&tx, &actor, admin.id, first_chart.map(|c| (c, avery.id))).await?;
    if let Some(chart) = first_chart {
        let linked = patients::link_account(
            &tx,
            &actor,
            PatientId::from_uuid(chart),
            UserId::from_uuid(avery.id),
        )
        .await?;
        demo_chart(&tx, &actor, linked).await?;
    }
    crate::scheduling::demo::load(
        &tx,
        &actor,
        &tenant.tenant,
        first_chart.map(PatientId::from_uuid),
    )
    .await?;
    crate::feedback::demo::load(&tx, &demo_charts).await?;
    crate::forms::demo::load(&tx, &actor, first_chart.map(PatientId::from_uuid)).await?;
    crate::readings::demo::load(&tx, &actor, admin.id, DEMO_PHONE).await?;
    crate::education::demo::load(&tx, &actor, admin.id).await?;
    tx.commit().await?;
    Ok((tenant, secret))
}
