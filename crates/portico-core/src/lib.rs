//! Portico's domain: the entities, the tenant-scoped transaction that is the only way to reach
//! tenant data, the services per area and the ports (traits) that adapters implement.
//!
//! This crate knows nothing of HTTP, GraphQL or the job queue; those depend on it, never the
//! other way round.

pub mod account_mail;
pub mod accounts;
pub mod activation;
pub mod admin_changes;
pub mod adoption;
pub mod api_keys;
pub mod audit;
pub mod billing;
pub mod branding;
pub mod break_glass;
pub mod caches;
pub mod campaigns;
pub mod chart_access;
pub mod contact_details;
pub mod db;
pub mod demo;
pub mod education;
pub mod ehr;
pub mod entities;
pub mod error;
pub mod events;
pub mod feedback;
pub mod fhir_api;
pub mod forms;
pub mod identity;
pub mod ids;
pub mod invitations;
pub mod mail;
pub mod messaging;
pub mod notify;
pub mod outbox;
pub mod passkeys;
pub mod password_change;
pub mod patient_imports;
pub mod patient_search;
pub mod patients;
pub mod permissions;
pub mod portability;
pub mod ports;
pub mod practice_status;
pub mod proxies;
pub mod pubsub;
pub mod readings;
pub mod records;
pub mod recovery;
pub mod refills;
pub mod resets;
pub mod scheduling;
pub mod secrets;
pub mod session_settings;
pub mod sessions;
pub mod sign_in;
pub mod signing_keys;
pub mod smart;
pub mod sql_params;
pub mod statements;
pub mod tenancy;
pub mod tenants;
pub mod throttle;
pub mod totp_enrolment;
pub mod webhooks;

pub use db::Db;
pub use error::{CoreError, CoreResult};
pub use ids::{AuditEventId, PatientId, TenantId, UserId};
pub use tenancy::{TenantScope, TenantTx};
