//! Care-team pools: listed for everyone who writes messages (to choose a recipient); made,
//! renamed, retired and staffed by practice admins (`pools/manage`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use portico_core::{
    entities::care_team_pool,
    messaging::pools::{self, NewPool},
    tenancy::Access,
};

use super::{
    objects::{CareTeamPool, PoolKind},
    scope::{Need, scope, uuid_of},
};
use crate::{
    ApiError,
    context::ContextExt,
    user_error::{UserError, settle},
};

#[derive(Default)]
pub struct PoolsQuery;

#[Object]
impl PoolsQuery {
    /// The practice's care teams, by name.
    async fn care_team_pools(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> async_graphql::Result<Vec<CareTeamPool>> {
        let scope = scope(ctx, Need::Read).await?;
        let tx = ctx.tenant_tx(Access::Read).await?;
        let found = pools::list(&tx, include_inactive && scope.is_staff())
            .await
            .map_err(scope.core())?;
        tx.rollback().await.map_err(scope.core())?;
        Ok(found.iter().map(CareTeamPool::from).collect())
    }
}

#[derive(InputObject)]
pub struct CreateCareTeamPoolInput {
    name: String,
    kind: PoolKind,
    /// For a provider's own team.
    provider_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateCareTeamPoolInput {
    id: ID,
    name: Option<String>,
    /// A retired pool takes no new conversations; its threads stay.
    active: Option<bool>,
}

#[derive(InputObject)]
pub struct PoolMemberInput {
    pool_id: ID,
    user_id: ID,
}

#[derive(SimpleObject)]
pub struct CareTeamPoolPayload {
    pool: Option<CareTeamPool>,
    user_errors: Vec<UserError>,
}

async fn done(
    ctx: &Context<'_>,
    tx: portico_core::TenantTx,
    result: portico_core::CoreResult<care_team_pool::Model>,
) -> async_graphql::Result<CareTeamPoolPayload> {
    let request_id = ctx.request()?.request_id.clone();
    Ok(match settle(tx, result, &request_id).await? {
        Ok(pool) => CareTeamPoolPayload {
            pool: Some(CareTeamPool::from(&pool)),
            user_errors: vec![],
        },
        Err(user_errors) => CareTeamPoolPayload {
            pool: None,
            user_errors,
        },
    })
}

enum Membership {
    Add,
    Remove,
}

async fn membership(
    ctx: &Context<'_>,
    input: PoolMemberInput,
    change: Membership,
) -> async_graphql::Result<CareTeamPoolPayload> {
    let principal = ctx.authorize("pools", "manage").await?.clone();
    let actor = ctx.actor(&principal);
    let pool = uuid_of("CareTeamPool", "poolId", &input.pool_id)?;
    let user = uuid_of("User", "userId", &input.user_id)?;
    let tx = ctx.tenant_tx(Access::Write).await?;
    let result = match change {
        Membership::Add => pools::add_member(&tx, &actor, pool, user).await,
        Membership::Remove => pools::remove_member(&tx, &actor, pool, user).await,
    };
    settled(ctx, tx, result).await
}

/// A pool that is not this practice's is not found; bad input becomes `userErrors`.
async fn settled(
    ctx: &Context<'_>,
    tx: portico_core::TenantTx,
    result: portico_core::CoreResult<care_team_pool::Model>,
) -> async_graphql::Result<CareTeamPoolPayload> {
    if matches!(result, Err(portico_core::CoreError::NotFound)) {
        tx.rollback().await.ok();
        return Err(ApiError::NotFound.into());
    }
    done(ctx, tx, result).await
}

#[derive(Default)]
pub struct PoolsMutation;

#[Object]
impl PoolsMutation {
    async fn create_care_team_pool(
        &self,
        ctx: &Context<'_>,
        input: CreateCareTeamPoolInput,
    ) -> async_graphql::Result<CareTeamPoolPayload> {
        let principal = ctx.authorize("pools", "manage").await?.clone();
        let actor = ctx.actor(&principal);
        let provider_id =
            crate::global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let result = async {
            pools::create(
                &tx,
                &actor,
                NewPool {
                    name: input.name,
                    kind: input.kind.as_str().to_owned(),
                    provider_id,
                },
            )
            .await
        }
        .await;
        done(ctx, tx, result).await
    }

    async fn update_care_team_pool(
        &self,
        ctx: &Context<'_>,
        input: UpdateCareTeamPoolInput,
    ) -> async_graphql::Result<CareTeamPoolPayload> {
        let principal = ctx.authorize("pools", "manage").await?.clone();
        let actor = ctx.actor(&principal);
        let id = uuid_of("CareTeamPool", "id", &input.id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let result = pools::update(&tx, &actor, id, input.name.as_deref(), input.active).await;
        settled(ctx, tx, result).await
    }

    async fn add_pool_member(
        &self,
        ctx: &Context<'_>,
        input: PoolMemberInput,
    ) -> async_graphql::Result<CareTeamPoolPayload> {
        membership(ctx, input, Membership::Add).await
    }

    async fn remove_pool_member(
        &self,
        ctx: &Context<'_>,
        input: PoolMemberInput,
    ) -> async_graphql::Result<CareTeamPoolPayload> {
        membership(ctx, input, Membership::Remove).await
    }
}
