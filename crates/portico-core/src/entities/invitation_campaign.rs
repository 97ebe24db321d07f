//! `invitation_campaigns`: activation invitations a practice sends to chosen patients, with
//! follow-ups (see [`crate::campaigns`]).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitation_campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `not_activated`, `import` or `filter`.
    pub audience: String,
    pub import_id: Option<Uuid>,
    /// JSON of the filter, for `filter`.
    pub filter: Option<String>,
    /// `email`, `sms` or `email,sms`.
    pub channels: String,
    /// JSON list of days after the first invitation.
    pub follow_up_days: String,
    /// `running`, `finished` or `cancelled`.
    pub status: String,
    pub recipients: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
