//! The demo practice that `portico serve --demo` loads, so a fresh checkout has something to
//! show. Loading it twice changes nothing.

use chrono::NaiveDate;

use crate::{
    CoreResult, Db, TenantTx,
    audit::Actor,
    patients::{self, NewPatient},
    tenancy::Access,
    tenants::{self, Branding, NewTenant, ResolvedTenant},
};

pub const DEMO_SLUG: &str = "lakeside";

pub async fn load(db: &Db) -> CoreResult<ResolvedTenant> {
    if let Some(existing) = tenants::find_by_slug(db, DEMO_SLUG).await? {
        return Ok(existing);
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
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let actor = Actor::system();
    for (given, family, born, gender) in [
        ("Avery", "Stone", (1984, 3, 14), "female"),
        ("Jordan", "Reyes", (1991, 11, 2), "male"),
        ("Sam", "Okafor", (1958, 6, 30), "other"),
    ] {
        patients::create(
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
    }
    tx.commit().await?;
    Ok(tenant)
}
