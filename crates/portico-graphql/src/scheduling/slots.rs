//! Open-slot search.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use portico_core::{
    scheduling::search::{self, Audience, SlotQuery},
    tenancy::Access,
};

use super::{
    access::clock,
    objects::{Catalog, Location, Provider},
};
use crate::{
    global_id,
    run::{Need, Run},
    scalars::Date,
};

/// A time that can be booked with a provider at a location.
pub struct AvailableSlot {
    offer: search::Offer,
    catalog: std::sync::Arc<Catalog>,
}

#[Object]
impl AvailableSlot {
    async fn start(&self) -> DateTime<Utc> {
        self.offer.start
    }
    async fn end(&self) -> DateTime<Utc> {
        self.offer.end
    }
    async fn provider(&self) -> Option<Provider> {
        self.catalog.provider(self.offer.provider_id)
    }
    async fn location(&self) -> Option<Location> {
        self.catalog.location(self.offer.location_id)
    }
}

#[derive(Default)]
pub struct SlotsQuery;

#[Object]
impl SlotsQuery {
    /// Open slots for a type between two local dates (both included, at most 62 days), in
    /// the practice's time zone; optionally with one provider or at one location. Patients
    /// see what they may book online; staff see every free time.
    async fn available_slots(
        &self,
        ctx: &Context<'_>,
        appointment_type_id: ID,
        from: Date,
        to: Date,
        provider_id: Option<ID>,
        location_id: Option<ID>,
    ) -> async_graphql::Result<Vec<AvailableSlot>> {
        let clock = clock(ctx)?;
        let query = SlotQuery {
            appointment_type_id: global_id::parse(
                "AppointmentType",
                "appointmentTypeId",
                &appointment_type_id,
            )?,
            provider_id: global_id::parse_opt("Provider", "providerId", provider_id.as_ref())?,
            location_id: global_id::parse_opt("Location", "locationId", location_id.as_ref())?,
            from: from.0,
            to: to.0,
        };
        let (offers, catalog) = ctx
            .run(
                Need::to("scheduling", "read"),
                Access::Read,
                async |tx, caller| {
                    let audience = Audience::of(caller.principal.role);
                    let offers =
                        search::available(tx, clock.tz, query, audience, clock.now).await?;
                    Ok((offers, Catalog::load(tx).await?))
                },
            )
            .await?;
        Ok(offers
            .into_iter()
            .map(|offer| AvailableSlot {
                offer,
                catalog: std::sync::Arc::clone(&catalog),
            })
            .collect())
    }
}
