//! What a practice offers: its providers, locations and appointment types.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{appointment_type, location, provider},
};

pub const MODES: [&str; 2] = ["in_person", "video"];
pub const ELIGIBILITY: [&str; 3] = ["any", "new", "established"];

fn name(field: &'static str, value: &str) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(CoreError::invalid(
            field,
            "INVALID_NAME",
            "must be 1 to 100 characters",
        ));
    }
    Ok(value.to_owned())
}

fn optional_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> CoreResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(CoreError::invalid(
            field,
            "TOO_LONG",
            format!("must be at most {max} characters"),
        )),
        other => Ok(other),
    }
}

fn within(
    field: &'static str,
    value: i32,
    range: std::ops::RangeInclusive<i32>,
) -> CoreResult<i32> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(CoreError::invalid(
            field,
            "OUT_OF_RANGE",
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

/// Whether a listing of the catalogue shows an entry: patients see active ones; staff see
/// inactive ones too when they ask.
pub fn listed(active: bool, include_inactive: bool, patient: bool) -> bool {
    active || (include_inactive && !patient)
}

/// Whether a listing shows an appointment type: as [`listed`], and to patients only the
/// types they can book online.
pub fn type_listed(kind: &appointment_type::Model, include_inactive: bool, patient: bool) -> bool {
    listed(kind.active, include_inactive, patient) && (kind.bookable_online || !patient)
}

#[derive(Clone, Debug, Default)]
pub struct ProviderFields {
    pub display_name: String,
    pub specialty: Option<String>,
    /// The provider's staff account in this practice.
    pub user_id: Option<Uuid>,
    pub active: bool,
}

pub async fn create_provider(tx: &TenantTx, fields: ProviderFields) -> CoreResult<provider::Model> {
    tx.changed(crate::caches::Change::Catalog);
    let display_name = name("displayName", &fields.display_name)?;
    let specialty = optional_text("specialty", fields.specialty, 100)?;
    if let Some(user) = fields.user_id {
        let found = crate::accounts::find_by_id(tx, crate::UserId::from_uuid(user)).await?;
        if found.is_none_or(|u| u.role == crate::identity::Role::Patient.as_str()) {
            return Err(CoreError::invalid(
                "userId",
                "NOT_STAFF",
                "not a staff member of this practice",
            ));
        }
    }
    Ok(provider::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        user_id: Set(fields.user_id),
        display_name: Set(display_name),
        specialty: Set(specialty),
        active: Set(fields.active),
        covering_provider_id: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?)
}

pub async fn update_provider(
    tx: &TenantTx,
    id: Uuid,
    fields: ProviderFields,
) -> CoreResult<provider::Model> {
    tx.changed(crate::caches::Change::Catalog);
    let found = find_provider(tx, id).await?;
    let mut active: provider::ActiveModel = found.into();
    active.display_name = Set(name("displayName", &fields.display_name)?);
    active.specialty = Set(optional_text("specialty", fields.specialty, 100)?);
    active.active = Set(fields.active);
    Ok(active.update(tx.conn()).await?)
}

pub async fn find_provider(tx: &TenantTx, id: Uuid) -> CoreResult<provider::Model> {
    tx.find::<provider::Entity>()
        .filter(provider::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn providers(tx: &TenantTx, include_inactive: bool) -> CoreResult<Vec<provider::Model>> {
    let mut query = tx
        .find::<provider::Entity>()
        .order_by_asc(provider::Column::DisplayName)
        .order_by_asc(provider::Column::Id);
    if !include_inactive {
        query = query.filter(provider::Column::Active.eq(true));
    }
    Ok(query.all(tx.conn()).await?)
}

#[derive(Clone, Debug, Default)]
pub struct LocationFields {
    pub name: String,
    pub address: Option<String>,
    pub active: bool,
}

pub async fn create_location(tx: &TenantTx, fields: LocationFields) -> CoreResult<location::Model> {
    tx.changed(crate::caches::Change::Catalog);
    Ok(location::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(name("name", &fields.name)?),
        address: Set(optional_text("address", fields.address, 300)?),
        active: Set(fields.active),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?)
}

pub async fn update_location(
    tx: &TenantTx,
    id: Uuid,
    fields: LocationFields,
) -> CoreResult<location::Model> {
    tx.changed(crate::caches::Change::Catalog);
    let found = find_location(tx, id).await?;
    let mut active: location::ActiveModel = found.into();
    active.name = Set(name("name", &fields.name)?);
    active.address = Set(optional_text("address", fields.address, 300)?);
    active.active = Set(fields.active);
    Ok(active.update(tx.conn()).await?)
}

pub async fn find_location(tx: &TenantTx, id: Uuid) -> CoreResult<location::Model> {
    tx.find::<location::Entity>()
        .filter(location::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn locations(tx: &TenantTx, include_inactive: bool) -> CoreResult<Vec<location::Model>> {
    let mut query = tx
        .find::<location::Entity>()
        .order_by_asc(location::Column::Name)
        .order_by_asc(location::Column::Id);
    if !include_inactive {
        query = query.filter(location::Column::Active.eq(true));
    }
    Ok(query.all(tx.conn()).await?)
}

#[derive(Clone, Debug)]
pub struct TypeFields {
    pub name: String,
    pub duration_minutes: i32,
    pub mode: String,
    pub bookable_online: bool,
    pub eligibility: String,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_lead_minutes: i32,
    pub horizon_days: i32,
    pub active: bool,
}

impl Default for TypeFields {
    fn default() -> Self {
        Self {
            name: String::new(),
            duration_minutes: 30,
            mode: "in_person".to_owned(),
            bookable_online: true,
            eligibility: "any".to_owned(),
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            min_lead_minutes: 120,
            horizon_days: 90,
            active: true,
        }
    }
}

fn checked_type(fields: TypeFields) -> CoreResult<TypeFields> {
    if !MODES.contains(&fields.mode.as_str()) {
        return Err(CoreError::invalid(
            "mode",
            "INVALID_MODE",
            "must be in_person or video",
        ));
    }
    if !ELIGIBILITY.contains(&fields.eligibility.as_str()) {
        return Err(CoreError::invalid(
            "eligibility",
            "INVALID_ELIGIBILITY",
            "must be any, new or established",
        ));
    }
    Ok(TypeFields {
        name: name("name", &fields.name)?,
        duration_minutes: within("durationMinutes", fields.duration_minutes, 5..=480)?,
        buffer_before_minutes: within(
            "bufferBeforeMinutes",
            fields.buffer_before_minutes,
            0..=120,
        )?,
        buffer_after_minutes: within("bufferAfterMinutes", fields.buffer_after_minutes, 0..=120)?,
        min_lead_minutes: within("minLeadMinutes", fields.min_lead_minutes, 0..=60 * 24 * 30)?,
        horizon_days: within("horizonDays", fields.horizon_days, 1..=730)?,
        ..fields
    })
}

pub async fn create_type(tx: &TenantTx, fields: TypeFields) -> CoreResult<appointment_type::Model> {
    tx.changed(crate::caches::Change::Catalog);
    let f = checked_type(fields)?;
    Ok(appointment_type::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(f.name),
        duration_minutes: Set(f.duration_minutes),
        mode: Set(f.mode),
        bookable_online: Set(f.bookable_online),
        eligibility: Set(f.eligibility),
        buffer_before_minutes: Set(f.buffer_before_minutes),
        buffer_after_minutes: Set(f.buffer_after_minutes),
        min_lead_minutes: Set(f.min_lead_minutes),
        horizon_days: Set(f.horizon_days),
        active: Set(f.active),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?)
}

/// Changes a type; booked appointments keep the times they were booked with.
pub async fn update_type(
    tx: &TenantTx,
    id: Uuid,
    fields: TypeFields,
) -> CoreResult<appointment_type::Model> {
    tx.changed(crate::caches::Change::Catalog);
    let found = find_type(tx, id).await?;
    let f = checked_type(fields)?;
    let mut active: appointment_type::ActiveModel = found.into();
    active.name = Set(f.name);
    active.duration_minutes = Set(f.duration_minutes);
    active.mode = Set(f.mode);
    active.bookable_online = Set(f.bookable_online);
    active.eligibility = Set(f.eligibility);
    active.buffer_before_minutes = Set(f.buffer_before_minutes);
    active.buffer_after_minutes = Set(f.buffer_after_minutes);
    active.min_lead_minutes = Set(f.min_lead_minutes);
    active.horizon_days = Set(f.horizon_days);
    active.active = Set(f.active);
    Ok(active.update(tx.conn()).await?)
}

pub async fn find_type(tx: &TenantTx, id: Uuid) -> CoreResult<appointment_type::Model> {
    tx.find::<appointment_type::Entity>()
        .filter(appointment_type::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// The practice's appointment types; `online_only` keeps those patients may book.
pub async fn types(
    tx: &TenantTx,
    include_inactive: bool,
    online_only: bool,
) -> CoreResult<Vec<appointment_type::Model>> {
    let mut query = tx
        .find::<appointment_type::Entity>()
        .order_by_asc(appointment_type::Column::Name)
        .order_by_asc(appointment_type::Column::Id);
    if !include_inactive {
        query = query.filter(appointment_type::Column::Active.eq(true));
    }
    if online_only {
        query = query.filter(appointment_type::Column::BookableOnline.eq(true));
    }
    Ok(query.all(tx.conn()).await?)
}
