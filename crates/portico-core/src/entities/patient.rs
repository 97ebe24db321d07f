//! `patients`: a patient's demographics within one practice.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The portal account, once the patient has activated one.
    pub user_id: Option<Uuid>,
    /// The practice's medical record number, unique per tenant when present.
    pub mrn: Option<String>,
    pub given_name: String,
    pub family_name: String,
    /// JSON list of the given names one by one, as the EHR sent them (`given_name` joins
    /// them); `None` when the chart has only `given_name`.
    pub given_names: Option<String>,
    pub birth_date: Date,
    /// FHIR administrative gender: `female`, `male`, `other`, `unknown`.
    pub gender: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub preferred_language: Option<String>,
    /// The pharmacy prescriptions go to, as the patient names it.
    pub preferred_pharmacy: Option<String>,
    /// IANA zone for quiet hours; the practice's when unset.
    pub time_zone: Option<String>,
    /// Channels the patient wants notifications on.
    pub notify_email: bool,
    pub notify_sms: bool,
    /// Set when the patient asked for no notifications at all.
    pub notifications_opted_out_at: Option<DateTimeUtc>,
    /// A permanent delivery failure to the address (cleared when it changes).
    pub email_bounced_at: Option<DateTimeUtc>,
    pub phone_bounced_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The names normalised for search and its order (see [`crate::patient_search`]); kept
    /// current by `before_save`.
    pub search_family: String,
    pub search_given: String,
    /// The phone's digits back to front, so "ends with" is a prefix range on an index.
    pub phone_reversed: Option<String>,
    pub email_lower: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Every insert and update of a chart refreshes the search columns from what it writes.
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        crate::patient_search::fill_columns(&mut self);
        Ok(self)
    }
}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
