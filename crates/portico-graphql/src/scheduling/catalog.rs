//! The practice's catalogue: providers, locations, appointment types, weekly hours and the
//! cancellation window. Everyone signed in reads it; practice admins change it.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use portico_core::{
    CoreResult, TenantTx,
    audit::{self, Access as AuditAccess, Actor},
    identity::Role,
    scheduling::{
        appointments::DEFAULT_CANCELLATION_WINDOW_HOURS,
        availability::{self, WindowInput},
        catalog::{self, LocationFields, ProviderFields, TypeFields},
    },
    tenancy::Access,
    tenants,
};
use uuid::Uuid;

use super::{
    access::uuid_of,
    objects::{AppointmentType, Catalog, Eligibility, Location, Provider, VisitMode, minutes},
};
use crate::{
    ApiError,
    context::ContextExt,
    user_error::{UserError, settle},
};

async fn audit_change(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    resource_type: &str,
    id: Uuid,
) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        AuditAccess {
            action,
            resource_type,
            resource_id: Some(id),
            patient_id: None,
        },
    )
    .await
}

async fn read_catalog(ctx: &Context<'_>) -> async_graphql::Result<(Arc<Catalog>, bool)> {
    let principal = ctx.authorize("scheduling", "read").await?.clone();
    let request_id = ctx.request()?.request_id.clone();
    let tx = ctx.tenant_tx(Access::Read).await?;
    let loaded = Catalog::load(&tx).await;
    tx.rollback()
        .await
        .map_err(|e| ApiError::from_core(e, &request_id))?;
    let catalog = loaded.map_err(|e| ApiError::from_core(e, &request_id))?;
    Ok((catalog, principal.role == Role::Patient))
}

#[derive(SimpleObject)]
pub struct SchedulingSettings {
    /// IANA time zone of every calendar of the practice.
    time_zone: String,
    /// Inside this many hours before a visit, the portal refuses to cancel or move it.
    cancellation_window_hours: i32,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Providers patients can book with (staff may include inactive ones).
    async fn providers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> async_graphql::Result<Vec<Provider>> {
        let (catalog, patient) = read_catalog(ctx).await?;
        let mut list: Vec<Provider> = catalog
            .providers
            .values()
            .filter(|p| p.active || (include_inactive && !patient))
            .filter_map(|p| catalog.provider(p.id))
            .collect();
        list.sort_by(|a, b| a.model.display_name.cmp(&b.model.display_name));
        Ok(list)
    }

    async fn locations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> async_graphql::Result<Vec<Location>> {
        let (catalog, patient) = read_catalog(ctx).await?;
        let mut list: Vec<Location> = catalog
            .locations
            .values()
            .filter(|l| l.active || (include_inactive && !patient))
            .cloned()
            .map(Location)
            .collect();
        list.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(list)
    }

    /// Appointment types: patients see those they can book online; staff see all.
    async fn appointment_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> async_graphql::Result<Vec<AppointmentType>> {
        let (catalog, patient) = read_catalog(ctx).await?;
        let mut list: Vec<AppointmentType> = catalog
            .types
            .values()
            .filter(|t| {
                (t.active || (include_inactive && !patient)) && (t.bookable_online || !patient)
            })
            .cloned()
            .map(AppointmentType)
            .collect();
        list.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(list)
    }

    async fn scheduling_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<SchedulingSettings> {
        ctx.authorize("scheduling", "read").await?;
        let tenant = &ctx.tenant()?.tenant;
        Ok(SchedulingSettings {
            time_zone: tenant.time_zone.clone(),
            cancellation_window_hours: tenant
                .cancellation_window_hours
                .unwrap_or(DEFAULT_CANCELLATION_WINDOW_HOURS),
        })
    }
}

#[derive(InputObject)]
pub struct ProviderInput {
    /// Set to change a provider; unset to add one.
    id: Option<ID>,
    display_name: String,
    specialty: Option<String>,
    /// The provider's staff account, when they have one (only when adding).
    user_id: Option<ID>,
    #[graphql(default = true)]
    active: bool,
}

