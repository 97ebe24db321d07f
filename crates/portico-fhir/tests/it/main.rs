//! portico-fhir's tests: mapping of US Core examples, hostile input, HTTP behaviour against a
//! local server, SMART auth, and write-back bodies.

#![expect(clippy::unwrap_used, reason = "test harness")]

mod clinical;
mod hostile;
mod http;
mod identity;
mod mapping;
/// The generated Patient corpus the black-box suite uses too.
#[path = "../../../../tests/patient_corpus.rs"]
#[expect(dead_code, reason = "the black-box suite uses the rest")]
mod patient_corpus;
mod smart;
mod support;
mod writes;
