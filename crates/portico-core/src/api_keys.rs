//! API keys: created by a practice admin (the key is shown once), listed by prefix, revoked.
//! A key is `pk_{8 chars}_{secret}`; only its SHA-256 is stored. Keys are high-entropy
//! random strings, so a fast hash is enough (unlike passwords).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::api_key,
    identity::Role,
    sessions::hash_token,
};

/// What a key may be limited to, beyond its role (which still bounds it): scopes combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyScope {
    /// Every read its role may make; no change at all.
    ReadOnly,
    /// Reading the schedule, visits and charts, and booking, moving and cancelling visits.
    Scheduling,
    /// Reading conversations, pools and charts, and writing to patients.
    Messaging,
}

impl KeyScope {
    pub const ALL: [Self; 3] = [Self::ReadOnly, Self::Scheduling, Self::Messaging];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "read_only",
            Self::Scheduling => "scheduling",
            Self::Messaging => "messaging",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether this scope lets a key do `action` on `object` (its role must allow it too).
    fn allows(self, object: &str, action: &str) -> bool {
        // Who the key acts for: every scope may ask.
        if (object, action) == ("me", "read") {
            return true;
        }
        match self {
            Self::ReadOnly => action == "read",
            Self::Scheduling => matches!(
                (object, action),
                ("scheduling" | "appointments" | "patients", "read") | ("appointments", "write")
            ),
            Self::Messaging => matches!(
                (object, action),
                ("messages" | "pools" | "patients", "read") | ("messages", "write")
            ),
        }
    }
}

/// The scopes `key` is limited to; `None` when it has its role's whole access.
pub fn scopes_of(key: &api_key::Model) -> Option<Vec<KeyScope>> {
    let raw = key.scopes.as_deref()?;
    Some(raw.split(',').filter_map(KeyScope::parse).collect())
}

/// Whether a key limited to `scopes` may do `action` on `object` (any one scope suffices).
pub fn permits(scopes: &[KeyScope], object: &str, action: &str) -> bool {
    scopes.iter().any(|s| s.allows(object, action))
}

/// Last use is written at most this often per key, not on every request.
const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::seconds(60);

pub struct Created {
    pub key: api_key::Model,
    /// The whole key, shown once.
    pub secret: String,
}

fn audit_access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "ApiKey",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// The prefix of a presented key, if it has the shape of one.
pub fn prefix_of(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix("pk_")?;
    let (visible, secret) = rest.split_once('_')?;
    (visible.len() == 8 && secret.len() == 64).then(|| &presented[..11])
}

pub async fn create(
    tx: &TenantTx,
    actor: &Actor,
    creator: UserId,
    name: &str,
    role: Role,
    scopes: Option<&[KeyScope]>,
) -> CoreResult<Created> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "must be 1 to 100 characters",
        ));
    }
    if scopes.is_some_and(<[KeyScope]>::is_empty) {
        return Err(CoreError::invalid(
            "scopes",
            "API_KEY_SCOPES_REQUIRED",
            "choose at least one scope, or leave scopes out for the role's whole access",
        ));
    }
    if matches!(role, Role::Patient | Role::Operator) {
        return Err(CoreError::invalid(
            "role",
            "INVALID_ROLE",
            "a key acts as practice_admin, provider or staff",
        ));
    }
    let visible = &Uuid::new_v4().simple().to_string()[..8];
    let secret = format!(
        "pk_{visible}_{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    );
    let key = api_key::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        prefix: Set(secret[..11].to_owned()),
        secret_hash: Set(hash_token(&secret)),
        role: Set(role.as_str().to_owned()),
        created_by: Set(creator.as_uuid()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        scopes: Set(scopes.map(stored_scopes)),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, audit_access("api_key.create", key.id)).await?;
    Ok(Created { key, secret })
}

/// Scopes as stored: each once, in the order of [`KeyScope::ALL`].
fn stored_scopes(scopes: &[KeyScope]) -> String {
    KeyScope::ALL
        .into_iter()
        .filter(|s| scopes.contains(s))
        .map(KeyScope::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn list(tx: &TenantTx) -> CoreResult<Vec<api_key::Model>> {
    Ok(tx
        .find::<api_key::Entity>()
        .order_by_desc(api_key::Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

pub async fn revoke(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<api_key::Model> {
    let found = tx
        .find::<api_key::Entity>()
        .filter(api_key::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut active: api_key::ActiveModel = found.into();
    active.revoked_at = Set(Some(Utc::now()));
    let revoked = active.update(tx.conn()).await?;
    audit::record(tx, actor, audit_access("api_key.revoke", revoked.id)).await?;
    Ok(revoked)
}

/// The live key matching `presented` (a read: it runs on every API-key request).
pub async fn authenticate(tx: &TenantTx, presented: &str) -> CoreResult<Option<api_key::Model>> {
    let Some(prefix) = prefix_of(presented) else {
        return Ok(None);
    };
    let Some(key) = tx
        .find::<api_key::Entity>()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    if key.revoked_at.is_some() || !constant_time_eq(&key.secret_hash, &hash_token(presented)) {
        return Ok(None);
    }
    Ok(Some(key))
}

/// Whether the key's last use is older than the granularity it is recorded at.
pub fn last_use_is_stale(key: &api_key::Model) -> bool {
    key.last_used_at
        .is_none_or(|t| Utc::now() - t >= LAST_USED_GRANULARITY)
}

/// Records the key's use now (in a writing transaction).
pub async fn record_use(tx: &TenantTx, key: &api_key::Model) -> CoreResult<()> {
    tx.update::<api_key::Entity>()
        .col_expr(
            api_key::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_key::Column::Id.eq(key.id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the key is still in force (a live subscription re-checks this).
pub async fn is_live(tx: &TenantTx, id: Uuid) -> CoreResult<bool> {
    Ok(tx
        .find::<api_key::Entity>()
        .filter(api_key::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .is_some_and(|k| k.revoked_at.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_keys_have_a_prefix() {
        let key = format!("pk_abcd1234_{}", "f".repeat(64));
        assert_eq!(prefix_of(&key), Some("pk_abcd1234"));
        assert_eq!(prefix_of("pk_abcd1234_short"), None);
        assert_eq!(prefix_of("eyJhbGciOi.x.y"), None);
    }
}

#[cfg(test)]
mod scope_tests {
    use super::{KeyScope, permits};

    #[test]
    fn a_scoped_key_reads_and_writes_only_what_its_scopes_name() {
        let read_only = [KeyScope::ReadOnly];
        assert!(permits(&read_only, "audit", "read"));
        assert!(!permits(&read_only, "appointments", "write"));
        assert!(!permits(&read_only, "api_keys", "manage"));
        let scheduling = [KeyScope::Scheduling];
        assert!(permits(&scheduling, "appointments", "write"));
        assert!(permits(&scheduling, "patients", "read"));
        assert!(!permits(&scheduling, "messages", "write"));
        assert!(!permits(&scheduling, "audit", "read"));
        assert!(!permits(&scheduling, "scheduling", "manage"));
        let both = [KeyScope::Scheduling, KeyScope::Messaging];
        assert!(permits(&both, "messages", "write") && permits(&both, "appointments", "write"));
        assert!(!permits(&[], "patients", "read"));
    }
}
