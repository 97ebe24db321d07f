//! Care-team pools: who answers a practice's messages (front desk, nurse line, billing, a
//! provider's own team) and the staff in each.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{care_team_pool, care_team_pool_member, provider, user},
    identity::Role,
};

pub const KINDS: [&str; 5] = ["front_desk", "nurse_line", "billing", "provider", "other"];
pub const PROVIDER: &str = "provider";

fn access<'a>(action: &'a str, pool: &care_team_pool::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "CareTeamPool",
        resource_id: Some(pool.id),
        patient_id: None,
    }
}

#[derive(Clone, Debug)]
pub struct NewPool {
    pub name: String,
    pub kind: String,
    pub provider_id: Option<Uuid>,
}

fn valid_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "a pool's name is 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

async fn name_taken(tx: &TenantTx, name: &str, except: Option<Uuid>) -> CoreResult<bool> {
    let mut same = tx
        .find::<care_team_pool::Entity>()
        .filter(care_team_pool::Column::Name.eq(name));
    if let Some(id) = except {
        same = same.filter(care_team_pool::Column::Id.ne(id));
    }
    Ok(same.one(tx.conn()).await?.is_some())
}

pub async fn create(
    tx: &TenantTx,
    actor: &Actor,
    new: NewPool,
) -> CoreResult<care_team_pool::Model> {
    let name = valid_name(&new.name)?;
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(CoreError::invalid(
            "kind",
            "INVALID_POOL_KIND",
            format!("one of {}", KINDS.join(", ")),
        ));
    }
    if let Some(id) = new.provider_id {
        find_provider(tx, id).await?;
    }
    if name_taken(tx, &name, None).await? {
        return Err(CoreError::invalid(
            "name",
            "POOL_NAME_TAKEN",
            "another pool has this name",
        ));
    }
    let now = Utc::now();
    let pool = care_team_pool::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(name),
        kind: Set(new.kind),
        provider_id: Set(new.provider_id),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, access("pool.create", &pool)).await?;
    Ok(pool)
}

