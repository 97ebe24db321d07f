//! `message_threads`: a conversation between a patient's chart and a care-team pool.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_threads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub pool_id: Uuid,
    pub category: String,
    pub subject: String,
    /// `open` or `closed`.
    pub status: String,
    pub assignee_id: Option<Uuid>,
    pub started_by: Uuid,
    pub started_by_staff: bool,
    /// The oldest patient message not answered yet.
    pub awaiting_reply_since: Option<DateTimeUtc>,
    pub last_message_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
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
