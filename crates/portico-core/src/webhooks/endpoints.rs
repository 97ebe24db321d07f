//! A practice's webhook endpoints: registered by a practice admin with the event types they
//! want, each with its own signing secret (shown once, kept sealed), rotated with a day in
//! which both the old and the new secret sign, turned off and on, and removed.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{DISABLED_FAILING, DISABLED_MANUAL, EventType};
use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::webhook_endpoint::{self, Column, Entity, Model},
    ports::{SecretSealer, WebhookSender},
};

/// How long a rotated secret still signs, so receivers can switch without missing a message.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
/// Endpoints one practice may register.
pub const MAX_ENDPOINTS: u64 = 20;
const DESCRIPTION_MAX: usize = 200;

/// What an admin gives for an endpoint.
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
}

/// An endpoint with its whole secret, shown once (on creation and rotation).
pub struct WithSecret {
    pub endpoint: Model,
    pub secret: String,
}

fn audit_access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "WebhookEndpoint",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// Binds a sealed secret to its endpoint, so a value copied to another row does not open.
fn seal_context(tx: &TenantTx, id: Uuid) -> Vec<u8> {
    format!("webhook:{}:{id}", tx.tenant_id().as_uuid()).into_bytes()
}

/// `whsec_` and 32 bytes from the operating system's random source in base64, the Standard
/// Webhooks form.
fn new_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The checked url, description and event types (stored comma-separated).
fn checked(
    sender: &dyn WebhookSender,
    input: &EndpointInput,
) -> CoreResult<(String, String, String)> {
    let url = sender
        .check_url(&input.url)
        .map_err(|why| CoreError::invalid("url", "WEBHOOK_URL_NOT_ALLOWED", why))?;
    if url.len() > 2000 {
        return Err(CoreError::invalid(
            "url",
            "WEBHOOK_URL_NOT_ALLOWED",
            "must be at most 2000 characters",
        ));
    }
    let description = input.description.trim();
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(CoreError::invalid(
            "description",
            "INVALID_DESCRIPTION",
            "must be at most 200 characters",
        ));
    }
    if input.event_types.is_empty() {
        return Err(CoreError::invalid(
            "eventTypes",
            "WEBHOOK_EVENTS_REQUIRED",
            "choose at least one event type",
        ));
    }
    // Kept in the order of `EventType::ALL`, each once.
    let types: Vec<&str> = EventType::ALL
        .into_iter()
        .filter(|t| input.event_types.contains(t))
        .map(EventType::as_str)
        .collect();
    Ok((url, description.to_owned(), types.join(",")))
}

/// The event types an endpoint wants.
pub fn event_types(endpoint: &Model) -> Vec<EventType> {
    endpoint
        .event_types
        .split(',')
        .filter_map(EventType::parse)
        .collect()
}

pub async fn create(
    tx: &TenantTx,
    actor: &Actor,
    ports: (&dyn SecretSealer, &dyn WebhookSender),
    creator: UserId,
    input: &EndpointInput,
) -> CoreResult<WithSecret> {
    let (sealer, sender) = ports;
    let (url, description, event_types) = checked(sender, input)?;
    let count = tx.find::<Entity>().count(tx.conn()).await?;
    if count >= MAX_ENDPOINTS {
        return Err(CoreError::invalid(
            "url",
            "WEBHOOK_LIMIT_REACHED",
            "a practice may register at most 20 endpoints; remove one first",
        ));
    }
    let id = Uuid::now_v7();
    let secret = new_secret();
    let sealed = sealer
        .seal(secret.as_bytes(), &seal_context(tx, id))
        .map_err(CoreError::adapter)?;
    let now = Utc::now();
    let endpoint = webhook_endpoint::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        url: Set(url),
        description: Set(description),
        event_types: Set(event_types),
        secret_sealed: Set(sealed),
        previous_secret_sealed: Set(None),
        previous_secret_until: Set(None),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        created_by: Set(creator.as_uuid()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, audit_access("webhook.create", id)).await?;
    Ok(WithSecret { endpoint, secret })
}

