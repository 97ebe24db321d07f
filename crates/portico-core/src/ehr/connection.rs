//! A practice's EHR connection: where the FHIR server is, how Portico authenticates to it
//! (the private key or token sealed at rest, never read back through the API), how often it
//! syncs and which resource types. Saving checks the URL and the credentials' form with the
//! adapter before anything is stored.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{
    gateway::{EhrAuth, EhrConnector, EhrEndpoint},
    model::ResourceKind,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::ehr_connection::{self, Model as Connection},
    ports::SecretSealer,
};

pub const SMART: &str = "smart";
pub const BEARER: &str = "bearer";
pub const MIN_INTERVAL_MINUTES: i32 = 5;
pub const MAX_INTERVAL_MINUTES: i32 = 24 * 60;
/// Added to the default scope of a connection that sends home readings.
pub const READINGS_SCOPE: &str = "system/Observation.write";
pub const DEFAULT_SCOPE: &str = "system/*.read system/Appointment.write system/MedicationRequest.write system/Task.write system/Patient.write";

/// What a practice admin sets. A `None` secret keeps the one stored.
#[derive(Clone, Debug)]
pub struct ConnectionInput {
    pub base_url: String,
    pub auth: AuthInput,
    pub sync_interval_minutes: i32,
    pub resource_types: Vec<ResourceKind>,
    pub enabled: bool,
    /// Home readings go to the EHR as patient-reported Observations.
    pub send_readings: bool,
}

#[derive(Clone)]
pub enum AuthInput {
    Smart {
        client_id: String,
        private_key_pem: Option<String>,
        key_id: Option<String>,
        token_endpoint: Option<String>,
        scope: Option<String>,
    },
    Bearer {
        token: Option<String>,
    },
}

impl std::fmt::Debug for AuthInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smart { client_id, .. } => write!(f, "Smart({client_id})"),
            Self::Bearer { .. } => write!(f, "Bearer"),
        }
    }
}

fn context(tx: &TenantTx) -> Vec<u8> {
    format!("ehr-connection:{}", tx.tenant_id()).into_bytes()
}

pub async fn get(tx: &TenantTx) -> CoreResult<Option<Connection>> {
    Ok(tx.find::<ehr_connection::Entity>().one(tx.conn()).await?)
}

/// The resource types a connection pulls, in pull order.
pub fn kinds(connection: &Connection) -> Vec<ResourceKind> {
    let mut kinds: Vec<ResourceKind> = connection
        .resource_types
        .split(',')
        .filter_map(ResourceKind::parse)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The endpoint the adapter opens, with the secret unsealed.
pub fn endpoint(
    tx: &TenantTx,
    sealer: &dyn SecretSealer,
    connection: &Connection,
) -> CoreResult<EhrEndpoint> {
    let secret = sealer
        .open(&connection.sealed_secret, &context(tx))
        .map_err(CoreError::adapter)?;
    let secret = String::from_utf8(secret).map_err(CoreError::adapter)?;
    let auth = if connection.auth_kind == SMART {
        EhrAuth::Smart {
            client_id: connection.client_id.clone().unwrap_or_default(),
            private_key_pem: secret,
            key_id: connection.key_id.clone(),
            token_endpoint: connection.token_endpoint.clone(),
            // The default asks for Observation writes too when readings are sent; a scope the
            // admin wrote is theirs to complete.
            scope: connection.scope.clone().unwrap_or_else(|| {
                if connection.send_readings {
                    format!("{DEFAULT_SCOPE} {READINGS_SCOPE}")
                } else {
                    DEFAULT_SCOPE.to_owned()
                }
            }),
        }
    } else {
        EhrAuth::Bearer { token: secret }
    };
    Ok(EhrEndpoint {
        base_url: connection.base_url.clone(),
        auth,
    })
}

fn trimmed(value: Option<String>, field: &'static str, max: usize) -> CoreResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(CoreError::invalid(
            field,
            "VALUE_TOO_LONG",
            format!("at most {max} characters"),
        )),
        v => Ok(v),
    }
}