pub async fn update(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    active: Option<bool>,
) -> CoreResult<care_team_pool::Model> {
    let pool = find(tx, id).await?;
    let mut change: care_team_pool::ActiveModel = pool.into();
    if let Some(name) = name {
        let name = valid_name(name)?;
        if name_taken(tx, &name, Some(id)).await? {
            return Err(CoreError::invalid(
                "name",
                "POOL_NAME_TAKEN",
                "another pool has this name",
            ));
        }
        change.name = Set(name);
    }
    if let Some(active) = active {
        change.active = Set(active);
    }
    change.updated_at = Set(Utc::now());
    let pool = change.update(tx.conn()).await?;
    audit::record(tx, actor, access("pool.update", &pool)).await?;
    Ok(pool)
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<care_team_pool::Model> {
    tx.find::<care_team_pool::Entity>()
        .filter(care_team_pool::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// A pool a message can be addressed to: this practice's (else `NotFound`), and in use.
pub async fn find_active(tx: &TenantTx, id: Uuid) -> CoreResult<care_team_pool::Model> {
    let pool = find(tx, id).await?;
    if !pool.active {
        return Err(CoreError::invalid(
            "poolId",
            "UNKNOWN_POOL",
            "this care team no longer takes messages",
        ));
    }
    Ok(pool)
}

pub async fn list(tx: &TenantTx, include_inactive: bool) -> CoreResult<Vec<care_team_pool::Model>> {
    let mut query = tx.find::<care_team_pool::Entity>();
    if !include_inactive {
        query = query.filter(care_team_pool::Column::Active.eq(true));
    }
    Ok(query
        .order_by_asc(care_team_pool::Column::Name)
        .all(tx.conn())
        .await?)
}

pub async fn members(
    tx: &TenantTx,
    pool_id: Uuid,
) -> CoreResult<Vec<care_team_pool_member::Model>> {
    Ok(tx
        .find::<care_team_pool_member::Entity>()
        .filter(care_team_pool_member::Column::PoolId.eq(pool_id))
        .order_by_asc(care_team_pool_member::Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

/// The pools `user` belongs to.
pub async fn of_user(tx: &TenantTx, user_id: Uuid) -> CoreResult<Vec<Uuid>> {
    Ok(tx
        .find::<care_team_pool_member::Entity>()
        .filter(care_team_pool_member::Column::UserId.eq(user_id))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| m.pool_id)
        .collect())
}

/// A staff user of this practice (not a patient, not disabled), or `NOT_STAFF` on `field`;
/// an id naming no user of the practice is `NotFound`, as everywhere.
pub async fn staff_user(tx: &TenantTx, field: &'static str, id: Uuid) -> CoreResult<user::Model> {
    let found = tx
        .find::<user::Entity>()
        .filter(user::Column::Id.eq(id))
        .one(tx.conn())
        .await?;
    match found {
        Some(u)
            if u.status == "active"
                && Role::parse(&u.role)
                    .is_some_and(|r| r != Role::Patient && r != Role::Operator) =>
        {
            Ok(u)
        }
        None => Err(CoreError::NotFound),
        Some(_) => Err(CoreError::invalid(
            field,
            "NOT_STAFF",
            "not a staff member of this practice",
        )),
    }
}

pub async fn add_member(
    tx: &TenantTx,
    actor: &Actor,
    pool_id: Uuid,
    user_id: Uuid,
) -> CoreResult<care_team_pool::Model> {
    let pool = find(tx, pool_id).await?;
    staff_user(tx, "userId", user_id).await?;
    let already = tx
        .find::<care_team_pool_member::Entity>()
        .filter(care_team_pool_member::Column::PoolId.eq(pool_id))
        .filter(care_team_pool_member::Column::UserId.eq(user_id))
        .one(tx.conn())
        .await?;
    if already.is_none() {
        care_team_pool_member::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            pool_id: Set(pool_id),
            user_id: Set(user_id),
            created_at: Set(Utc::now()),
        }
        .insert(tx.conn())
        .await?;
        audit::record(tx, actor, access("pool.add_member", &pool)).await?;
    }
    Ok(pool)
}

pub async fn remove_member(
    tx: &TenantTx,
    actor: &Actor,
    pool_id: Uuid,
    user_id: Uuid,
) -> CoreResult<care_team_pool::Model> {
    let pool = find(tx, pool_id).await?;
    let removed = tx
        .delete::<care_team_pool_member::Entity>()
        .filter(care_team_pool_member::Column::PoolId.eq(pool_id))
        .filter(care_team_pool_member::Column::UserId.eq(user_id))
        .exec(tx.conn())
        .await?;
    if removed.rows_affected > 0 {
        audit::record(tx, actor, access("pool.remove_member", &pool)).await?;
    }
    Ok(pool)
}

async fn find_provider(tx: &TenantTx, id: Uuid) -> CoreResult<provider::Model> {
    let found = tx
        .find::<provider::Entity>()
        .filter(provider::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if !found.active {
        return Err(CoreError::invalid(
            "providerId",
            "UNKNOWN_PROVIDER",
            "this provider no longer sees patients here",
        ));
    }
    Ok(found)
}

/// The provider's own pool, made on first use with the provider's staff account in it, so a
/// patient can always write to their provider.
pub async fn of_provider(
    tx: &TenantTx,
    actor: &Actor,
    provider_id: Uuid,
) -> CoreResult<care_team_pool::Model> {
    let provider = find_provider(tx, provider_id).await?;
    if let Some(pool) = provider_pool(tx, provider_id).await? {
        return Ok(pool);
    }
    let short: String = provider.display_name.chars().take(80).collect();
    let plain = format!("{short}'s team");
    // Two patients writing to the provider for the first time at once: the second insert
    // yields to the first (the unique name) and both use the pool the first made. Only when
    // the name belongs to some other pool does this provider's get a suffixed one; checking
    // the name first instead would let the second writer, seeing the first's pool, make a
    // suffixed twin.
    let mut inserted = insert_provider_pool(tx, &provider, plain.clone()).await?;
    let mut pool = provider_pool(tx, provider_id).await?;
    if pool.is_none() {
        let suffixed = format!("{plain} ({})", &provider.id.simple().to_string()[..8]);
        inserted = insert_provider_pool(tx, &provider, suffixed).await?;
        pool = provider_pool(tx, provider_id).await?;
    }
    let pool = pool.ok_or(CoreError::Conflict {
        field: "providerId",
    })?;
    if inserted == 1 {
        audit::record(tx, actor, access("pool.create", &pool)).await?;
        if let Some(user_id) = provider.user_id {
            add_member(tx, actor, pool.id, user_id).await?;
        }
    }
    Ok(pool)
}

/// Inserts the provider's pool under `name` unless a pool of that name exists; the number of
/// rows written.
async fn insert_provider_pool(
    tx: &TenantTx,
    provider: &provider::Model,
    name: String,
) -> CoreResult<u64> {
    let now = Utc::now();
    let row = care_team_pool::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(name),
        kind: Set(PROVIDER.to_owned()),
        provider_id: Set(Some(provider.id)),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(care_team_pool::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                care_team_pool::Column::TenantId,
                care_team_pool::Column::Name,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?)
}

/// The provider's own pool in use, if there is one.
async fn provider_pool(
    tx: &TenantTx,
    provider_id: Uuid,
) -> CoreResult<Option<care_team_pool::Model>> {
    Ok(tx
        .find::<care_team_pool::Entity>()
        .filter(care_team_pool::Column::ProviderId.eq(provider_id))
        .filter(care_team_pool::Column::Kind.eq(PROVIDER))
        .filter(care_team_pool::Column::Active.eq(true))
        .order_by_asc(care_team_pool::Column::CreatedAt)
        .one(tx.conn())
        .await?)
}

/// A pool's members with their names, for the console.
pub async fn members_named(tx: &TenantTx, pool_id: Uuid) -> CoreResult<Vec<(Uuid, String)>> {
    let ids: Vec<Uuid> = members(tx, pool_id)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tx
        .find::<user::Entity>()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::DisplayName)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}