#[derive(SimpleObject, Default)]
pub struct ProviderPayload {
    provider: Option<Provider>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct LocationInput {
    /// Set to change a location; unset to add one.
    id: Option<ID>,
    name: String,
    address: Option<String>,
    #[graphql(default = true)]
    active: bool,
}

#[derive(SimpleObject, Default)]
pub struct LocationPayload {
    location: Option<Location>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AppointmentTypeInput {
    /// Set to change a type; unset to add one.
    id: Option<ID>,
    name: String,
    /// 5 to 480.
    duration_minutes: i32,
    #[graphql(default_with = "VisitMode::InPerson")]
    mode: VisitMode,
    #[graphql(default = true)]
    bookable_online: bool,
    #[graphql(default_with = "Eligibility::Any")]
    eligibility: Eligibility,
    /// 0 to 120.
    #[graphql(default = 0)]
    buffer_before_minutes: i32,
    /// 0 to 120.
    #[graphql(default = 0)]
    buffer_after_minutes: i32,
    /// 0 to 43200 (30 days).
    #[graphql(default = 120)]
    min_lead_minutes: i32,
    /// 1 to 730.
    #[graphql(default = 90)]
    horizon_days: i32,
    #[graphql(default = true)]
    active: bool,
}

#[derive(SimpleObject, Default)]
pub struct AppointmentTypePayload {
    appointment_type: Option<AppointmentType>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct WindowEntry {
    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    weekday: i32,
    /// `HH:MM`, local time.
    start: String,
    /// `HH:MM`, local time (`24:00` for midnight).
    end: String,
}

#[derive(InputObject)]
pub struct SetWeeklyAvailabilityInput {
    provider_id: ID,
    location_id: ID,
    /// The provider's whole week at this location; an empty list clears it.
    windows: Vec<WindowEntry>,
}

#[derive(SimpleObject, Default)]
pub struct SetWeeklyAvailabilityPayload {
    provider: Option<Provider>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateSchedulingSettingsInput {
    /// 0 to 336 (two weeks); unset restores the default (24).
    cancellation_window_hours: Option<i32>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateSchedulingSettingsPayload {
    scheduling_settings: Option<SchedulingSettings>,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Adds or changes a provider (practice admins).
    async fn save_provider(
        &self,
        ctx: &Context<'_>,
        input: ProviderInput,
    ) -> async_graphql::Result<ProviderPayload> {
        let principal = ctx.authorize("scheduling", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let id = input
            .id
            .as_ref()
            .map(|id| uuid_of("Provider", "id", id))
            .transpose()?;
        let user_id = input
            .user_id
            .as_ref()
            .map(|id| uuid_of("User", "userId", id))
            .transpose()?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let fields = ProviderFields {
            display_name: input.display_name,
            specialty: input.specialty,
            user_id,
            active: input.active,
        };
        let saved = async {
            let saved = match id {
                Some(id) => catalog::update_provider(&tx, id, fields).await?,
                None => catalog::create_provider(&tx, fields).await?,
            };
            audit_change(
                &tx,
                &ctx.actor(&principal),
                "provider.save",
                "Provider",
                saved.id,
            )
            .await?;
            let catalog = Catalog::load(&tx).await?;
            Ok(catalog.provider(saved.id))
        }
        .await;
        Ok(match settle(tx, saved, &request_id).await? {
            Ok(provider) => ProviderPayload {
                provider,
                user_errors: Vec::new(),
            },
            Err(user_errors) => ProviderPayload {
                provider: None,
                user_errors,
            },
        })
    }

    /// Adds or changes a location (practice admins).
    async fn save_location(
        &self,
        ctx: &Context<'_>,
        input: LocationInput,
    ) -> async_graphql::Result<LocationPayload> {
        let principal = ctx.authorize("scheduling", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let id = input
            .id
            .as_ref()
            .map(|id| uuid_of("Location", "id", id))
            .transpose()?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let fields = LocationFields {
            name: input.name,
            address: input.address,
            active: input.active,
        };
        let saved = async {
            let saved = match id {
                Some(id) => catalog::update_location(&tx, id, fields).await?,
                None => catalog::create_location(&tx, fields).await?,
            };
            audit_change(
                &tx,
                &ctx.actor(&principal),
                "location.save",
                "Location",
                saved.id,
            )
            .await?;
            Ok(saved)
        }
        .await;
        Ok(match settle(tx, saved, &request_id).await? {
            Ok(saved) => LocationPayload {
                location: Some(Location(saved)),
                user_errors: Vec::new(),
            },
            Err(user_errors) => LocationPayload {
                location: None,
                user_errors,
            },
        })
    }

    /// Adds or changes an appointment type (practice admins). Booked appointments keep
    /// their times.
    async fn save_appointment_type(
        &self,
        ctx: &Context<'_>,
        input: AppointmentTypeInput,
    ) -> async_graphql::Result<AppointmentTypePayload> {
        let principal = ctx.authorize("scheduling", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let id = input
            .id
            .as_ref()
            .map(|id| uuid_of("AppointmentType", "id", id))
            .transpose()?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let fields = TypeFields {
            name: input.name,
            duration_minutes: input.duration_minutes,
            mode: input.mode.as_str().to_owned(),
            bookable_online: input.bookable_online,
            eligibility: input.eligibility.as_str().to_owned(),
            buffer_before_minutes: input.buffer_before_minutes,
            buffer_after_minutes: input.buffer_after_minutes,
            min_lead_minutes: input.min_lead_minutes,
            horizon_days: input.horizon_days,
            active: input.active,
        };
        let saved = async {
            let saved = match id {
                Some(id) => catalog::update_type(&tx, id, fields).await?,
                None => catalog::create_type(&tx, fields).await?,
            };
            audit_change(
                &tx,
                &ctx.actor(&principal),
                "appointment_type.save",
                "AppointmentType",
                saved.id,
            )
            .await?;
            Ok(saved)
        }
        .await;
        Ok(match settle(tx, saved, &request_id).await? {
            Ok(saved) => AppointmentTypePayload {
                appointment_type: Some(AppointmentType(saved)),
                user_errors: Vec::new(),
            },
            Err(user_errors) => AppointmentTypePayload {
                appointment_type: None,
                user_errors,
            },
        })
    }

    /// Replaces a provider's weekly hours at one location (practice admins).
    async fn set_weekly_availability(
        &self,
        ctx: &Context<'_>,
        input: SetWeeklyAvailabilityInput,
    ) -> async_graphql::Result<SetWeeklyAvailabilityPayload> {
        let principal = ctx.authorize("scheduling", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let provider = uuid_of("Provider", "providerId", &input.provider_id)?;
        let location = uuid_of("Location", "locationId", &input.location_id)?;
        let mut windows = Vec::with_capacity(input.windows.len());
        for w in &input.windows {
            let (Some(start), Some(end)) = (minutes(&w.start), minutes(&w.end)) else {
                return Ok(SetWeeklyAvailabilityPayload {
                    provider: None,
                    user_errors: vec![UserError {
                        field: "windows".to_owned(),
                        code: "INVALID_TIME".to_owned(),
                        message: "times are HH:MM, 00:00 to 24:00".to_owned(),
                    }],
                });
            };
            windows.push(WindowInput {
                weekday: i16::try_from(w.weekday).unwrap_or(0),
                start_minute: start,
                end_minute: end,
            });
        }
        let tx = ctx.tenant_tx(Access::Write).await?;
        let saved = async {
            availability::set_weekly(&tx, provider, location, &windows).await?;
            audit_change(
                &tx,
                &ctx.actor(&principal),
                "availability.set",
                "Provider",
                provider,
            )
            .await?;
            let catalog = Catalog::load(&tx).await?;
            Ok(catalog.provider(provider))
        }
        .await;
        Ok(match settle(tx, saved, &request_id).await? {
            Ok(provider) => SetWeeklyAvailabilityPayload {
                provider,
                user_errors: Vec::new(),
            },
            Err(user_errors) => SetWeeklyAvailabilityPayload {
                provider: None,
                user_errors,
            },
        })
    }

    /// Sets the practice's cancellation window (practice admins).
    async fn update_scheduling_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSchedulingSettingsInput,
    ) -> async_graphql::Result<UpdateSchedulingSettingsPayload> {
        let principal = ctx.authorize("scheduling", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let updated = async {
            let updated =
                tenants::set_cancellation_window(&tx, input.cancellation_window_hours).await?;
            audit_change(
                &tx,
                &ctx.actor(&principal),
                "settings.cancellation_window",
                "Tenant",
                updated.tenant.id,
            )
            .await?;
            Ok(updated)
        }
        .await;
        Ok(match settle(tx, updated, &request_id).await? {
            Ok(updated) => UpdateSchedulingSettingsPayload {
                scheduling_settings: Some(SchedulingSettings {
                    time_zone: updated.tenant.time_zone.clone(),
                    cancellation_window_hours: updated
                        .tenant
                        .cancellation_window_hours
                        .unwrap_or(DEFAULT_CANCELLATION_WINDOW_HOURS),
                }),
                user_errors: Vec::new(),
            },
            Err(user_errors) => UpdateSchedulingSettingsPayload {
                scheduling_settings: None,
                user_errors,
            },
        })
    }
}
