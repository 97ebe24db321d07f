//! `education_resources`: one resource of the practice's education library, a link or a short
//! article in one language.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "education_resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    /// `link` or `article`.
    pub kind: String,
    /// An https address (a link).
    pub url: Option<String>,
    /// Markdown (an article).
    pub body: Option<String>,
    /// BCP 47: `en` or `es`.
    pub language: String,
    /// About no code in particular.
    pub general: bool,
    /// `active` or `archived`.
    pub status: String,
    pub created_by: Uuid,
    pub updated_by: Uuid,
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
