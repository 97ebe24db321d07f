//! Black-box tests of Portico over HTTP. Every test runs on SQLite, and on PostgreSQL + Redis
//! when `PORTICO_TEST_DATABASE_URL` and `PORTICO_TEST_REDIS_URL` are set.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers unwrap outside #[test] functions too"
)]

mod activation_guessing;
mod adoption;
mod api_keys;
mod attachments;
mod audit;
mod authz;
mod billing;
mod branding;
mod break_glass;
mod browser_session;
mod bulk_export;
mod caches;
mod campaigns;
mod change_password;
mod chart_access;
mod citus_ready;
mod cli;
mod cluster;
mod console;
mod demo;
mod developer_guide;
mod education;
mod ehr;
mod ehr_clinical;
mod enrolment;
mod error_codes;
mod export_tenant;
mod feedback;
mod fhir_api;
mod fhir_export;
mod forms;
mod graceful_shutdown;
mod graphql_http;
mod hardening;
mod health;
mod identity;
mod ids;
mod isolation;
mod jobs;
mod language;
mod limits;
mod live_messages;
mod mail;
mod messaging;
mod migrations_compat;
mod multipart;
mod my_sessions;
mod nesting;
mod notifications;
mod observability;
mod operators;
mod outbox;
mod passkeys;
mod patient_import;
mod patient_search;
mod permissions;
mod persisted_queries;
mod portal;
mod proxies;
mod pubsub;
mod read_path;
mod readings;
mod readings_ehr;
mod recalls;
mod records;
mod redis_restart;
mod refills;
mod reminders;
mod rls;
mod scheduling;
mod schema;
mod security_headers;
mod smart;
mod staff;
mod subscriptions;
mod support;
mod tenants;
mod tokens;
mod webhooks;
mod worker_crash;
