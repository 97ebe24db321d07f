//! The apps a patient has let read a chart: listed on the portal's security page and
//! removed there; a removed (or revoked) grant's tokens stop working at once, since the
//! FHIR API checks the grant on every request.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::Viewer,
    entities::{smart_app, smart_grant},
};

/// The viewer's live grants, newest first, with their apps.
pub async fn connected(
    tx: &TenantTx,
    viewer: &Viewer,
) -> CoreResult<Vec<(smart_grant::Model, smart_app::Model)>> {
    let grants = tx
        .find::<smart_grant::Entity>()
        .filter(smart_grant::Column::UserId.eq(viewer.user_id.as_uuid()))
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
        .filter(smart_grant::Column::UserId.eq(viewer.user_id.as_uuid()))
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
