//! Patients change their contact details, address, preferred language and pharmacy; every
//! change is kept, and the history is visible to staff and the patient.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, connection::query};
use chrono::{DateTime, Utc};
use portico_core::{
    contact_details::{self, ContactUpdate},
    entities::contact_change,
};
use uuid::Uuid;

use crate::{
    chart_access, global_id,
    patients::Patient,
    records::{self, Page_},
    run::{OutcomeExt, refusable},
    user_error::UserError,
};

/// One change of contact details: the values after it.
#[derive(SimpleObject)]
pub struct ContactChange {
    id: ID,
    at: DateTime<Utc>,
    /// The user who made it.
    changed_by: Option<ID>,
    /// The fields that changed, in the input's spelling (`phone`, `preferredPharmacy`).
    changed_fields: Vec<String>,
    email: Option<String>,
    phone: Option<String>,
    address_line: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    preferred_language: Option<String>,
    preferred_pharmacy: Option<String>,
}

impl From<contact_change::Model> for ContactChange {
    fn from(m: contact_change::Model) -> Self {
        Self {
            id: global_id::encode("ContactChange", m.id),
            at: m.created_at,
            changed_by: m.changed_by.map(|u| global_id::encode("User", u)),
            changed_fields: m.changed_fields.split(',').map(str::to_owned).collect(),
            email: m.email,
            phone: m.phone,
            address_line: m.address_line,
            city: m.city,
            region: m.region,
            postal_code: m.postal_code,
            country: m.country,
            preferred_language: m.preferred_language,
            preferred_pharmacy: m.preferred_pharmacy,
        }
    }
}

pub(crate) async fn history(
    ctx: &Context<'_>,
    patient: Uuid,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Page_<ContactChange>> {
    query(
        after,
        None,
        first,
        None,
        |after: Option<usize>, _: Option<usize>, first, _| async move {
            let page = records::page_of(after, first);
            let rows = chart_access::read(ctx, patient, async |tx, opened| {
                contact_details::history(tx, &opened.actor, &opened.chart, page).await
            })
            .await?;
            let connection =
                records::connection(page, records::shown(page, rows), ContactChange::from);
            Ok::<_, async_graphql::Error>(connection)
        },
    )
    .await
}

/// Fields left out stay as they are; an empty string clears one.
#[derive(InputObject)]
pub struct UpdateContactDetailsInput {
    patient_id: ID,
    email: Option<String>,
    phone: Option<String>,
    address_line: Option<String>,
    city: Option<String>,
    /// State or province.
    region: Option<String>,
    postal_code: Option<String>,
    /// ISO 3166 two-letter code.
    country: Option<String>,
    /// BCP 47 tag, e.g. `en`, `es-MX`.
    preferred_language: Option<String>,
    /// The pharmacy prescriptions go to.
    preferred_pharmacy: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateContactDetailsPayload {
    patient: Option<Patient>,
    user_errors: Vec<UserError>,
}

refusable!(UpdateContactDetailsPayload);

#[derive(Default)]
pub struct ContactDetailsMutation;

#[Object]
impl ContactDetailsMutation {
    /// Changes contact details (the patient on their own chart, or staff); the change is
    /// kept in `Patient.contactHistory`.
    async fn update_contact_details(
        &self,
        ctx: &Context<'_>,
        input: UpdateContactDetailsInput,
    ) -> async_graphql::Result<UpdateContactDetailsPayload> {
        let patient = chart_access::patient_id(&input.patient_id)?;
        let update = ContactUpdate {
            email: input.email,
            phone: input.phone,
            address_line: input.address_line,
            city: input.city,
            region: input.region,
            postal_code: input.postal_code,
            country: input.country,
            preferred_language: input.preferred_language,
            preferred_pharmacy: input.preferred_pharmacy,
        };
        let outcome =
            chart_access::mutate(ctx, chart_access::writing(), patient, async |tx, opened| {
                contact_details::update(tx, &opened.actor, &opened.chart, update).await
            })
            .await?;
        Ok(outcome.payload(|p| UpdateContactDetailsPayload {
            patient: Some(Patient(p)),
            user_errors: Vec::new(),
        }))
    }
}
