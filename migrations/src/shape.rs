//! Shapes every tenant table repeats, so migrations state only what differs.

use sea_orm_migration::prelude::*;

/// `(tenant_id, column)` → `(tenant_id, id)` of `parent`: a row can only point at a row of its
/// own tenant.
pub fn tenant_fk<T, C, P>(
    name: &str,
    table: T,
    column: C,
    parent: P,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
    P: IntoIden + 'static,
{
    ForeignKey::create()
        .name(name)
        .from(table, (Alias::new("tenant_id"), column))
        .to(parent, (Alias::new("tenant_id"), Alias::new("id")))
        .on_delete(on_delete)
        .to_owned()
}

/// An index on `(tenant_id, columns...)`: every query filters by tenant first.
pub fn tenant_index<T: IntoIden + 'static>(
    name: &str,
    table: T,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).col(Alias::new("tenant_id"));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

/// `CREATE TABLE name (tenant_id uuid, id uuid, ..., PRIMARY KEY (tenant_id, id))`: the
/// columns every tenant table starts with; callers add the rest.
pub fn new_tenant_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(ColumnDef::new(Alias::new("tenant_id")).uuid().not_null())
        .col(ColumnDef::new(Alias::new("id")).uuid().not_null())
        .primary_key(
            Index::create()
                .col(Alias::new("tenant_id"))
                .col(Alias::new("id")),
        )
        .to_owned()
}

/// A column by name, for tables declared with [`new_tenant_table`].
pub fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}
