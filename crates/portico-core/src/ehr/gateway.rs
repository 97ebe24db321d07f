//! The port through which the domain reaches a practice's EHR. The FHIR adapter
//! (`portico-fhir`) implements it; the sync and write-back jobs use it. Everything that
//! crosses it is already mapped: the domain never sees FHIR JSON, and the adapter never sees
//! the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::model::{Change, OutboundWrite, ResourceKind};

/// How Portico authenticates to the EHR.
#[derive(Clone)]
pub enum EhrAuth {
    /// SMART Backend Services: a JWT assertion signed with the client's private key,
    /// exchanged at the token endpoint (found in `.well-known/smart-configuration` when not
    /// given) for a short-lived access token.
    Smart {
        client_id: String,
        /// PKCS#8 PEM, RSA (RS384) or EC P-384 (ES384).
        private_key_pem: String,
        key_id: Option<String>,
        token_endpoint: Option<String>,
        scope: String,
    },
    /// A static bearer token, for sandboxes.
    Bearer { token: String },
}

impl std::fmt::Debug for EhrAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs.
        match self {
            Self::Smart { client_id, .. } => write!(f, "Smart({client_id})"),
            Self::Bearer { .. } => write!(f, "Bearer"),
        }
    }
}

/// What the adapter needs to reach one practice's EHR.
#[derive(Clone, Debug)]
pub struct EhrEndpoint {
    pub base_url: String,
    pub auth: EhrAuth,
}

/// Why a call to the EHR failed. `message` is for logs and the admin status; adapters keep it
/// free of PHI (status lines, error codes, never response bodies).
#[derive(Clone, Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EhrError {
    /// Stable code: `EHR_UNAVAILABLE`, `EHR_TIMEOUT`, `EHR_AUTH_FAILED`, `EHR_REFUSED`,
    /// `EHR_TOO_LARGE`, `EHR_INSECURE_URL`, `EHR_BAD_RESPONSE`, `EHR_REDIRECT_REFUSED`.
    pub code: &'static str,
    pub message: String,
    /// Trying again later may help (down, slow, rate limited); otherwise it is for good.
    pub retryable: bool,
}

impl EhrError {
    pub fn new(code: &'static str, message: impl Into<String>, retryable: bool) -> Self {
        Self {
            code,
            message: message.into(),
            retryable,
        }
    }
}

/// What `/metadata` says the server is and supports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub fhir_version: String,
    pub software: Option<String>,
    /// Resource types the server lists, in its order.
    pub resource_types: Vec<String>,
    /// Those whose history it offers (`history-type`), where deletions can be read.
    pub history_types: Vec<String>,
    pub token_endpoint: Option<String>,
}

/// Which page of changes to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageRequest {
    /// The first page of `kind` changed at or after `since` (everything when `None`), oldest
    /// first, optionally for one EHR patient only.
    Updated {
        kind: ResourceKind,
        since: Option<DateTime<Utc>>,
        patient: Option<String>,
    },
    /// The first page of `kind`'s history since `since`, of which only deletions are kept.
    Deleted {
        kind: ResourceKind,
        since: DateTime<Utc>,
    },
    /// A `next` link of an earlier page. The adapter follows only links on the connection's
    /// own base URL.
    Next { kind: ResourceKind, url: String },
}

/// One page of changes: the mapped resources, those refused, and the link to the next page.
#[derive(Clone, Debug, Default)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    pub next: Option<String>,
}

/// One page of the ids the EHR has of a type, for a reconciliation.
#[derive(Clone, Debug, Default)]
pub struct IdPage {
    pub ids: Vec<String>,
    pub next: Option<String>,
}

/// The result of a write-back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Written; the resource's id and new version.
    Written {
        fhir_id: String,
        version_id: Option<String>,
    },
    /// The EHR's resource changed since Portico last read it (`If-Match` refused, or its
    /// version is not the one expected): staff decide, nothing was overwritten.
    Conflict { current_version: Option<String> },
}

/// One practice's EHR.
#[async_trait]
pub trait EhrGateway: Send + Sync {
    async fn capabilities(&self) -> Result<Capabilities, EhrError>;
    /// Checks the credentials (a token exchange, or an authenticated read).
    async fn check_auth(&self) -> Result<(), EhrError>;
    async fn changes(&self, request: &PageRequest) -> Result<ChangePage, EhrError>;
    /// A page of the ids the EHR has of `kind` (with the pull's filter): the first page, or
    /// the one at `next` (a link of the previous page, on the connection's base URL only).
    async fn ids(&self, kind: ResourceKind, next: Option<&str>) -> Result<IdPage, EhrError>;
    /// Whether the EHR still has `kind/fhir_id` (a read answered 404 or 410: it does not).
    async fn exists(&self, kind: ResourceKind, fhir_id: &str) -> Result<bool, EhrError>;
    async fn write(&self, write: &OutboundWrite) -> Result<WriteOutcome, EhrError>;
}

/// Opens gateways. Chosen once at start-up; `allow_loopback_http` is the deployment's, never
/// a tenant's, setting.
pub trait EhrConnector: Send + Sync {
    fn connect(&self, endpoint: &EhrEndpoint) -> Result<Arc<dyn EhrGateway>, EhrError>;
    /// Whether `base_url` may be used at all (https, or loopback http when allowed).
    fn check_url(&self, base_url: &str) -> Result<(), EhrError>;
}
