//! `feedback_invitations`: the survey sent after a completed visit, one per visit, with its
//! one-time link.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub appointment_id: Uuid,
    pub patient_id: Uuid,
    /// `pending`, `sent`, `skipped` or `answered`.
    pub status: String,
    pub send_at: DateTimeUtc,
    /// SHA-256 of the link's token; the token itself is only in the message.
    pub token_hash: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub answered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
