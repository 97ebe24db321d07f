//! The practice's catalogue: providers, locations, appointment types, weekly hours and the
//! cancellation window. Everyone signed in reads it; practice admins change it.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use portico_core::{
    CoreError, CoreResult,
    entities::tenant,
    identity::Role,
    scheduling::{
        appointments::DEFAULT_CANCELLATION_WINDOW_HOURS,
        availability::WindowInput,
        catalog::{LocationFields, ProviderFields, TypeFields, listed, type_listed},
        practice_setup,
    },
    tenancy::Access,
};

use super::objects::{
    AppointmentType, Catalog, Eligibility, Location, Provider, VisitMode, minutes,
};
use crate::{
    context::ContextExt,
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// Who reads the catalogue: everyone signed in whom the policies let see the schedule.
const READ: Need = Need::to("scheduling", "read");

/// Who changes it: practice admins.
const MANAGE: Need = Need::to("scheduling", "manage");

/// The catalogue, and whether the caller is a patient (who sees only what they may book).
async fn read_catalog(ctx: &Context<'_>) -> async_graphql::Result<(Arc<Catalog>, bool)> {
    ctx.run(READ, Access::Read, async |tx, caller| {
        Ok((
            Catalog::load(tx).await?,
            caller.principal.role == Role::Patient,
        ))
    })
    .await
}

#[derive(SimpleObject)]
pub struct SchedulingSettings {
    /// IANA time zone of every calendar of the practice.
    time_zone: String,
    /// Inside this many hours before a visit, the portal refuses to cancel or move it.
    cancellation_window_hours: i32,
}

impl From<&tenant::Model> for SchedulingSettings {
    fn from(practice: &tenant::Model) -> Self {
        Self {
            time_zone: practice.time_zone.clone(),
            cancellation_window_hours: practice
                .cancellation_window_hours
                .unwrap_or(DEFAULT_CANCELLATION_WINDOW_HOURS),
        }
    }
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
            .filter(|p| listed(p.active, include_inactive, patient))
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
            .filter(|l| listed(l.active, include_inactive, patient))
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
            .filter(|t| type_listed(t, include_inactive, patient))
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
        ctx.caller(READ).await?;
        Ok(SchedulingSettings::from(&ctx.tenant()?.tenant))
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

refusable!(
    ProviderPayload,
    LocationPayload,
    AppointmentTypePayload,
    SetWeeklyAvailabilityPayload,
    UpdateSchedulingSettingsPayload
);

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
        let id = global_id::parse_opt("Provider", "id", input.id.as_ref())?;
        let user_id = global_id::parse_opt("User", "userId", input.user_id.as_ref())?;
        let fields = ProviderFields {
            display_name: input.display_name,
            specialty: input.specialty,
            user_id,
            active: input.active,
        };
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                let saved = practice_setup::save_provider(tx, &caller.actor, id, fields).await?;
                Ok(Catalog::load(tx).await?.provider(saved.id))
            })
            .await?;
        Ok(outcome.payload(|provider| ProviderPayload {
            provider,
            user_errors: Vec::new(),
        }))
    }

    /// Adds or changes a location (practice admins).
    async fn save_location(
        &self,
        ctx: &Context<'_>,
        input: LocationInput,
    ) -> async_graphql::Result<LocationPayload> {
        let id = global_id::parse_opt("Location", "id", input.id.as_ref())?;
        let fields = LocationFields {
            name: input.name,
            address: input.address,
            active: input.active,
        };
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                practice_setup::save_location(tx, &caller.actor, id, fields).await
            })
            .await?;
        Ok(outcome.payload(|saved| LocationPayload {
            location: Some(Location(saved)),
            user_errors: Vec::new(),
        }))
    }

    /// Adds or changes an appointment type (practice admins). Booked appointments keep
    /// their times.
    async fn save_appointment_type(
        &self,
        ctx: &Context<'_>,
        input: AppointmentTypeInput,
    ) -> async_graphql::Result<AppointmentTypePayload> {
        let id = global_id::parse_opt("AppointmentType", "id", input.id.as_ref())?;
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
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                practice_setup::save_type(tx, &caller.actor, id, fields).await
            })
            .await?;
        Ok(outcome.payload(|saved| AppointmentTypePayload {
            appointment_type: Some(AppointmentType(saved)),
            user_errors: Vec::new(),
        }))
    }

    /// Replaces a provider's weekly hours at one location (practice admins).
    async fn set_weekly_availability(
        &self,
        ctx: &Context<'_>,
        input: SetWeeklyAvailabilityInput,
    ) -> async_graphql::Result<SetWeeklyAvailabilityPayload> {
        let provider = global_id::parse("Provider", "providerId", &input.provider_id)?;
        let location = global_id::parse("Location", "locationId", &input.location_id)?;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                let windows = input
                    .windows
                    .iter()
                    .map(|w| match (minutes(&w.start), minutes(&w.end)) {
                        (Some(start), Some(end)) => Ok(WindowInput {
                            weekday: i16::try_from(w.weekday).unwrap_or(0),
                            start_minute: start,
                            end_minute: end,
                        }),
                        _ => Err(CoreError::invalid(
                            "windows",
                            "INVALID_TIME",
                            "times are HH:MM, 00:00 to 24:00",
                        )),
                    })
                    .collect::<CoreResult<Vec<_>>>()?;
                practice_setup::set_weekly_hours(tx, &caller.actor, provider, location, &windows)
                    .await?;
                Ok(Catalog::load(tx).await?.provider(provider))
            })
            .await?;
        Ok(outcome.payload(|provider| SetWeeklyAvailabilityPayload {
            provider,
            user_errors: Vec::new(),
        }))
    }

    /// Sets the practice's cancellation window (practice admins).
    async fn update_scheduling_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSchedulingSettingsInput,
    ) -> async_graphql::Result<UpdateSchedulingSettingsPayload> {
        let hours = input.cancellation_window_hours;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                practice_setup::set_cancellation_window(tx, &caller.actor, hours).await
            })
            .await?;
        Ok(outcome.payload(|updated| UpdateSchedulingSettingsPayload {
            scheduling_settings: Some(SchedulingSettings::from(&updated.tenant)),
            user_errors: Vec::new(),
        }))
    }
}
