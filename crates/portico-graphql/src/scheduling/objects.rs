//! The scheduling types of the schema. Appointments and slots point at providers, locations
//! and types through a snapshot of the catalogue loaded once per resolver, so a list of a
//! hundred appointments costs one catalogue read, not three hundred.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreResult, TenantTx,
    entities::{appointment, appointment_type, location, provider},
    scheduling::{
        appointments::{BOOKED, PracticeClock},
        snapshot::{self, Snapshot},
    },
};
use uuid::Uuid;

use crate::{context::ContextExt, global_id};

/// The practice's providers (with their weekly hours), locations and types: the instance's
/// copy of its catalogue ([`portico_core::scheduling::snapshot`]).
#[derive(Default)]
pub struct Catalog(Arc<Snapshot>);

impl std::ops::Deref for Catalog {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.0
    }
}

impl Catalog {
    pub async fn load(tx: &TenantTx) -> CoreResult<Arc<Self>> {
        Ok(Arc::new(Self(snapshot::snapshot(tx).await?)))
    }

    pub fn provider(self: &Arc<Self>, id: Uuid) -> Option<Provider> {
        self.providers.get(&id).map(|p| Provider {
            model: p.clone(),
            catalog: Arc::clone(self),
        })
    }

    pub fn location(&self, id: Uuid) -> Option<Location> {
        self.locations.get(&id).cloned().map(Location)
    }

    pub fn kind(&self, id: Uuid) -> Option<AppointmentType> {
        self.types.get(&id).cloned().map(AppointmentType)
    }
}

/// A clinician patients can book with.
pub struct Provider {
    pub model: provider::Model,
    pub catalog: Arc<Catalog>,
}

