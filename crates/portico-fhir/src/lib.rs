//! FHIR R4 client (SMART Backend Services auth) and mapping to and from core types: the
//! adapter behind `portico_core::ehr::gateway::EhrGateway`.
//!
//! FHIR R4 servers are read with fhir-model's R4B types, which are wire-compatible for the
//! resources Portico uses.

pub mod gateway;
pub mod http;
pub mod inbound;
pub mod outbound;
pub mod safety;
pub mod smart;

pub use gateway::{FhirConnector, FhirGateway};
pub use http::HttpSettings;