pub async fn list(tx: &TenantTx) -> CoreResult<Vec<Model>> {
    Ok(tx
        .find::<Entity>()
        .order_by_asc(Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<Model> {
    tx.find::<Entity>()
        .filter(Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn update(
    tx: &TenantTx,
    actor: &Actor,
    sender: &dyn WebhookSender,
    id: Uuid,
    input: &EndpointInput,
) -> CoreResult<Model> {
    let found = find(tx, id).await?;
    let (url, description, event_types) = checked(sender, input)?;
    let mut change: webhook_endpoint::ActiveModel = found.into();
    change.url = Set(url);
    change.description = Set(description);
    change.event_types = Set(event_types);
    change.updated_at = Set(Utc::now());
    let updated = change.update(tx.conn()).await?;
    audit::record(tx, actor, audit_access("webhook.update", id)).await?;
    Ok(updated)
}

/// Turns an endpoint off (no delivery is attempted; those due are given up, for a replay
/// later) or back on.
pub async fn set_enabled(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> CoreResult<Model> {
    let found = find(tx, id).await?;
    let mut change: webhook_endpoint::ActiveModel = found.into();
    let now = Utc::now();
    if enabled {
        change.disabled_at = Set(None);
        change.disabled_reason = Set(None);
    } else {
        change.disabled_at = Set(Some(now));
        change.disabled_reason = Set(Some(DISABLED_MANUAL.to_owned()));
    }
    change.updated_at = Set(now);
    let updated = change.update(tx.conn()).await?;
    let action = if enabled {
        "webhook.enable"
    } else {
        "webhook.disable"
    };
    audit::record(tx, actor, audit_access(action, id)).await?;
    Ok(updated)
}

/// Turns off an endpoint that is still on because its deliveries keep failing; whether it
/// was on (so the admins are told once).
pub async fn disable_failing(tx: &TenantTx, id: Uuid, now: DateTime<Utc>) -> CoreResult<bool> {
    let changed = tx
        .update::<Entity>()
        .col_expr(
            Column::DisabledAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .col_expr(
            Column::DisabledReason,
            sea_orm::sea_query::Expr::value(Some(DISABLED_FAILING)),
        )
        .col_expr(Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::DisabledAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Removes an endpoint with its delivery log.
pub async fn delete(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<()> {
    let found = find(tx, id).await?;
    tx.delete::<Entity>()
        .filter(Column::Id.eq(found.id))
        .exec(tx.conn())
        .await?;
    audit::record(tx, actor, audit_access("webhook.delete", id)).await?;
    Ok(())
}

/// A new secret; the one it replaces still signs for [`ROTATION_OVERLAP`].
pub async fn rotate_secret(
    tx: &TenantTx,
    actor: &Actor,
    sealer: &dyn SecretSealer,
    id: Uuid,
) -> CoreResult<WithSecret> {
    let found = find(tx, id).await?;
    let secret = new_secret();
    let sealed = sealer
        .seal(secret.as_bytes(), &seal_context(tx, id))
        .map_err(CoreError::adapter)?;
    let now = Utc::now();
    let previous = found.secret_sealed.clone();
    let mut change: webhook_endpoint::ActiveModel = found.into();
    change.secret_sealed = Set(sealed);
    change.previous_secret_sealed = Set(Some(previous));
    change.previous_secret_until = Set(Some(now + ROTATION_OVERLAP));
    change.updated_at = Set(now);
    let endpoint = change.update(tx.conn()).await?;
    audit::record(tx, actor, audit_access("webhook.rotate_secret", id)).await?;
    Ok(WithSecret { endpoint, secret })
}

/// The secrets a message is signed with at `now`: the current one, and the one it replaced
/// while that is still honoured.
pub fn signing_secrets(
    tx: &TenantTx,
    sealer: &dyn SecretSealer,
    endpoint: &Model,
    now: DateTime<Utc>,
) -> CoreResult<Vec<String>> {
    let context = seal_context(tx, endpoint.id);
    let open = |sealed: &str| -> CoreResult<String> {
        let bytes = sealer.open(sealed, &context).map_err(CoreError::adapter)?;
        String::from_utf8(bytes).map_err(CoreError::adapter)
    };
    let mut secrets = vec![open(&endpoint.secret_sealed)?];
    if let (Some(previous), Some(until)) = (
        &endpoint.previous_secret_sealed,
        endpoint.previous_secret_until,
    ) && until > now
    {
        secrets.push(open(previous)?);
    }
    Ok(secrets)
}
