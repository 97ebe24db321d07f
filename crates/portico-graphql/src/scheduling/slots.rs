//! Open-slot search.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use portico_core::{
    identity::Role,
    scheduling::search::{self, Audience, SlotQuery},
    tenancy::Access,
};

use super::{
    access::{clock, uuid_of},
    objects::{Catalog, Location, Provider},
};
use crate::{ApiError, context::ContextExt, scalars::Date};

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
        let principal = ctx.authorize("scheduling", "read").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let query = SlotQuery {
            appointment_type_id: uuid_of(
                "AppointmentType",
                "appointmentTypeId",
                &appointment_type_id,
            )?,
            provider_id: provider_id
                .as_ref()
                .map(|id| uuid_of("Provider", "providerId", id))
                .transpose()?,
            location_id: location_id
                .as_ref()
                .map(|id| uuid_of("Location", "locationId", id))
                .transpose()?,
            from: from.0,
            to: to.0,
        };
        let audience = if principal.role == Role::Patient {
            Audience::Portal
        } else {
            Audience::Staff
        };
        let tx = ctx.tenant_tx(Access::Read).await?;
        let found = async {
            let offers = search::available(&tx, clock.tz, query, audience, clock.now).await?;
            Ok::<_, portico_core::CoreError>((offers, Catalog::load(&tx).await?))
        }
        .await;
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        let (offers, catalog) = found.map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(offers
            .into_iter()
            .map(|offer| AvailableSlot {
                offer,
                catalog: std::sync::Arc::clone(&catalog),
            })
            .collect())
    }
}