/// Creates or replaces the practice's connection. The URL and credentials are checked with
/// the adapter (an insecure URL or a key it cannot use is refused and nothing is stored).
pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    connector: &dyn EhrConnector,
    sealer: &dyn SecretSealer,
    input: ConnectionInput,
    now: DateTime<Utc>,
) -> CoreResult<Connection> {
    let base_url = input.base_url.trim().trim_end_matches('/').to_owned();
    if base_url.len() > 500 {
        return Err(CoreError::invalid(
            "baseUrl",
            "VALUE_TOO_LONG",
            "at most 500 characters",
        ));
    }
    connector
        .check_url(&base_url)
        .map_err(|e| CoreError::invalid("baseUrl", e.code, e.message))?;
    if !(MIN_INTERVAL_MINUTES..=MAX_INTERVAL_MINUTES).contains(&input.sync_interval_minutes) {
        return Err(CoreError::invalid(
            "syncIntervalMinutes",
            "INVALID_SYNC_INTERVAL",
            format!("between {MIN_INTERVAL_MINUTES} and {MAX_INTERVAL_MINUTES} minutes"),
        ));
    }
    // Patients are always pulled: every other record is matched to a chart through them.
    // What the chosen types refer to is pulled too (an appointment needs its provider and
    // place, a prescription its prescriber, a visit summary its visit).
    let mut kinds = input.resource_types.clone();
    kinds.push(ResourceKind::Patient);
    for kind in input.resource_types.iter().copied() {
        match kind {
            ResourceKind::Appointment => {
                kinds.extend([ResourceKind::Practitioner, ResourceKind::Location]);
            }
            ResourceKind::MedicationRequest | ResourceKind::Encounter => {
                kinds.push(ResourceKind::Practitioner);
            }
            ResourceKind::DocumentReference => kinds.push(ResourceKind::Encounter),
            _ => {}
        }
    }
    kinds.sort();
    kinds.dedup();
    let found = get(tx).await?;
    let moved = found.as_ref().is_some_and(|f| f.base_url != base_url);
    // A stored secret is only ever sent where it was given for: a new server (or token
    // endpoint, below) needs it given again.
    let kept_secret = |kind: &str, token_endpoint: &Option<String>| {
        found
            .as_ref()
            .filter(|f| f.auth_kind == kind && f.base_url == base_url)
            .filter(|f| &f.token_endpoint == token_endpoint)
            .map(|f| f.sealed_secret.clone())
    };
    let (auth_kind, client_id, key_id, token_endpoint, scope, secret) = match input.auth {
        AuthInput::Smart {
            client_id,
            private_key_pem,
            key_id,
            token_endpoint,
            scope,
        } => {
            let client_id = trimmed(Some(client_id), "clientId", 200)?.ok_or_else(|| {
                CoreError::invalid("clientId", "CLIENT_ID_REQUIRED", "give the client id")
            })?;
            let token_endpoint = trimmed(token_endpoint, "tokenEndpoint", 500)?;
            if let Some(url) = &token_endpoint {
                connector
                    .check_url(url)
                    .map_err(|e| CoreError::invalid("tokenEndpoint", e.code, e.message))?;
            }
            (
                SMART,
                Some(client_id),
                trimmed(key_id, "keyId", 200)?,
                token_endpoint,
                trimmed(scope, "scope", 500)?,
                trimmed(private_key_pem, "privateKey", 20_000)?,
            )
        }
        AuthInput::Bearer { token } => (
            BEARER,
            None,
            None,
            None,
            None,
            trimmed(token, "token", 4_000)?,
        ),
    };
    let sealed = match (secret, kept_secret(auth_kind, &token_endpoint)) {
        (Some(secret), _) => sealer
            .seal(secret.as_bytes(), &context(tx))
            .map_err(CoreError::adapter)?,
        (None, Some(kept)) => kept,
        (None, None) => {
            let field = if auth_kind == SMART {
                "privateKey"
            } else {
                "token"
            };
            return Err(CoreError::invalid(
                field,
                "SECRET_REQUIRED",
                "give the private key or token",
            ));
        }
    };
    let mut active: ehr_connection::ActiveModel = match &found {
        Some(found) => found.clone().into(),
        None => ehr_connection::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            failures: Set(0),
            next_run_at: Set(None),
            running_since: Set(None),
            running_run_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.base_url = Set(base_url);
    active.auth_kind = Set(auth_kind.to_owned());
    active.client_id = Set(client_id);
    active.key_id = Set(key_id);
    active.token_endpoint = Set(token_endpoint);
    active.scope = Set(scope);
    active.sealed_secret = Set(sealed);
    active.sync_interval_minutes = Set(input.sync_interval_minutes);
    active.resource_types = Set(kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(","));
    active.enabled = Set(input.enabled);
    active.send_readings = Set(input.send_readings);
    active.updated_at = Set(now);
    let model = if found.is_some() {
        active.update(tx.conn()).await?
    } else {
        active.insert(tx.conn()).await?
    };
    if moved {
        forget_server(tx).await?;
    }
    // The adapter must be able to use what was stored (a key it can sign with).
    let endpoint = endpoint(tx, sealer, &model)?;
    connector.connect(&endpoint).map_err(|e| {
        let field = if model.auth_kind == SMART {
            "privateKey"
        } else {
            "token"
        };
        CoreError::invalid(field, e.code, e.message)
    })?;
    audit::record(
        tx,
        actor,
        Access {
            action: "ehr.connection.save",
            resource_type: "EhrConnection",
            resource_id: Some(model.id),
            patient_id: None,
        },
    )
    .await?;
    Ok(model)
}

/// Another server's ids mean other people: the id map, the marks and the open reviews of
/// the old one go (the charts and records stay; the new server's pull matches patients
/// afresh).
async fn forget_server(tx: &TenantTx) -> CoreResult<()> {
    use crate::entities::{ehr_link, ehr_review, ehr_sync_mark};
    use sea_orm::{ColumnTrait, QueryFilter};
    tx.delete::<ehr_link::Entity>().exec(tx.conn()).await?;
    tx.delete::<ehr_sync_mark::Entity>().exec(tx.conn()).await?;
    tx.delete::<ehr_review::Entity>()
        .filter(ehr_review::Column::Status.eq(super::reviews::OPEN))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Removes the connection; pending write-backs stay in the outbox until one is set again.
pub async fn remove(tx: &TenantTx, actor: &Actor) -> CoreResult<bool> {
    let Some(found) = get(tx).await? else {
        return Ok(false);
    };
    tx.delete::<ehr_connection::Entity>()
        .exec(tx.conn())
        .await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "ehr.connection.remove",
            resource_type: "EhrConnection",
            resource_id: Some(found.id),
            patient_id: None,
        },
    )
    .await?;
    Ok(true)
}

