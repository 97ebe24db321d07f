//! Reaching practices' EHRs (FHIR R4).

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, within};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct EhrConfig {
    /// Plain http to a loopback EHR (local sandboxes and tests); https only otherwise.
    pub ehr_allow_loopback_http: bool,
    /// How long one request to an EHR may take.
    pub ehr_request_timeout_secs: u64,
    /// Resources asked for per page of an EHR pull.
    pub ehr_page_size: u32,
}

/// The defaults are the FHIR client's.
impl Default for EhrConfig {
    fn default() -> Self {
        let fhir = portico_fhir::FhirConnector::default();
        Self {
            ehr_allow_loopback_http: fhir.allow_loopback_http,
            ehr_request_timeout_secs: fhir.request_timeout.as_secs(),
            ehr_page_size: fhir.page_size,
        }
    }
}

impl EhrConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        within(
            "PORTICO_EHR_REQUEST_TIMEOUT_SECS",
            self.ehr_request_timeout_secs,
            1..=300,
        )?;
        within("PORTICO_EHR_PAGE_SIZE", self.ehr_page_size, 10..=1000)
    }

    /// The FHIR client with these settings and its own other limits.
    pub fn connector(&self) -> portico_fhir::FhirConnector {
        portico_fhir::FhirConnector {
            allow_loopback_http: self.ehr_allow_loopback_http,
            request_timeout: Duration::from_secs(self.ehr_request_timeout_secs),
            page_size: self.ehr_page_size,
            ..portico_fhir::FhirConnector::default()
        }
    }
}
