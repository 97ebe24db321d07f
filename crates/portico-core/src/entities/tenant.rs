//! `tenants`: one row per practice (and one for the platform). Not tenant-owned: it is the
//! directory that requests are resolved against before any tenant is known.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub status: String,
    /// IANA zone name; all of the practice's calendars are in this zone.
    pub time_zone: String,
    pub display_name: String,
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub primary_color: String,
    /// The practice's phone number as it wants it shown (`(555) 010-0199`).
    pub phone: Option<String>,
    #[sea_orm(unique)]
    pub custom_domain: Option<String>,
    /// Shown to the practice's staff while suspended (no PHI: an operator's note).
    pub status_reason: Option<String>,
    pub status_changed_at: Option<DateTimeUtc>,
    /// An operator suspended the practice: it stays suspended whatever its subscription does.
    pub operator_hold: bool,
    /// Automatic log-off after this many idle minutes; the platform default when unset.
    pub staff_idle_minutes: Option<i32>,
    pub patient_idle_minutes: Option<i32>,
    /// Hours before a visit inside which the portal refuses to cancel it online (callers
    /// phone the office instead); the platform default when unset.
    pub cancellation_window_hours: Option<i32>,
    /// Minutes before a visit to remind the patient, comma-separated (`4320,1440,120`); the
    /// platform default when unset.
    pub reminder_offsets: Option<String>,
    /// Quiet hours in local minutes after midnight; the platform default when unset.
    pub quiet_hours_start: Option<i32>,
    pub quiet_hours_end: Option<i32>,
    /// Messages handed out per hour; the platform default when unset.
    pub sending_limit_per_hour: Option<i32>,
    /// Hours within which a patient's message should be answered; the default when unset.
    pub message_response_target_hours: Option<i32>,
    /// Hours within which a refill request should be decided; the default when unset.
    pub refill_turnaround_hours: Option<i32>,
    /// The care-team pool refills fall back to (the nurse line, say).
    pub refill_pool_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
