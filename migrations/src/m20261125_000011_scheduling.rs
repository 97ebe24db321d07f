//! Scheduling: providers, locations, appointment types, weekly availability, blocks of busy
//! time, appointments (never two booked at once for a provider: an exclusion constraint on
//! PostgreSQL, serialised write transactions on SQLite), the waitlist, and each practice's
//! cancellation window.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::{
    postgres,
    shape::{col, new_tenant_table, tenant_fk, tenant_index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    tenant_fk(
        name,
        Alias::new(table),
        Alias::new(column),
        Alias::new(parent),
        ForeignKeyAction::Cascade,
    )
}

fn ts(name: &'static str) -> ColumnDef {
    col(name).timestamp_with_time_zone().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("tenants"))
                    // Hours before a visit inside which the portal no longer cancels online.
                    .add_column(col("cancellation_window_hours").integer().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("providers")
                    // The provider's own staff account, when they have one.
                    .col(col("user_id").uuid().null())
                    .col(col("display_name").string_len(100).not_null())
                    .col(col("specialty").string_len(100).null())
                    .col(col("active").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut fk(
                        "fk_providers_user",
                        "providers",
                        "user_id",
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("locations")
                    .col(col("name").string_len(100).not_null())
                    .col(col("address").string_len(300).null())
                    .col(col("active").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("appointment_types")
                    .col(col("name").string_len(100).not_null())
                    .col(col("duration_minutes").integer().not_null())
                    // `in_person` or `video`.
                    .col(col("mode").string_len(16).not_null())
                    .col(col("bookable_online").boolean().not_null())
                    // `any`, `new` or `established`.
                    .col(col("eligibility").string_len(16).not_null())
                    .col(col("buffer_before_minutes").integer().not_null())
                    .col(col("buffer_after_minutes").integer().not_null())
                    .col(col("min_lead_minutes").integer().not_null())
                    .col(col("horizon_days").integer().not_null())
                    .col(col("active").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("availability_windows")
                    .col(col("provider_id").uuid().not_null())
                    .col(col("location_id").uuid().not_null())
                    // ISO weekday: 1 = Monday ... 7 = Sunday.
                    .col(col("weekday").small_integer().not_null())
                    // Minutes after local midnight, in the practice's time zone.
                    .col(col("start_minute").integer().not_null())
                    .col(col("end_minute").integer().not_null())
                    .foreign_key(&mut fk(
                        "fk_availability_provider",
                        "availability_windows",
                        "provider_id",
                        "providers",
                    ))
                    .foreign_key(&mut fk(
                        "fk_availability_location",
                        "availability_windows",
                        "location_id",
                        "locations",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("schedule_blocks")
                    // Unset: the whole practice (a holiday).
                    .col(col("provider_id").uuid().null())
                    // `block`, `time_off` or `holiday`.
                    .col(col("kind").string_len(16).not_null())
                    .col(ts("starts_at").not_null())
                    .col(ts("ends_at").not_null())
                    // Staff's own words ("team meeting"); never about a patient.
                    .col(col("note").string_len(200).null())
                    .col(col("created_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut fk(
                        "fk_schedule_blocks_provider",
                        "schedule_blocks",
                        "provider_id",
                        "providers",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("appointments")
                    .col(col("patient_id").uuid().not_null())
                    .col(col("provider_id").uuid().not_null())
                    .col(col("location_id").uuid().not_null())
                    .col(col("appointment_type_id").uuid().not_null())
                    .col(ts("starts_at").not_null())
                    .col(ts("ends_at").not_null())
                    // `booked`, `rescheduled`, `cancelled`, `completed`, `no_show`.
                    .col(col("status").string_len(16).not_null())
                    .col(col("booked_by").uuid().null())
                    // `portal` (a patient or proxy) or `staff`.
                    .col(col("booked_via").string_len(16).not_null())
                    // The appointment this one replaced.
                    .col(col("rescheduled_from").uuid().null())
                    .col(ts("cancelled_at").null())
                    .col(col("cancelled_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut fk(
                        "fk_appointments_patient",
                        "appointments",
                        "patient_id",
                        "patients",
                    ))
                    .foreign_key(&mut fk(
                        "fk_appointments_provider",
                        "appointments",
                        "provider_id",
                        "providers",
                    ))
                    .foreign_key(&mut fk(
                        "fk_appointments_location",
                        "appointments",
                        "location_id",
                        "locations",
                    ))
                    .foreign_key(&mut fk(
                        "fk_appointments_type",
                        "appointments",
                        "appointment_type_id",
                        "appointment_types",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                new_tenant_table("waitlist_entries")
                    .col(col("patient_id").uuid().not_null())
                    .col(col("appointment_type_id").uuid().not_null())
                    // Unset: any provider.
                    .col(col("provider_id").uuid().null())
                    // Only openings before this time are of interest.
                    .col(ts("wanted_before").not_null())
                    // `waiting`, `notified`, `removed`.
                    .col(col("status").string_len(16).not_null())
                    .col(col("created_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("notified_at").null())
                    .foreign_key(&mut fk(
                        "fk_waitlist_patient",
                        "waitlist_entries",
                        "patient_id",
                        "patients",
                    ))
                    .foreign_key(&mut fk(
                        "fk_waitlist_type",
                        "waitlist_entries",
                        "appointment_type_id",
                        "appointment_types",
                    ))
                    .foreign_key(&mut fk(
                        "fk_waitlist_provider",
                        "waitlist_entries",
                        "provider_id",
                        "providers",
                    ))
                    .to_owned(),
            )
            .await?;

        for index in [
            tenant_index(
                "ix_availability_provider",
                Alias::new("availability_windows"),
                &["provider_id", "weekday"],
                false,
            ),
            tenant_index(
                "ix_schedule_blocks_provider_start",
                Alias::new("schedule_blocks"),
                &["provider_id", "starts_at"],
                false,
            ),
            tenant_index(
                "ix_appointments_provider_start",
                Alias::new("appointments"),
                &["provider_id", "starts_at"],
                false,
            ),
            tenant_index(
                "ix_appointments_patient_start",
                Alias::new("appointments"),
                &["patient_id", "starts_at"],
                false,
            ),
            tenant_index(
                "ix_waitlist_type_status",
                Alias::new("waitlist_entries"),
                &["appointment_type_id", "status", "created_at"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }

        // Appointments and the waitlist keep their history: no DELETE for the application.
        for (table, privileges) in [
            ("providers", "SELECT, INSERT, UPDATE"),
            ("locations", "SELECT, INSERT, UPDATE"),
            ("appointment_types", "SELECT, INSERT, UPDATE"),
            ("availability_windows", "SELECT, INSERT, UPDATE, DELETE"),
            ("schedule_blocks", "SELECT, INSERT, UPDATE, DELETE"),
            ("appointments", "SELECT, INSERT, UPDATE"),
            ("waitlist_entries", "SELECT, INSERT, UPDATE"),
        ] {
            postgres::tenant_table(manager, table, privileges).await?;
        }

        if manager.get_database_backend() == DbBackend::Postgres {
            // The database itself refuses a second booked appointment that overlaps one of the
            // same provider, whatever the application checked before inserting.
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE EXTENSION IF NOT EXISTS btree_gist; \
                     ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap \
                       EXCLUDE USING gist (tenant_id WITH =, provider_id WITH =, \
                         tstzrange(starts_at, ends_at) WITH &&) \
                       WHERE (status IN ('booked', 'completed', 'no_show'))",
                )
                .await?;
        }
        Ok(())
    }
}
