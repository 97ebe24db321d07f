//! A patient's contact details, address, preferred language and pharmacy: changed by the
//! patient (or staff) with every change kept in `patient_contact_history` and audited.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::{OpenChart, Relationship},
    entities::{contact_change, patient},
    events,
    records::{self, Page},
};

/// Fields to change: `None` leaves one as it is, an empty string clears it.
#[derive(Clone, Debug, Default)]
pub struct ContactUpdate {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub preferred_language: Option<String>,
    pub preferred_pharmacy: Option<String>,
}

type Check = fn(&'static str, &str) -> CoreResult<String>;

/// A field to change: its input name, the new value, where it goes, and its check.
type Field<'a> = (
    &'static str,
    Option<String>,
    &'a mut Option<String>,
    &'a dyn Fn(&'static str, &str) -> CoreResult<String>,
);

fn text(max: usize) -> impl Fn(&'static str, &str) -> CoreResult<String> {
    move |field, value| {
        if value.chars().count() > max || value.chars().any(char::is_control) {
            Err(CoreError::invalid(
                field,
                "INVALID_VALUE",
                format!("at most {max} characters, on one line"),
            ))
        } else {
            Ok(value.to_owned())
        }
    }
}

fn email(field: &'static str, value: &str) -> CoreResult<String> {
    crate::accounts::normalize_email(value).map_err(|e| e.on_field(field))
}

fn country(field: &'static str, value: &str) -> CoreResult<String> {
    if value.len() == 2 && value.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(value.to_ascii_uppercase())
    } else {
        Err(CoreError::invalid(
            field,
            "INVALID_COUNTRY",
            "an ISO 3166 two-letter country code",
        ))
    }
}

/// A BCP 47 tag such as `en`, `es-MX` or `zh-Hant`.
fn language(field: &'static str, value: &str) -> CoreResult<String> {
    let mut parts = value.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok && value.len() <= 35 {
        Ok(value.to_owned())
    } else {
        Err(CoreError::invalid(
            field,
            "INVALID_LANGUAGE",
            "a language tag such as en or es-MX",
        ))
    }
}

/// Applies `update` to the chart, keeps the new values in the history and audits
/// `patient.contact_update`. The patient themself or staff; a proxy cannot.
pub async fn update(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    update: ContactUpdate,
) -> CoreResult<patient::Model> {
    if chart.relationship == Relationship::Proxy {
        return Err(CoreError::NotFound);
    }
    let current = chart.chart.clone();
    let mut next = current.clone();
    let mut changed: Vec<&str> = Vec::new();
    let phone: Check = records::emergency::phone;
    let fields: [Field<'_>; 9] = [
        ("email", update.email, &mut next.email, &email),
        ("phone", update.phone, &mut next.phone, &phone),
        (
            "addressLine",
            update.address_line,
            &mut next.address_line,
            // The chart's column (`patients.address_line`) holds 200.
            &text(200),
        ),
        ("city", update.city, &mut next.city, &text(100)),
        ("region", update.region, &mut next.region, &text(100)),
        (
            "postalCode",
            update.postal_code,
            &mut next.postal_code,
            &text(20),
        ),
        ("country", update.country, &mut next.country, &country),
        (
            "preferredLanguage",
            update.preferred_language,
            &mut next.preferred_language,
            &language,
        ),
        (
            "preferredPharmacy",
            update.preferred_pharmacy,
            &mut next.preferred_pharmacy,
            &text(300),
        ),
    ];
    for (field, value, slot, check) in fields {
        let Some(value) = value else { continue };
        let value = value.trim();
        let new = if value.is_empty() {
            None
        } else {
            Some(check(field, value)?)
        };
        if *slot != new {
            *slot = new;
            changed.push(field);
        }
    }
    if changed.is_empty() {
        return Err(CoreError::invalid(
            "input",
            "NO_CHANGES",
            "nothing to change",
        ));
    }
    let now = Utc::now();
    let mut active: patient::ActiveModel = current.into();
    // Only the changed columns are written, so two people changing different details at
    // once both keep their change.
    let has = |field: &str| changed.contains(&field);
    // A new address gets a fresh start after a bounce.
    if has("email") {
        active.email = Set(next.email.clone());
        active.email_bounced_at = Set(None);
    }
    if has("phone") {
        active.phone = Set(next.phone.clone());
        active.phone_bounced_at = Set(None);
    }
    if has("addressLine") {
        active.address_line = Set(next.address_line.clone());
    }
    if has("city") {
        active.city = Set(next.city.clone());
    }
    if has("region") {
        active.region = Set(next.region.clone());
    }
    if has("postalCode") {
        active.postal_code = Set(next.postal_code.clone());
    }
    if has("country") {
        active.country = Set(next.country.clone());
    }
    if has("preferredLanguage") {
        active.preferred_language = Set(next.preferred_language.clone());
    }
    if has("preferredPharmacy") {
        active.preferred_pharmacy = Set(next.preferred_pharmacy.clone());
    }
    active.updated_at = Set(now);
    let updated = active.update(tx.conn()).await?;
    events::publish(
        tx,
        events::Event::ContactDetailsChanged {
            patient_id: updated.id,
        },
    )
    .await?;
    let change = contact_change::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(updated.id),
        changed_by: Set(actor.id),
        changed_fields: Set(changed.join(",")),
        email: Set(next.email),
        phone: Set(next.phone),
        address_line: Set(next.address_line),
        city: Set(next.city),
        region: Set(next.region),
        postal_code: Set(next.postal_code),
        country: Set(next.country),
        preferred_language: Set(next.preferred_language),
        preferred_pharmacy: Set(next.preferred_pharmacy),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    records::audit(
        tx,
        actor,
        chart,
        "patient.contact_update",
        "PatientContactChange",
        Some(change.id),
    )
    .await?;
    Ok(updated)
}

/// The changes, newest first, audited as `patient.contact_history`.
pub async fn history(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    page: Page,
) -> CoreResult<Vec<contact_change::Model>> {
    let rows = tx
        .find::<contact_change::Entity>()
        .filter(contact_change::Column::PatientId.eq(chart.id()))
        .order_by_desc(contact_change::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(tx.conn())
        .await?;
    records::audit(
        tx,
        actor,
        chart,
        "patient.contact_history",
        "PatientContactChange",
        None,
    )
    .await?;
    Ok(rows)
}
