//! `refill_requests`: a patient's request for a refill of one of their medications, how it
//! was routed and what was decided.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refill_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub medication_request_id: Uuid,
    /// The medication while the request is pending (unique), cleared on decision.
    pub open_medication_id: Option<Uuid>,
    /// The patient's or proxy's user.
    pub requested_by: Uuid,
    pub pharmacy: String,
    pub note: Option<String>,
    /// `requested`, `routed`, `approved`, `denied` or `needs_appointment`.
    pub status: String,
    /// `prescriber`, `covering`, `renewal`, `visit` or `pool`; unset until routed.
    pub route: Option<String>,
    /// Why it took that route: a [`crate::refills::routing::Reason`] code; unset until routed
    /// (and on requests routed before reasons were kept).
    pub route_reason: Option<String>,
    pub assigned_pool_id: Option<Uuid>,
    pub assigned_user_id: Option<Uuid>,
    /// The practice's target turnaround from routing.
    pub due_at: Option<DateTimeUtc>,
    pub routed_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub approved_quantity: Option<i32>,
    pub approved_refills: Option<i32>,
    /// Shown to the patient.
    pub deny_reason: Option<String>,
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
