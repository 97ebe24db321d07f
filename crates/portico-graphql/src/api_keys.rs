//! API keys for developers: created by a practice admin (shown once), listed, revoked.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{api_keys, entities::api_key, identity::Role, tenancy::Access};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    user_error::{UserError, settle},
};

/// A developer's key. The secret itself is only ever returned by `createApiKey`.
#[derive(SimpleObject)]
pub struct ApiKey {
    id: ID,
    name: String,
    /// The key's visible start, e.g. `pk_1a2b3c4d`.
    prefix: String,
    /// The role the key acts as.
    role: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        Self {
            id: global_id::encode("ApiKey", k.id),
            name: k.name,
            prefix: k.prefix,
            role: k.role,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    name: String,
    /// `practice_admin`, `provider` or `staff`.
    role: String,
}

#[derive(SimpleObject, Default)]
pub struct CreateApiKeyPayload {
    api_key: Option<ApiKey>,
    /// The key, shown this once: send it as `Authorization: Bearer ...`.
    secret: Option<String>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeApiKeyPayload {
    api_key: ApiKey,
}

#[derive(Default)]
pub struct ApiKeysQuery;

#[Object]
impl ApiKeysQuery {
    /// The practice's API keys, newest first (practice admins).
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKey>> {
        ctx.authorize("api_keys", "manage").await?;
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Read).await?;
        let keys = api_keys::list(&tx)
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(keys.into_iter().map(ApiKey::from).collect())
    }
}

#[derive(Default)]
pub struct ApiKeysMutation;

#[Object]
impl ApiKeysMutation {
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreateApiKeyPayload> {
        let principal = ctx.authorize("api_keys", "manage").await?.clone();
        ctx.require_active_tenant()?;
        let request_id = ctx.request()?.request_id.clone();
        let Some(role) = Role::parse(&input.role) else {
            return Ok(CreateApiKeyPayload {
                user_errors: vec![UserError {
                    field: "role".to_owned(),
                    code: "INVALID_ROLE".to_owned(),
                    message: "use practice_admin, provider or staff".to_owned(),
                }],
                ..Default::default()
            });
        };
        // A key cannot mint keys (they would outlive its revocation).
        if principal.api_key_id.is_some() {
            return Err(ApiError::Forbidden.into());
        }
        crate::context::may_grant_role(&principal, role)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let actor = ctx.actor(&principal);
        let created = api_keys::create(&tx, &actor, principal.user_id, &input.name, role).await;
        Ok(match settle(tx, created, &request_id).await? {
            Ok(created) => CreateApiKeyPayload {
                api_key: Some(created.key.into()),
                secret: Some(created.secret),
                user_errors: Vec::new(),
            },
            Err(user_errors) => CreateApiKeyPayload {
                user_errors,
                ..Default::default()
            },
        })
    }

    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> async_graphql::Result<RevokeApiKeyPayload> {
        let principal = ctx.authorize("api_keys", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let id = global_id::parse("ApiKey", "id", &input.id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let revoked = api_keys::revoke(&tx, &ctx.actor(&principal), id)
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(RevokeApiKeyPayload {
            api_key: revoked.into(),
        })
    }
}
