//! Proxy access: a patient (or staff) lets another user of the practice act on a chart,
//! within scopes (read, message, book, refills, readings), until revoked or an end date.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx, UserId, accounts,
    audit::{self, Access, Actor},
    entities::{patient, proxy_grant},
};

pub const SCOPES: [&str; 5] = ["read", "message", "book", "refills", "readings"];

fn audit_access<'a>(action: &'a str, grant: &proxy_grant::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "ProxyGrant",
        resource_id: Some(grant.id),
        patient_id: Some(grant.patient_id),
    }
}

pub fn scopes_of(grant: &proxy_grant::Model) -> Vec<&str> {
    grant.scopes.split(',').filter(|s| !s.is_empty()).collect()
}

/// Grants `grantee_email`'s account access to `chart`.
pub async fn grant(
    tx: &TenantTx,
    actor: &Actor,
    granted_by: UserId,
    chart: PatientId,
    grantee_email: &str,
    scopes: &[String],
    ends_at: Option<DateTime<Utc>>,
) -> CoreResult<proxy_grant::Model> {
    if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
        return Err(CoreError::invalid(
            "scopes",
            "INVALID_SCOPES",
            "choose one or more of read, message, book and refills",
        ));
    }
    if ends_at.is_some_and(|t| t <= Utc::now()) {
        return Err(CoreError::invalid(
            "endsAt",
            "INVALID_DATE",
            "must be in the future",
        ));
    }
    let email = accounts::normalize_email(grantee_email).map_err(|e| e.on_field("granteeEmail"))?;
    // Whether the address has an account is not revealed: a grant to an address without one
    // waits, and applies when that person activates an account with it.
    let grantee = accounts::find_by_email(tx, &email).await?;
    let chart_row = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(chart.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if grantee.is_some() && chart_row.user_id == grantee.as_ref().map(|g| g.id) {
        return Err(CoreError::invalid(
            "granteeEmail",
            "SELF_GRANT",
            "this is the patient's own account",
        ));
    }
    let mut ordered: Vec<&str> = SCOPES
        .iter()
        .copied()
        .filter(|s| scopes.iter().any(|x| x == s))
        .collect();
    ordered.dedup();
    let model = proxy_grant::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.as_uuid()),
        grantee_id: Set(grantee.map(|g| g.id)),
        grantee_email: Set(email),
        scopes: Set(ordered.join(",")),
        granted_by: Set(granted_by.as_uuid()),
        created_at: Set(Utc::now()),
        ends_at: Set(ends_at),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, audit_access("proxy.grant", &model)).await?;
    Ok(model)
}

/// Gives `user` the grants that waited for an account with their address.
pub async fn claim_pending(tx: &TenantTx, user: UserId, email: &str) -> CoreResult<u64> {
    Ok(tx
        .update::<proxy_grant::Entity>()
        .col_expr(
            proxy_grant::Column::GranteeId,
            sea_orm::sea_query::Expr::value(user.as_uuid()),
        )
        .filter(proxy_grant::Column::GranteeEmail.eq(email))
        .filter(proxy_grant::Column::GranteeId.is_null())
        .exec(tx.conn())
        .await?
        .rows_affected)
}

/// Grants on a chart, newest first.
pub async fn for_chart(tx: &TenantTx, chart: PatientId) -> CoreResult<Vec<proxy_grant::Model>> {
    Ok(tx
        .find::<proxy_grant::Entity>()
        .filter(proxy_grant::Column::PatientId.eq(chart.as_uuid()))
        .order_by_desc(proxy_grant::Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<proxy_grant::Model> {
    tx.find::<proxy_grant::Entity>()
        .filter(proxy_grant::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn revoke(
    tx: &TenantTx,
    actor: &Actor,
    grant: proxy_grant::Model,
) -> CoreResult<proxy_grant::Model> {
    let mut active: proxy_grant::ActiveModel = grant.into();
    active.revoked_at = Set(Some(Utc::now()));
    let revoked = active.update(tx.conn()).await?;
    audit::record(tx, actor, audit_access("proxy.revoke", &revoked)).await?;
    Ok(revoked)
}

/// The grants in force for `grantee` (not revoked, not ended).
pub async fn active_for(tx: &TenantTx, grantee: UserId) -> CoreResult<Vec<proxy_grant::Model>> {
    Ok(tx
        .find::<proxy_grant::Entity>()
        .filter(proxy_grant::Column::GranteeId.eq(grantee.as_uuid()))
        .filter(proxy_grant::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(proxy_grant::Column::EndsAt.is_null())
                .add(proxy_grant::Column::EndsAt.gt(Utc::now())),
        )
        .all(tx.conn())
        .await?)
}

/// The charts `user` holds: their own first, then those shared with them with `scope` by a
/// grant in force.
pub async fn charts_with(tx: &TenantTx, user: UserId, scope: &str) -> CoreResult<Vec<Uuid>> {
    let mut charts: Vec<Uuid> = tx
        .find::<patient::Entity>()
        .filter(patient::Column::UserId.eq(user.as_uuid()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    for grant in active_for(tx, user).await? {
        if scopes_of(&grant).contains(&scope) && !charts.contains(&grant.patient_id) {
            charts.push(grant.patient_id);
        }
    }
    Ok(charts)
}

/// Why `user` may not use `scope` on `chart`: `ProxyScopeDenied` when a grant in force shares
/// the chart with them without that scope, else `NotFound` (a chart never shared with them
/// looks like one that does not exist). Call it once the check for `scope` has failed.
pub async fn refusal(
    tx: &TenantTx,
    user: UserId,
    chart: Uuid,
    scope: &'static str,
) -> CoreResult<CoreError> {
    let shared = active_for(tx, user)
        .await?
        .iter()
        .any(|g| g.patient_id == chart);
    Ok(if shared {
        CoreError::ProxyScopeDenied { scope }
    } else {
        CoreError::NotFound
    })
}

/// Whether `user` may use `scope` on `chart` through a grant in force.
pub async fn allows(tx: &TenantTx, user: UserId, chart: Uuid, scope: &str) -> CoreResult<bool> {
    Ok(active_for(tx, user)
        .await?
        .iter()
        .any(|g| g.patient_id == chart && scopes_of(g).contains(&scope)))
}
