//! The platform's token-signing keys (not tenant data: one key set signs for every tenant,
//! the audience claim names the tenant).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{CoreResult, Db, entities::signing_key};

/// Every key, newest first.
pub async fn list(db: &Db) -> CoreResult<Vec<signing_key::Model>> {
    Ok(signing_key::Entity::find()
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(db.conn())
        .await?)
}

/// Adds a key; it becomes the signing key, and older keys are retired (verify-only).
pub async fn add(db: &Db, key: signing_key::Model) -> CoreResult<()> {
    let kid = key.kid.clone();
    signing_key::ActiveModel {
        kid: Set(key.kid),
        algorithm: Set(key.algorithm),
        private_key: Set(key.private_key),
        public_key: Set(key.public_key),
        created_at: Set(key.created_at),
        retired_at: Set(None),
    }
    .insert(db.conn())
    .await?;
    signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(signing_key::Column::Kid.ne(kid))
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(db.conn())
        .await?;
    Ok(())
}

/// Replaces a key's stored private key, only if it still holds `old` (two instances
/// sealing the same key at start-up both end with one sealed value). True when replaced.
pub async fn replace_private_key(db: &Db, kid: &str, old: &str, new: &str) -> CoreResult<bool> {
    let result = signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::PrivateKey,
            sea_orm::sea_query::Expr::value(new),
        )
        .filter(signing_key::Column::Kid.eq(kid))
        .filter(signing_key::Column::PrivateKey.eq(old))
        .exec(db.conn())
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes keys retired before `before`: tokens they signed have all expired.
pub async fn prune(db: &Db, before: chrono::DateTime<Utc>) -> CoreResult<u64> {
    Ok(signing_key::Entity::delete_many()
        .filter(signing_key::Column::RetiredAt.lt(before))
        .exec(db.conn())
        .await?
        .rows_affected)
}