/// `EHR_NOT_CONNECTED`: there is no connection (or it is switched off) to use.
pub fn not_connected() -> CoreError {
    CoreError::invalid(
        "connection",
        "EHR_NOT_CONNECTED",
        "set up the EHR connection first",
    )
}

/// The resource types an admin named (trimmed), or every supported one when they named
/// none; `UNKNOWN_RESOURCE_TYPE` for a type Portico does not pull.
pub fn resource_kinds(names: Option<&[String]>) -> CoreResult<Vec<ResourceKind>> {
    let Some(names) = names else {
        return Ok(ResourceKind::ALL.to_vec());
    };
    names
        .iter()
        .map(|n| {
            ResourceKind::parse(n.trim()).ok_or_else(|| {
                CoreError::invalid(
                    "resourceTypes",
                    "UNKNOWN_RESOURCE_TYPE",
                    format!(
                        "{} is not a type Portico pulls",
                        n.chars().take(40).collect::<String>()
                    ),
                )
            })
        })
        .collect()
}

/// What a connection test found: the EHR's `/metadata`, and whether the credentials work.
#[derive(Clone, Debug)]
pub struct TestResult {
    pub capabilities: super::gateway::Capabilities,
    /// Types the connection pulls that the server does not list.
    pub missing_types: Vec<String>,
    /// Why authentication failed, when it did.
    pub auth_error: Option<&'static str>,
}

/// Starts a connection test: the endpoint to open and the types the connection pulls, read
/// in `tx`, which the caller ends before the EHR is called (none is held over it). Audited.
/// `EHR_NOT_CONNECTED` without a connection.
pub async fn test_target(
    tx: &TenantTx,
    actor: &Actor,
    sealer: &dyn SecretSealer,
) -> CoreResult<(EhrEndpoint, Vec<ResourceKind>)> {
    let found = get(tx).await?.ok_or_else(not_connected)?;
    let endpoint = endpoint(tx, sealer, &found)?;
    audit::record(
        tx,
        actor,
        Access::practice("ehr.connection.test", "EhrConnection", Some(found.id)),
    )
    .await?;
    Ok((endpoint, kinds(&found)))
}

/// Reads the EHR's `/metadata` and checks the credentials; changes nothing. An EHR that
/// cannot be opened or read is refused on `connection` with the EHR's code.
pub async fn test(
    connector: &dyn EhrConnector,
    endpoint: &EhrEndpoint,
    kinds: &[ResourceKind],
) -> CoreResult<TestResult> {
    let refused = |e: super::gateway::EhrError| CoreError::invalid("connection", e.code, e.message);
    let gateway = connector.connect(endpoint).map_err(refused)?;
    let capabilities = gateway.capabilities().await.map_err(refused)?;
    let auth = gateway.check_auth().await;
    Ok(TestResult {
        missing_types: kinds
            .iter()
            .map(|k| k.as_str().to_owned())
            .filter(|k| !capabilities.resource_types.contains(k))
            .collect(),
        capabilities,
        auth_error: auth.err().map(|e| e.code),
    })
}
