//! `audit_events`: append-only, hash-chained per tenant (`seq` orders the chain).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub seq: i64,
    pub occurred_at: DateTimeUtc,
    /// `user`, `api_key`, `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// The actor's role when it acted (`practice_admin`, `patient`, ...).
    pub actor_role: Option<String>,
    /// The client's address, when the event came from a request.
    pub client_ip: Option<String>,
    /// Dotted verb, e.g. `patient.read`, `patient.create`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    /// The patient whose data was touched, so a patient can see who opened their chart.
    pub patient_id: Option<Uuid>,
    pub request_id: Option<String>,
    /// Set when the actor reached the chart through a break-glass access (flagged).
    pub break_glass_id: Option<Uuid>,
    /// Hex SHA-256 of the previous event (64 zeros for the first).
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
