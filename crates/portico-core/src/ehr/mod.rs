//! EHR sync: a practice's FHIR R4 connection, the incremental pull into the chart, the
//! write-back of portal changes through the outbox, and what admins see of it.

pub mod gateway;
pub mod model;
