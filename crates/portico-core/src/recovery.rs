//! TOTP recovery codes: ten single-use codes issued when TOTP is turned on.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{CoreResult, TenantTx, UserId, entities::recovery_code, secrets, sessions::hash_token};

const COUNT: usize = 10;

fn hash(code: &str) -> String {
    hash_token(&secrets::normalize(code))
}

/// Replaces the user's recovery codes with new ones, returned in clear this once.
pub async fn regenerate(tx: &TenantTx, user: UserId) -> CoreResult<Vec<String>> {
    tx.delete::<recovery_code::Entity>()
        .filter(recovery_code::Column::UserId.eq(user.as_uuid()))
        .exec(tx.conn())
        .await?;
    let mut codes = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let code = secrets::code(2);
        recovery_code::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            user_id: Set(user.as_uuid()),
            code_hash: Set(hash(&code)),
            created_at: Set(Utc::now()),
            used_at: Set(None),
        }
        .insert(tx.conn())
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Uses up `code` if it is one of the user's unused codes.
pub async fn consume(tx: &TenantTx, user: UserId, code: &str) -> CoreResult<bool> {
    let res = tx
        .update::<recovery_code::Entity>()
        .col_expr(
            recovery_code::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(recovery_code::Column::UserId.eq(user.as_uuid()))
        .filter(recovery_code::Column::CodeHash.eq(hash(code)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(res.rows_affected == 1)
}
