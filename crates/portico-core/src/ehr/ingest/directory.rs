//! The practice's people and places the EHR answers for: patients (matched to charts),
//! practitioners (providers) and locations. Practitioners and locations are the practice's
//! catalog, written at once rather than with the page.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use super::{Applied, Page, Resource};
use crate::{
    CoreResult, TenantTx,
    ehr::{
        columns,
        matching::{self, Charts},
        model::{EhrLocation, EhrPatient, EhrPractitioner},
    },
    entities::{location, provider},
    records,
};

/// Matches the patient to a chart (from what the page read, when matched in sets).
pub(super) async fn patient(
    tx: &TenantTx,
    page: &mut Page,
    charts: Option<&mut Charts>,
    resource: &Resource<'_>,
    patient: &EhrPatient,
) -> CoreResult<Applied> {
    let mut patient = patient.clone();
    columns::fit_patient(&mut patient)?;
    let (fhir_id, version) = (resource.fhir_id, resource.version);
    match charts {
        Some(charts) => charts.apply(tx, page, fhir_id, version, &patient).await,
        None => matching::apply(tx, page, fhir_id, version, &patient).await,
    }
}

pub(super) async fn practitioner(
    tx: &TenantTx,
    page: &mut Page,
    resource: &Resource<'_>,
    p: &EhrPractitioner,
) -> CoreResult<Applied> {
    tx.changed(crate::caches::Change::Catalog);
    let name = records::required("name", &p.display_name, columns::PROVIDER_NAME_MAX)?;
    let shown = name.clone();
    let id = match resource.existing() {
        Some(id) => {
            tx.update::<provider::Entity>()
                .col_expr(provider::Column::DisplayName, Expr::value(name))
                .col_expr(provider::Column::Active, Expr::value(p.active))
                .filter(provider::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
            id
        }
        None => {
            provider::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                user_id: Set(None),
                display_name: Set(name),
                specialty: Set(records::optional(
                    "specialty",
                    p.specialty.clone(),
                    columns::PROVIDER_NAME_MAX,
                )?),
                active: Set(p.active),
                covering_provider_id: Set(None),
                created_at: Set(Utc::now()),
            }
            .insert(tx.conn())
            .await?
            .id
        }
    };
    page.named(id, &shown);
    resource.link_to(tx, page, id, None).await?;
    Ok(Applied::Changed)
}

pub(super) async fn location(
    tx: &TenantTx,
    page: &mut Page,
    resource: &Resource<'_>,
    l: &EhrLocation,
) -> CoreResult<Applied> {
    tx.changed(crate::caches::Change::Catalog);
    let name = records::required("name", &l.name, columns::LOCATION_NAME_MAX)?;
    let address = records::optional("address", l.address.clone(), columns::LOCATION_ADDRESS_MAX)?;
    let id = match resource.existing() {
        Some(id) => {
            tx.update::<location::Entity>()
                .col_expr(location::Column::Name, Expr::value(name))
                .col_expr(location::Column::Address, Expr::value(address))
                .col_expr(location::Column::Active, Expr::value(l.active))
                .filter(location::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
            id
        }
        None => {
            location::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                name: Set(name),
                address: Set(address),
                active: Set(l.active),
                created_at: Set(Utc::now()),
            }
            .insert(tx.conn())
            .await?
            .id
        }
    };
    resource.link_to(tx, page, id, None).await?;
    Ok(Applied::Changed)
}
