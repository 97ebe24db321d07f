//! The demo practice that `portico serve --demo` loads, so a fresh checkout has something to
//! show: a practice, a few charts, an admin (with two-step sign-in) and a patient account.
//! Loading it twice changes nothing. Demo credentials are for local use only.

use chrono::NaiveDate;

use crate::{
    CoreResult, Db, PatientId, TenantTx, UserId, accounts,
    audit::Actor,
    identity::Role,
    patients::{self, NewPatient},
    ports::Credentials,
    tenancy::Access,
    tenants::{self, Branding, NewTenant, ResolvedTenant},
};

pub const DEMO_SLUG: &str = "lakeside";
pub const ADMIN_EMAIL: &str = "admin@lakeside.example";
pub const PATIENT_EMAIL: &str = "avery@lakeside.example";
/// Both demo accounts use it.
pub const DEMO_PASSWORD: &str = "lakeside demo portal";

/// How to sign in to the demo practice.
pub struct DemoLogins {
    pub tenant: ResolvedTenant,
    /// The admin's TOTP secret, for an authenticator app (or `oathtool --totp -b`).
    pub admin_totp_secret: String,
}

pub async fn load(db: &Db, credentials: &dyn Credentials) -> CoreResult<DemoLogins> {
    if let Some(tenant) = tenants::find_by_slug(db, DEMO_SLUG).await? {
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
        let admin = accounts::find_by_email(&tx, ADMIN_EMAIL).await?;
        tx.rollback().await?;
        return Ok(DemoLogins {
            tenant,
            admin_totp_secret: admin.and_then(|a| a.totp_secret).unwrap_or_default(),
        });
    }
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
            }),
            custom_domain: None,
        },
    )
    .await?;
    let hash = credentials
        .hash(DEMO_PASSWORD)
        .map_err(|e| crate::CoreError::Adapter(e.to_string()))?;
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
    for (given, family, born, gender) in [
        ("Avery", "Stone", (1984, 3, 14), "female"),
        ("Jordan", "Reyes", (1991, 11, 2), "male"),
        ("Sam", "Okafor", (1958, 6, 30), "other"),
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
                email: None,
                phone: None,
            },
        )
        .await?;
        first_chart.get_or_insert(chart.id);
    }
    let avery =
        accounts::insert_user(&tx, PATIENT_EMAIL, "Avery Stone", Role::Patient, Some(hash)).await?;
    if let Some(chart) = first_chart {
        patients::link_account(
            &tx,
            &actor,
            PatientId::from_uuid(chart),
            UserId::from_uuid(avery.id),
        )
        .await?;
    }
    crate::scheduling::demo::load(
        &tx,
        &actor,
        &tenant.tenant,
        first_chart.map(PatientId::from_uuid),
    )
    .await?;
    tx.commit().await?;
    Ok(DemoLogins {
        tenant,
        admin_totp_secret: secret,
    })
}
