use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use portico_core::ehr::gateway::{EhrAuth, EhrConnector, EhrEndpoint, EhrGateway};
use portico_core::ehr::model::{Change, Inbound, Mapped, ResourceKind};
use portico_fhir::FhirConnector;
use serde_json::Value;
use std::sync::Arc;

pub const BASE: &str = "https://ehr.example.org/fhir";

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(&format!("us-core/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn read(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

/// Maps and expects an upsert.
pub fn mapped(raw: &Value, kind: ResourceKind) -> Mapped {
    match portico_fhir::inbound::map_resource(raw, kind, BASE) {
        Change::Upsert(m) => m,
        other => panic!("expected an upsert, got {other:?}"),
    }
}

pub fn record(raw: &Value, kind: ResourceKind) -> Inbound {
    mapped(raw, kind).record
}

/// Maps and expects a rejection; returns its code and id.
pub fn rejected(raw: &Value, kind: ResourceKind) -> (&'static str, Option<String>) {
    match portico_fhir::inbound::map_resource(raw, kind, BASE) {
        Change::Rejected { code, fhir_id, .. } => (code, fhir_id),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Serves `router` on a random loopback port; returns `http://127.0.0.1:{port}`.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://127.0.0.1:{}", addr.port())
}

pub fn connector() -> FhirConnector {
    FhirConnector {
        allow_loopback_http: true,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..FhirConnector::default()
    }
}

pub fn bearer(base: &str) -> EhrEndpoint {
    EhrEndpoint {
        base_url: base.to_owned(),
        auth: EhrAuth::Bearer {
            token: "sandbox-token".to_owned(),
        },
    }
}

pub fn gateway(connector: &FhirConnector, endpoint: &EhrEndpoint) -> Arc<dyn EhrGateway> {
    connector.connect(endpoint).unwrap()
}

pub fn capability_statement() -> Value {
    serde_json::json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2024-01-01",
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "software": { "name": "Test EHR", "version": "2.1" },
        "rest": [{
            "mode": "server",
            "security": { "extension": [{
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [
                    { "url": "token", "valueUri": "https://auth.example.org/token" },
                    { "url": "authorize", "valueUri": "https://auth.example.org/authorize" }
                ]
            }]},
            "resource": [{ "type": "Patient" }, { "type": "Observation" }]
        }]
    })
}
