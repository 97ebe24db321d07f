//! The EHR port over FHIR R4: `FhirConnector` opens a `FhirGateway` per practice connection;
//! the gateway reads pages of changes and writes portal changes back.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use portico_core::ehr::gateway::{
    Capabilities, ChangePage, EhrAuth, EhrConnector, EhrEndpoint, EhrError, EhrGateway, IdPage,
    PageRequest, WriteOutcome,
};
use portico_core::ehr::model::{OutboundWrite, ResourceKind};
use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use url::Url;

use crate::http::{
    Answer, BAD_RESPONSE, FHIR_JSON, FhirHttp, HttpSettings, REDIRECT_REFUSED, REFUSED,
};
use crate::smart::{Auth, SmartAuth, join, token_endpoint_in};
use crate::{inbound, safety};

mod ids;
mod write_back;

/// FHIR's conditional create header.
const IF_NONE_EXIST: &str = "If-None-Exist";

/// The precondition a request carries.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Condition<'a> {
    None,
    /// `If-Match: W/"{version}"`: write only over that version.
    IfMatch(&'a str),
    /// `If-None-Exist: {search}`: create only if nothing matches.
    IfNoneExist(&'a str),
}

/// Opens FHIR gateways with the deployment's limits.
#[derive(Clone, Debug)]
pub struct FhirConnector {
    /// Plain http to loopback hosts (local sandboxes); never on in production.
    pub allow_loopback_http: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// `_count` of each page.
    pub page_size: u32,
}

impl Default for FhirConnector {
    fn default() -> Self {
        let http = HttpSettings::default();
        Self {
            allow_loopback_http: false,
            connect_timeout: http.connect_timeout,
            request_timeout: http.request_timeout,
            max_body_bytes: http.max_body_bytes,
            page_size: 100,
        }
    }
}

impl EhrConnector for FhirConnector {
    fn connect(&self, endpoint: &EhrEndpoint) -> Result<Arc<dyn EhrGateway>, EhrError> {
        Ok(Arc::new(FhirGateway::new(endpoint, self)?))
    }

    fn check_url(&self, base_url: &str) -> Result<(), EhrError> {
        safety::check_url(base_url, self.allow_loopback_http).map(|_| ())
    }
}

/// One practice's FHIR server.
pub struct FhirGateway {
    base: Url,
    base_str: String,
    http: FhirHttp,
    auth: Auth,
    page_size: u32,
}

impl FhirGateway {
    pub fn new(endpoint: &EhrEndpoint, connector: &FhirConnector) -> Result<Self, EhrError> {
        let base = safety::check_url(&endpoint.base_url, connector.allow_loopback_http)?;
        let http = FhirHttp::new(&HttpSettings {
            connect_timeout: connector.connect_timeout,
            request_timeout: connector.request_timeout,
            max_body_bytes: connector.max_body_bytes,
            allow_loopback: connector.allow_loopback_http,
        })?;
        let auth = match &endpoint.auth {
            EhrAuth::Bearer { token } => Auth::Bearer(token.clone()),
            EhrAuth::Smart {
                client_id,
                private_key_pem,
                key_id,
                token_endpoint,
                scope,
            } => Auth::Smart(Box::new(SmartAuth::new(
                client_id.clone(),
                private_key_pem,
                key_id.clone(),
                token_endpoint.as_deref(),
                scope.clone(),
                connector.allow_loopback_http,
            )?)),
        };
        Ok(Self {
            base_str: safety::base_string(&base),
            base,
            http,
            auth,
            page_size: connector.page_size.clamp(1, 1000),
        })
    }

    /// A request with the access token; on a 401 the token is dropped and the request tried
    /// once more with a new one (it may have been revoked or expired early).
    async fn authed(
        &self,
        method: Method,
        url: &Url,
        kind: &str,
        body: Option<&Value>,
        condition: Condition<'_>,
    ) -> Result<Answer, EhrError> {
        let token = self.auth.token(&self.http, &self.base).await?;
        let answer = self
            .send(method.clone(), url, kind, &token, body, condition)
            .await?;
        if answer.status == StatusCode::UNAUTHORIZED && self.auth.forget().await {
            let token = self.auth.token(&self.http, &self.base).await?;
            return self.send(method, url, kind, &token, body, condition).await;
        }
        Ok(answer)
    }

    async fn send(
        &self,
        method: Method,
        url: &Url,
        kind: &str,
        token: &str,
        body: Option<&Value>,
        condition: Condition<'_>,
    ) -> Result<Answer, EhrError> {
        self.http
            .send(method, url, kind, |mut r| {
                r = r.bearer_auth(token);
                if let Some(body) = body {
                    r = r
                        .header(header::CONTENT_TYPE, FHIR_JSON)
                        .body(body.to_string());
                }
                match condition {
                    Condition::None => {}
                    Condition::IfMatch(version) => {
                        r = r.header(header::IF_MATCH, format!("W/\"{version}\""));
                    }
                    Condition::IfNoneExist(search) => {
                        r = r.header(IF_NONE_EXIST, search);
                    }
                }
                r
            })
            .await
    }

    async fn page(&self, url: &Url, kind: ResourceKind) -> Result<ChangePage, EhrError> {
        let bundle: Value = self
            .authed(Method::GET, url, kind.as_str(), None, Condition::None)
            .await?
            .success()?
            .json()?;
        let fetched = match kind {
            ResourceKind::MedicationRequest => self.medications_for(&bundle).await?,
            _ => inbound::Included::default(),
        };
        inbound::map_bundle_with(&bundle, kind, &self.base_str, fetched)
    }

    /// The Medications the page's requests name by reference and neither contain nor
    /// include, read with `Medication?_id=...` (one search per page-sized batch). A server
    /// that refuses the search leaves them unresolved (those requests are refused on their
    /// own); one that is down or slow fails the page, to be tried again.
    async fn medications_for(&self, bundle: &Value) -> Result<inbound::Included, EhrError> {
        let mut found = inbound::Included::default();
        let page_included = inbound::Included::from_page(bundle);
        let ids = inbound::unresolved_medications(bundle, &self.base_str, &page_included);
        let batch = usize::try_from(self.page_size).unwrap_or(100).max(1);
        for chunk in ids.chunks(batch) {
            let mut url = join(&self.base, "Medication")?;
            url.query_pairs_mut()
                .append_pair("_id", &chunk.join(","))
                .append_pair("_count", &chunk.len().to_string());
            let answer = self
                .authed(Method::GET, &url, "Medication", None, Condition::None)
                .await?;
            let read: Value = match answer.success() {
                Ok(answer) => answer.json()?,
                Err(e) if e.retryable => return Err(e),
                Err(e) => {
                    tracing::warn!(code = e.code, "EHR refused to read Medications");
                    continue;
                }
            };
            found.add(
                read.get("entry")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.get("resource")),
            );
        }
        Ok(found)
    }

    fn updated_url(
        &self,
        kind: ResourceKind,
        since: Option<&DateTime<Utc>>,
        patient: Option<&str>,
    ) -> Result<Url, EhrError> {
        let mut url = join(&self.base, kind.as_str())?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(since) = since {
                query.append_pair("_lastUpdated", &format!("ge{}", instant(since)));
            }
            query
                .append_pair("_sort", "_lastUpdated")
                .append_pair("_count", &self.page_size.to_string());
            if let Some((name, value)) = kind.search_filter() {
                query.append_pair(name, value);
            }
            match (kind, patient) {
                (ResourceKind::Patient, Some(id)) => {
                    query.append_pair("_id", &checked_id(id)?);
                }
                // Practitioners and locations do not belong to a patient.
                (ResourceKind::Practitioner | ResourceKind::Location, _) | (_, None) => {}
                (_, Some(id)) => {
                    query.append_pair("patient", &format!("Patient/{}", checked_id(id)?));
                }
            }
        }
        Ok(url)
    }
}

