//! The apps let read a chart: listed on the portal's security page of whoever connected
//! them and of the chart's own patient (a caregiver's connection to a parent's chart is the
//! parent's to see and remove too), and removed there; a removed (or revoked) grant's
//! tokens stop working at once, since the FHIR API checks the grant on every request.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::Viewer,
    entities::{patient, smart_app, smart_grant},
};

/// The grants that are the viewer's: those they gave, and those on their own charts.
async fn theirs(tx: &TenantTx, viewer: &Viewer) -> CoreResult<Condition> {
    let own: Vec<Uuid> = tx
        .find::<patient::Entity>()
        .filter(patient::Column::UserId.eq(viewer.user_id.as_uuid()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(Condition::any()
        .add(smart_grant::Column::UserId.eq(viewer.user_id.as_uuid()))
        .add(smart_grant::Column::PatientId.is_in(own)))
}

/// The viewer's live grants, newest first, with their apps.
pub async fn connected(
    tx: &TenantTx,
    viewer: &Viewer,
) -> CoreResult<Vec<(smart_grant::Model, smart_app::Model)>> {
    let grants = tx
        .find::<smart_grant::Entity>()
        .filter(theirs(tx, viewer).await?)
        .filter(smart_grant::Column::RevokedAt.is_null())
        .order_by_desc(smart_grant::Column::CreatedAt)
        .all(tx.conn())
        .await?;
    let apps = tx.find::<smart_app::Entity>().all(tx.conn()).await?;
    Ok(grants
        .into_iter()
        .filter_map(|g| {
            let app = apps.iter().find(|a| a.id == g.app_id)?.clone();
            Some((g, app))
        })
        .collect())
}

/// The viewer removes grant `id` (theirs; another's is `NotFound`).
pub async fn revoke(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    id: Uuid,
) -> CoreResult<smart_grant::Model> {
    let grant = tx
        .find::<smart_grant::Entity>()
        .filter(smart_grant::Column::Id.eq(id))
        .filter(theirs(tx, viewer).await?)
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if grant.revoked_at.is_some() {
        return Ok(grant);
    }
    let patient = grant.patient_id;
    let mut change = grant.into_active_model();
    change.revoked_at = Set(Some(Utc::now()));
    change.refresh_hash = Set(None);
    let grant = change.update(tx.conn()).await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "smart_grant.revoke",
            resource_type: "SmartGrant",
            resource_id: Some(id),
            patient_id: Some(patient),
        },
    )
    .await?;
    Ok(grant)
}

/// Whether grant `id` stands (not revoked) and its app is on: an app's token is refused
/// otherwise.
pub async fn is_live(tx: &TenantTx, id: Uuid) -> CoreResult<bool> {
    let Some(grant) = tx
        .find::<smart_grant::Entity>()
        .filter(smart_grant::Column::Id.eq(id))
        .one(tx.conn())
        .await?
    else {
        return Ok(false);
    };
    if grant.revoked_at.is_some() {
        return Ok(false);
    }
    let app = super::apps::find(tx, grant.app_id).await?;
    Ok(app.disabled_at.is_none())
}

/// Revokes every app grant `user` gave (a password reset: whoever had the account may have
/// connected an app): how many.
pub async fn revoke_all_given_by(tx: &TenantTx, user: Uuid) -> CoreResult<u64> {
    let done = tx
        .update::<smart_grant::Entity>()
        .col_expr(
            smart_grant::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .col_expr(
            smart_grant::Column::RefreshHash,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(smart_grant::Column::UserId.eq(user))
        .filter(smart_grant::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(done.rows_affected)
}
