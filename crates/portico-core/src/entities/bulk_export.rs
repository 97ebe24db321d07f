//! `bulk_exports`: a backend service's `$export`, from kick-off to expiry (see
//! [`crate::fhir_api::bulk`]).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    /// `system` or `patient`.
    pub level: String,
    /// Comma-separated resource types.
    pub types: String,
    pub since: Option<DateTimeUtc>,
    /// Whether readings recorded at home are exported (the practice's `readings` policy).
    pub home_readings: bool,
    /// The kick-off URL.
    pub request: String,
    /// queued, running, complete, failed, cancelled.
    pub status: String,
    pub charts_done: i32,
    pub charts_total: i32,
    pub charts_withheld: i32,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    /// When a running export last showed it was alive.
    pub heartbeat_at: Option<DateTimeUtc>,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
