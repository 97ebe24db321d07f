//! The id map: which Portico row a FHIR resource became (and back), with the version last
//! seen, so a pull updates rather than duplicates and a write-back knows what to send.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::model::ResourceKind;
use crate::{
    CoreResult, TenantTx,
    entities::ehr_link::{self, Column, Entity, Model as Link},
};

pub async fn by_fhir(tx: &TenantTx, kind: ResourceKind, fhir_id: &str) -> CoreResult<Option<Link>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::ResourceType.eq(kind.as_str()))
        .filter(Column::FhirId.eq(fhir_id))
        .one(tx.conn())
        .await?)
}

pub async fn by_local(
    tx: &TenantTx,
    kind: ResourceKind,
    local_id: Uuid,
) -> CoreResult<Option<Link>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::ResourceType.eq(kind.as_str()))
        .filter(Column::LocalId.eq(local_id))
        .one(tx.conn())
        .await?)
}

/// The FHIR ids of every `kind` resource pulled (for a reconciliation with the EHR's).
pub async fn fhir_ids(tx: &TenantTx, kind: ResourceKind) -> CoreResult<Vec<String>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::ResourceType.eq(kind.as_str()))
        .select_only()
        .column(Column::FhirId)
        .into_tuple()
        .all(tx.conn())
        .await?)
}

/// The local id of `kind/fhir_id`, if it was pulled.
pub async fn local(tx: &TenantTx, kind: ResourceKind, fhir_id: &str) -> CoreResult<Option<Uuid>> {
    Ok(by_fhir(tx, kind, fhir_id).await?.map(|l| l.local_id))
}

/// Links `kind/fhir_id` to `local_id` (or moves the link), at `version_id`.
pub async fn set(
    tx: &TenantTx,
    kind: ResourceKind,
    fhir_id: &str,
    local_id: Uuid,
    version_id: Option<&str>,
    patient_id: Option<Uuid>,
) -> CoreResult<Link> {
    let now = Utc::now();
    match by_fhir(tx, kind, fhir_id).await? {
        Some(found) => {
            let mut active: ehr_link::ActiveModel = found.into();
            active.local_id = Set(local_id);
            active.version_id = Set(version_id.map(str::to_owned));
            active.patient_id = Set(patient_id);
            active.updated_at = Set(now);
            Ok(active.update(tx.conn()).await?)
        }
        None => Ok(ehr_link::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            resource_type: Set(kind.as_str().to_owned()),
            fhir_id: Set(fhir_id.to_owned()),
            local_id: Set(local_id),
            version_id: Set(version_id.map(str::to_owned)),
            patient_id: Set(patient_id),
            updated_at: Set(now),
        }
        .insert(tx.conn())
        .await?),
    }
}

pub async fn remove(tx: &TenantTx, kind: ResourceKind, fhir_id: &str) -> CoreResult<()> {
    tx.delete::<Entity>()
        .filter(Column::ResourceType.eq(kind.as_str()))
        .filter(Column::FhirId.eq(fhir_id))
        .exec(tx.conn())
        .await?;
    Ok(())
}
