//! Drops the denials a practice never chose: saving a role's permissions used to store a
//! denial for every default the permissions page could not show (breaking the glass,
//! restricting charts, forms, education, feedback, invitation campaigns, a patient's own
//! contact changes), taking them from the role. None of these could be ticked or unticked
//! there, so no denial of them was a practice's choice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The permissions the page did not offer when the denials were written.
const NEVER_OFFERED: [(&str, &str); 18] = [
    ("break_glass", "open"),
    ("break_glass", "review"),
    ("chart_restrictions", "manage"),
    ("own_chart", "write"),
    ("forms", "read"),
    ("forms", "send"),
    ("forms", "manage"),
    ("own_forms", "read"),
    ("own_forms", "write"),
    ("education", "read"),
    ("education", "manage"),
    ("own_education", "read"),
    ("feedback", "read"),
    ("feedback", "manage"),
    ("own_feedback", "write"),
    ("campaigns", "read"),
    ("campaigns", "manage"),
    ("tenants", "manage"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut any = Condition::any();
        for (object, action) in NEVER_OFFERED {
            any = any.add(
                Condition::all()
                    .add(Expr::col(Alias::new("object")).eq(object))
                    .add(Expr::col(Alias::new("action")).eq(action)),
            );
        }
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Alias::new("role_permissions"))
                    .cond_where(
                        Condition::all()
                            .add(Expr::col(Alias::new("effect")).eq("deny"))
                            .add(any),
                    )
                    .to_owned(),
            )
            .await
    }
}
