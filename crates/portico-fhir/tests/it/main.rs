//! portico-fhir's tests: mapping of US Core examples, hostile input, HTTP behaviour against a
//! local server, SMART auth, and write-back bodies.

#![expect(clippy::unwrap_used, reason = "test harness")]

mod clinical;
mod hostile;
mod http;
mod mapping;
mod smart;
mod support;
mod writes;
