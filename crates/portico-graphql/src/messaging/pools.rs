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
    scope::READ,
};
use crate::{
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// Practice admins make, rename, retire and staff pools.
const MANAGE: Need = Need::to("pools", "manage");

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
        let found = ctx
            .run(READ, Access::Read, async |tx, caller| {
                pools::list(tx, include_inactive && !caller.is_patient()).await
            })
            .await?;
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

#[derive(SimpleObject, Default)]
pub struct CareTeamPoolPayload {
    pool: Option<CareTeamPool>,
    user_errors: Vec<UserError>,
}

refusable!(CareTeamPoolPayload);

impl CareTeamPoolPayload {
    /// The pool as changed; a pool that is not this practice's is `NOT_FOUND`.
    fn of(pool: care_team_pool::Model) -> Self {
        Self {
            pool: Some(CareTeamPool::from(&pool)),
            user_errors: vec![],
        }
    }
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
    let pool = global_id::parse("CareTeamPool", "poolId", &input.pool_id)?;
    let user = global_id::parse("User", "userId", &input.user_id)?;
    let outcome = ctx
        .mutate(MANAGE, async |tx, caller| match change {
            Membership::Add => pools::add_member(tx, &caller.actor, pool, user).await,
            Membership::Remove => pools::remove_member(tx, &caller.actor, pool, user).await,
        })
        .await?;
    Ok(outcome.payload(CareTeamPoolPayload::of))
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
        let provider_id =
            global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let new = NewPool {
            name: input.name,
            kind: input.kind.as_str().to_owned(),
            provider_id,
        };
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                pools::create(tx, &caller.actor, new).await
            })
            .await?;
        Ok(outcome.payload(CareTeamPoolPayload::of))
    }

    async fn update_care_team_pool(
        &self,
        ctx: &Context<'_>,
        input: UpdateCareTeamPoolInput,
    ) -> async_graphql::Result<CareTeamPoolPayload> {
        let id = global_id::parse("CareTeamPool", "id", &input.id)?;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                pools::update(tx, &caller.actor, id, input.name.as_deref(), input.active).await
            })
            .await?;
        Ok(outcome.payload(CareTeamPoolPayload::of))
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
