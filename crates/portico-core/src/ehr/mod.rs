//! EHR sync: a practice's FHIR R4 connection, the incremental pull into the chart, the
//! write-back of portal changes through the outbox, and what admins see of it.
//!
//! The adapter (`portico-fhir`) maps FHIR to [`model`] and back behind [`gateway`]; this
//! module never sees FHIR JSON, and the adapter never sees the database.

mod batch;
pub mod columns;
pub mod connection;
pub mod gateway;
pub mod ingest;
pub mod links;
pub mod marks;
pub mod matching;
pub mod model;
pub mod reading_observation;
pub mod reviews;
pub mod runs;
pub mod status;
pub mod sync;
pub mod writeback;
