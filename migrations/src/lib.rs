//! Portico's schema as sea-orm migrations. The tables are portable; what only PostgreSQL has
//! (the application role, grants and row-level security) is guarded by backend in
//! [`postgres`]; SQLite's length guards, which make it refuse what PostgreSQL refuses, in
//! [`sqlite`].

use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_identity;
mod m20261125_000003_invitations;
mod m20261125_000004_api_keys;
mod m20261125_000005_role_permissions;
mod m20261125_000006_tenant_status;
mod m20261125_000007_one_time_secrets;
mod m20261125_000008_proxy_grants;
mod m20261125_000009_session_settings;
mod m20261125_000010_audit_context;
mod m20261125_000011_scheduling;
mod m20261125_000012_records;
mod m20261125_000013_outbox;
mod m20261125_000014_reminders;
mod m20261125_000015_notifications;
mod m20261130_000016_recalls;
mod m20261130_000017_messaging;
mod m20261130_000018_refills;
mod m20261130_000019_ehr;
mod m20261130_000020_adoption;
mod m20261130_000021_billing;
mod m20261205_000023_ehr_clinical;
mod m20261205_000024_ehr_sync_rules;
mod m20261205_000026_api_edges;
mod m20261206_000032_patient_imports;
mod m20261206_000033_home_readings;
mod m20261206_000034_feedback;
mod m20261206_000035_forms;
mod m20261207_000036_invitation_campaigns;
mod m20261207_000037_education;
mod m20261207_000038_ehr_send_readings;
mod m20261207_000039_permission_denials;
pub mod m20261212_000027_patient_search;
mod m20261213_000028_passkeys;
mod m20261213_000029_session_devices;
mod m20261213_000030_practice_phone;
mod m20261214_000031_audit_pending;
mod m20261215_000040_webhooks;
mod m20261215_000041_api_key_scopes;
mod m20261215_000042_smart_apps;
mod m20261216_000043_bulk_export;
pub mod postgres;
mod shape;
pub mod sqlite;

pub use sea_orm_migration::MigratorTrait;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_identity::Migration),
            Box::new(m20261125_000003_invitations::Migration),
            Box::new(m20261125_000004_api_keys::Migration),
            Box::new(m20261125_000005_role_permissions::Migration),
            Box::new(m20261125_000006_tenant_status::Migration),
            Box::new(m20261125_000007_one_time_secrets::Migration),
            Box::new(m20261125_000008_proxy_grants::Migration),
            Box::new(m20261125_000009_session_settings::Migration),
            Box::new(m20261125_000010_audit_context::Migration),
            Box::new(m20261125_000011_scheduling::Migration),
            Box::new(m20261125_000012_records::Migration),
            Box::new(m20261125_000013_outbox::Migration),
            Box::new(m20261125_000014_reminders::Migration),
            Box::new(m20261125_000015_notifications::Migration),
            Box::new(m20261130_000016_recalls::Migration),
            Box::new(m20261130_000017_messaging::Migration),
            Box::new(m20261130_000018_refills::Migration),
            Box::new(m20261130_000019_ehr::Migration),
            Box::new(m20261130_000020_adoption::Migration),
            Box::new(m20261130_000021_billing::Migration),
            Box::new(m20261205_000023_ehr_clinical::Migration),
            Box::new(m20261205_000024_ehr_sync_rules::Migration),
            Box::new(m20261205_000026_api_edges::Migration),
            Box::new(m20261212_000027_patient_search::Migration),
            Box::new(m20261213_000028_passkeys::Migration),
            Box::new(m20261213_000029_session_devices::Migration),
            Box::new(m20261213_000030_practice_phone::Migration),
            Box::new(m20261214_000031_audit_pending::Migration),
            Box::new(m20261206_000032_patient_imports::Migration),
            Box::new(m20261206_000033_home_readings::Migration),
            Box::new(m20261206_000034_feedback::Migration),
            Box::new(m20261206_000035_forms::Migration),
            Box::new(m20261207_000036_invitation_campaigns::Migration),
            Box::new(m20261207_000037_education::Migration),
            Box::new(m20261207_000038_ehr_send_readings::Migration),
            Box::new(m20261207_000039_permission_denials::Migration),
            Box::new(m20261215_000040_webhooks::Migration),
            Box::new(m20261215_000041_api_key_scopes::Migration),
            Box::new(m20261215_000042_smart_apps::Migration),
            Box::new(m20261216_000043_bulk_export::Migration),
        ]
    }
}
