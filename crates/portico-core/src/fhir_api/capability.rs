//! The CapabilityStatement: what `/fhir/r4` serves, built from the same table of types and
//! search parameters the searches are checked against, so it cannot drift from them.

use serde_json::{Value, json};

use super::{
    params::{DEFAULT_COUNT, MAX_COUNT},
    types::{ResourceType, US_CORE},
};

/// Where FHIR Bulk Data Access defines its operations.
const BULK: &str = "http://hl7.org/fhir/uv/bulkdata";

/// Where SMART apps get their tokens (absolute URLs).
#[derive(Clone, Copy, Debug)]
pub struct OAuthUris<'a> {
    pub authorize: &'a str,
    pub token: &'a str,
}

/// The statement for the API at `base` (its absolute URL, without a trailing slash),
/// published by `software` at `version`.
pub fn statement(
    base: &str,
    oauth: OAuthUris<'_>,
    software: &str,
    version: &str,
    date: &str,
) -> Value {
    let resources: Vec<Value> = ResourceType::ALL
        .into_iter()
        .map(|ty| {
            let mut interaction = vec![json!({ "code": "read" })];
            if ty.searchable() {
                interaction.push(json!({ "code": "search-type" }));
            }
            let params: Vec<Value> = ty
                .params()
                .iter()
                .map(|p| json!({ "name": p.name, "type": p.kind.as_str() }))
                .collect();
            let mut resource = json!({
                "type": ty.as_str(),
                "interaction": interaction,
                "searchParam": params,
            });
            if let Some(profile) = ty.profile() {
                resource["supportedProfile"] = json!([format!("{US_CORE}{profile}")]);
            }
            if ty.searchable() && ty != ResourceType::Provenance {
                resource["searchRevInclude"] = json!(["Provenance:target"]);
            }
            if ty == ResourceType::Patient {
                resource["operation"] = json!([{
                    "name": "export",
                    "definition": format!("{BULK}/OperationDefinition/patient-export"),
                }]);
            }
            resource
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": { "name": software, "version": version },
        "implementation": {
            "description": "Portico's patient-facing FHIR API",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "instantiates": [
            "http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server",
            format!("{BULK}/CapabilityStatement/bulk-data"),
        ],
        "rest": [{
            "mode": "server",
            "documentation": format!(
                "Read and search, newest first, {DEFAULT_COUNT} to a page unless _count asks \
                 for up to {MAX_COUNT}; _offset pages on. An unknown search parameter is \
                 refused with an OperationOutcome."
            ),
            "security": {
                "service": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }],
                }],
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [
                        { "url": "authorize", "valueUri": oauth.authorize },
                        { "url": "token", "valueUri": oauth.token },
                    ],
                }],
                "description": "A SMART app's access token (standalone patient launch, \
                                .well-known/smart-configuration), or a bearer access token \
                                or API key of the practice, as for the GraphQL API. A \
                                SMART Backend Services token (client_credentials with a \
                                signed assertion) for $export.",
            },
            "resource": resources,
            "operation": [{
                "name": "export",
                "definition": format!("{BULK}/OperationDefinition/export"),
            }],
        }],
    })
}
