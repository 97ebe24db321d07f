//! `patient_imports`: one CSV file of a practice's existing patients, its preview, status
//! and progress (see [`crate::patient_imports`]).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Hex of the file's SHA-256; unique per practice.
    pub file_sha256: String,
    pub file_name: String,
    /// `previewed`, `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub rows_total: i32,
    pub rows_done: i32,
    pub new_charts: i32,
    pub already_here: i32,
    pub error_rows: i32,
    pub created: i32,
    pub skipped: i32,
    /// JSON list of the first problems (see [`crate::patient_imports::Problem`]).
    pub problems: String,
    /// JSON object: each problem code and how many rows have it.
    pub problem_counts: String,
    pub failure: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
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
