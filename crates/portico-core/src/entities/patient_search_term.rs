//! `patient_search_terms`: one row per word of a chart's family and given names, normalised
//! (see [`crate::patient_search`]), so a name search is a range on `(tenant_id, term)`.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_search_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub patient_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub term: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
