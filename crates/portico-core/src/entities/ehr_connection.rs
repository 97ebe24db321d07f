//! `ehr_connections`: a practice's FHIR connection. The secret is sealed.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ehr_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub base_url: String,
    pub auth_kind: String,
    pub client_id: Option<String>,
    pub key_id: Option<String>,
    pub token_endpoint: Option<String>,
    pub scope: Option<String>,
    pub sealed_secret: String,
    pub sync_interval_minutes: i32,
    pub resource_types: String,
    pub enabled: bool,
    /// Home readings go to the EHR as patient-reported Observations.
    pub send_readings: bool,
    pub failures: i32,
    pub next_run_at: Option<DateTimeUtc>,
    pub running_since: Option<DateTimeUtc>,
    pub running_run_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