#[async_trait]
impl EhrGateway for FhirGateway {
    async fn capabilities(&self) -> Result<Capabilities, EhrError> {
        let url = join(&self.base, "metadata")?;
        // The CapabilityStatement is public; a token is sent only if one is at hand.
        let token = self.auth.token_if_cached().await;
        let metadata: Value = self
            .http
            .send(Method::GET, &url, "metadata", |r| match &token {
                Some(t) => r.bearer_auth(t),
                None => r,
            })
            .await?
            .success()?
            .json()?;
        if metadata.get("resourceType").and_then(Value::as_str) != Some("CapabilityStatement") {
            return Err(EhrError::new(
                BAD_RESPONSE,
                "GET metadata: not a CapabilityStatement",
                false,
            ));
        }
        let string = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(|s| s.chars().take(200).collect::<String>())
        };
        let software = match (
            string(metadata.pointer("/software/name")),
            string(metadata.pointer("/software/version")),
        ) {
            (Some(name), Some(version)) => Some(format!("{name} {version}")),
            (name, _) => name,
        };
        let rest = metadata
            .get("rest")
            .and_then(Value::as_array)
            .and_then(|rests| {
                rests
                    .iter()
                    .find(|r| r.get("mode").and_then(Value::as_str) == Some("server"))
                    .or_else(|| rests.first())
            });
        let resources = rest
            .and_then(|r| r.get("resource"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let resource_types = resources
            .iter()
            .filter_map(|r| string(r.get("type")))
            .collect();
        let history_types = resources
            .iter()
            .filter(|r| {
                r.get("interaction")
                    .and_then(Value::as_array)
                    .is_some_and(|list| {
                        list.iter()
                            .any(|i| i.get("code").and_then(Value::as_str) == Some("history-type"))
                    })
            })
            .filter_map(|r| string(r.get("type")))
            .collect();
        Ok(Capabilities {
            fhir_version: string(metadata.get("fhirVersion")).unwrap_or_default(),
            software,
            resource_types,
            history_types,
            token_endpoint: token_endpoint_in(&metadata),
        })
    }

    async fn check_auth(&self) -> Result<(), EhrError> {
        match &self.auth {
            Auth::Smart(_) => {
                // A fresh exchange, not a cached token: the point is to test the credentials.
                self.auth.forget().await;
                self.auth.token(&self.http, &self.base).await.map(|_| ())
            }
            Auth::Bearer(_) => {
                let mut url = join(&self.base, "Patient")?;
                url.query_pairs_mut().append_pair("_count", "1");
                self.authed(Method::GET, &url, "Patient", None, Condition::None)
                    .await?
                    .success()
                    .map(|_| ())
            }
        }
    }

    async fn changes(&self, request: &PageRequest) -> Result<ChangePage, EhrError> {
        match request {
            PageRequest::Updated {
                kind,
                since,
                patient,
            } => {
                let url = self.updated_url(*kind, since.as_ref(), patient.as_deref())?;
                self.page(&url, *kind).await
            }
            PageRequest::Deleted { kind, since } => {
                let mut url = join(&self.base, &format!("{}/_history", kind.as_str()))?;
                url.query_pairs_mut()
                    .append_pair("_since", &instant(since))
                    .append_pair("_count", &self.page_size.to_string());
                self.page(&url, *kind).await
            }
            PageRequest::Next { kind, url } => self.page(&self.checked_next(url)?, *kind).await,
        }
    }

    async fn ids(&self, kind: ResourceKind, next: Option<&str>) -> Result<IdPage, EhrError> {
        self.id_page(kind, next).await
    }

    async fn exists(&self, kind: ResourceKind, fhir_id: &str) -> Result<bool, EhrError> {
        self.still_there(kind, fhir_id).await
    }

    async fn write(&self, write: &OutboundWrite) -> Result<WriteOutcome, EhrError> {
        self.write_back(write).await
    }
}

impl FhirGateway {
    /// A `next` link the server sent, if it is on the connection's base URL: the server
    /// chooses the link, and it must not send Portico's token elsewhere.
    fn checked_next(&self, url: &str) -> Result<Url, EhrError> {
        let refused = || {
            EhrError::new(
                REDIRECT_REFUSED,
                "next link is not on the connection's base URL",
                false,
            )
        };
        let link = Url::parse(url).map_err(|_| refused())?;
        if !safety::is_under(&self.base, &link) {
            return Err(refused());
        }
        Ok(link)
    }
}

/// An id Portico puts into a URL path must be a plain FHIR id, never `../x` or `a?b`.
fn checked_id(id: &str) -> Result<String, EhrError> {
    inbound::fields::id(id).map_err(|_| EhrError::new(REFUSED, "not a valid FHIR id", false))
}

fn instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
