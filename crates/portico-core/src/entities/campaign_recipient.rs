//! `campaign_recipients`: one patient of an invitation campaign and how far their
//! invitations have gone.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_recipients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub patient_id: Uuid,
    /// Steps sent: 1 is the invitation, 2 the first follow-up, and so on.
    pub steps_sent: i32,
    pub next_due_at: Option<DateTimeUtc>,
    /// `pending`, `done`, `activated`, `skipped` or `cancelled`.
    pub status: String,
    pub first_invited_at: Option<DateTimeUtc>,
    pub last_invited_at: Option<DateTimeUtc>,
    pub activated_at: Option<DateTimeUtc>,
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
