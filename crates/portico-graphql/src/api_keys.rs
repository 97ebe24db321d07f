//! API keys for developers: created by a practice admin (shown once), listed, revoked.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    api_keys::{self, KeyScope},
    entities::api_key,
    identity::Role,
    tenancy::Access,
};

use crate::{
    ApiError, global_id,
    run::{Need, OutcomeExt, Payload, Run, refusable},
    user_error::UserError,
};

/// What a key may be limited to within its role; scopes combine.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "portico_core::api_keys::KeyScope")]
pub enum ApiKeyScope {
    /// Every read its role may make; no change at all.
    ReadOnly,
    /// The schedule, visits and charts read; visits booked, moved and cancelled.
    Scheduling,
    /// Conversations, pools and charts read; messages written.
    Messaging,
}

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
    /// The scopes the key is limited to; null: its role's whole access.
    scopes: Option<Vec<ApiKeyScope>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        let scopes = api_keys::scopes_of(&k).map(|s| s.into_iter().map(Into::into).collect());
        Self {
            scopes,
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
    /// Limits the key to these scopes within its role (at least one:
    /// `API_KEY_SCOPES_REQUIRED`); left out, the key has its role's whole access.
    scopes: Option<Vec<ApiKeyScope>>,
}

#[derive(SimpleObject, Default)]
pub struct CreateApiKeyPayload {
    api_key: Option<ApiKey>,
    /// The key, shown this once: send it as `Authorization: Bearer ...`.
    secret: Option<String>,
    user_errors: Vec<UserError>,
}

refusable!(CreateApiKeyPayload);

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
        let keys = ctx
            .run(
                Need::to("api_keys", "manage"),
                Access::Read,
                async |tx, _| api_keys::list(tx).await,
            )
            .await?;
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
        let need = Need::to("api_keys", "manage").new_work();
        let caller = ctx.caller(need).await?;
        let Some(role) = Role::parse(&input.role) else {
            return Ok(CreateApiKeyPayload::refused(vec![UserError::new(
                "role",
                "INVALID_ROLE",
                "use practice_admin, provider or staff",
            )]));
        };
        // A key cannot mint keys (they would outlive its revocation).
        if caller.principal.api_key_id.is_some() {
            return Err(ApiError::Forbidden.into());
        }
        crate::context::may_grant_role(&caller.principal, role)?;
        let scopes: Option<Vec<KeyScope>> = input
            .scopes
            .map(|s| s.into_iter().map(Into::into).collect());
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                let creator = caller.principal.user_id;
                api_keys::create(
                    tx,
                    &caller.actor,
                    creator,
                    &input.name,
                    role,
                    scopes.as_deref(),
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|created| CreateApiKeyPayload {
            api_key: Some(created.key.into()),
            secret: Some(created.secret),
            user_errors: Vec::new(),
        }))
    }

    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> async_graphql::Result<RevokeApiKeyPayload> {
        let id = global_id::parse("ApiKey", "id", &input.id)?;
        let revoked = ctx
            .run(
                Need::to("api_keys", "manage"),
                Access::Write,
                async |tx, caller| api_keys::revoke(tx, &caller.actor, id).await,
            )
            .await?;
        Ok(RevokeApiKeyPayload {
            api_key: revoked.into(),
        })
    }
}