#[Object]
impl Provider {
    async fn id(&self) -> ID {
        global_id::encode("Provider", self.model.id)
    }
    async fn display_name(&self) -> &str {
        &self.model.display_name
    }
    async fn specialty(&self) -> Option<&str> {
        self.model.specialty.as_deref()
    }
    async fn active(&self) -> bool {
        self.model.active
    }
    /// The provider's staff account, as `saveProvider` set it (those who manage scheduling;
    /// `FORBIDDEN` for anyone else).
    async fn user_id(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ID>> {
        ctx.authorize("scheduling", "manage").await?;
        Ok(self.model.user_id.map(|u| global_id::encode("User", u)))
    }
    /// Who takes this provider's refill requests while they have time off, as
    /// `setCoveringProvider` set it (those who may set it; `FORBIDDEN` for anyone else).
    async fn covering_provider_id(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ID>> {
        ctx.authorize("scheduling", "manage").await?;
        Ok(self
            .model
            .covering_provider_id
            .map(|p| global_id::encode("Provider", p)))
    }
    /// Weekly hours at every location, in the practice's time zone.
    async fn weekly_availability(&self) -> Vec<AvailabilityWindow> {
        self.catalog
            .windows
            .get(&self.model.id)
            .map(|list| {
                list.iter()
                    .map(|w| AvailabilityWindow {
                        location_id: global_id::encode("Location", w.location_id),
                        weekday: i32::from(w.weekday),
                        start: hhmm(w.start_minute),
                        end: hhmm(w.end_minute),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn hhmm(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Minutes after midnight from `HH:MM` (`24:00` is the end of the day).
pub fn minutes(hhmm: &str) -> Option<i32> {
    let (h, m) = hhmm.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=23).contains(&h) && (0..=59).contains(&m) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

/// A weekly window of availability, in the practice's local time.
#[derive(SimpleObject)]
pub struct AvailabilityWindow {
    location_id: ID,
    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    weekday: i32,
    /// `HH:MM`.
    start: String,
    /// `HH:MM` (`24:00` is midnight at the end of the day).
    end: String,
}

/// A place where the practice sees patients.
pub struct Location(pub location::Model);

#[Object]
impl Location {
    async fn id(&self) -> ID {
        global_id::encode("Location", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum VisitMode {
    InPerson,
    Video,
}

impl VisitMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Video => "video",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Eligibility {
    /// Anyone.
    Any,
    /// Patients the practice has not seen before.
    New,
    /// Patients seen before.
    Established,
}

impl Eligibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::New => "new",
            Self::Established => "established",
        }
    }
}

/// What can be booked, and how.
pub struct AppointmentType(pub appointment_type::Model);

#[Object]
impl AppointmentType {
    async fn id(&self) -> ID {
        global_id::encode("AppointmentType", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    async fn mode(&self) -> VisitMode {
        if self.0.mode == "video" {
            VisitMode::Video
        } else {
            VisitMode::InPerson
        }
    }
    async fn bookable_online(&self) -> bool {
        self.0.bookable_online
    }
    async fn eligibility(&self) -> Eligibility {
        match self.0.eligibility.as_str() {
            "new" => Eligibility::New,
            "established" => Eligibility::Established,
            _ => Eligibility::Any,
        }
    }
    async fn buffer_before_minutes(&self) -> i32 {
        self.0.buffer_before_minutes
    }
    async fn buffer_after_minutes(&self) -> i32 {
        self.0.buffer_after_minutes
    }
    /// Online bookings start at least this long from now.
    async fn min_lead_minutes(&self) -> i32 {
        self.0.min_lead_minutes
    }
    /// Online bookings start at most this many days ahead.
    async fn horizon_days(&self) -> i32 {
        self.0.horizon_days
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AppointmentStatus {
    Booked,
    /// Moved to another time: the new appointment's `rescheduledFromId` points here.
    Rescheduled,
    Cancelled,
    Completed,
    NoShow,
}

/// A patient's visit.
pub struct Appointment {
    pub model: appointment::Model,
    pub catalog: Arc<Catalog>,
    pub clock: PracticeClock,
}

impl Appointment {
    /// Appointments sharing one catalogue snapshot.
    pub fn list(
        models: Vec<appointment::Model>,
        catalog: &Arc<Catalog>,
        clock: PracticeClock,
    ) -> Vec<Self> {
        models
            .into_iter()
            .map(|model| Self {
                model,
                catalog: Arc::clone(catalog),
                clock,
            })
            .collect()
    }
}

#[Object]
impl Appointment {
    async fn id(&self) -> ID {
        global_id::encode("Appointment", self.model.id)
    }
    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.model.patient_id)
    }
    async fn start(&self) -> DateTime<Utc> {
        self.model.starts_at
    }
    async fn end(&self) -> DateTime<Utc> {
        self.model.ends_at
    }
    async fn status(&self) -> AppointmentStatus {
        match self.model.status.as_str() {
            "rescheduled" => AppointmentStatus::Rescheduled,
            "cancelled" => AppointmentStatus::Cancelled,
            "completed" => AppointmentStatus::Completed,
            "no_show" => AppointmentStatus::NoShow,
            _ => AppointmentStatus::Booked,
        }
    }
    /// `portal` (the patient or a proxy) or `staff`.
    async fn booked_via(&self) -> &str {
        &self.model.booked_via
    }
    async fn provider(&self) -> Option<Provider> {
        self.catalog.provider(self.model.provider_id)
    }
    async fn location(&self) -> Option<Location> {
        self.catalog.location(self.model.location_id)
    }
    async fn appointment_type(&self) -> Option<AppointmentType> {
        self.catalog.kind(self.model.appointment_type_id)
    }
    /// The appointment this one replaced.
    async fn rescheduled_from_id(&self) -> Option<ID> {
        self.model
            .rescheduled_from
            .map(|id| global_id::encode("Appointment", id))
    }
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.model.cancelled_at
    }
    /// When the patient confirmed through a reminder's link.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.model.confirmed_at
    }
    /// Whether the portal may still cancel or move it: outside the practice's cancellation
    /// window (inside it, the patient calls the office).
    async fn changeable_online(&self) -> bool {
        self.model.status == BOOKED
            && self.model.starts_at - self.clock.now >= self.clock.cancellation_window
    }
}
