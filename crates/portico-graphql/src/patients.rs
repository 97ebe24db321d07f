//! Patients' charts (demographics for now). Staff of the practice see every chart; a patient
//! sees only their own. Another tenant's chart, or another patient's, is `NOT_FOUND`.

use async_graphql::{
    Context, ID, InputObject, Interface, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
};
use portico_core::{
    PatientId,
    entities::patient,
    identity::Role,
    patients::{self, NewPatient},
    tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    scalars::Date,
    user_error::{UserError, settle},
};

/// A patient's chart.
pub struct Patient(pub(crate) patient::Model);

#[Object]
impl Patient {
    async fn id(&self) -> ID {
        global_id::encode("Patient", self.0.id)
    }
    /// The practice's medical record number.
    async fn mrn(&self) -> Option<&str> {
        self.0.mrn.as_deref()
    }
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }
    async fn birth_date(&self) -> Date {
        Date(self.0.birth_date)
    }
    /// FHIR administrative gender.
    async fn gender(&self) -> &str {
        &self.0.gender
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
}

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Patient(Patient),
}

#[derive(InputObject)]
pub struct CreatePatientInput {
    mrn: Option<String>,
    given_name: String,
    family_name: String,
    birth_date: Date,
    /// `female`, `male`, `other` or `unknown`.
    gender: String,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct CreatePatientPayload {
    patient: Option<Patient>,
    user_errors: Vec<UserError>,
}

/// Loads a chart the principal may open, or `NOT_FOUND`.
async fn open_chart(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Patient> {
    let principal = ctx.principal()?.clone();
    let principal = if principal.role == Role::Patient {
        ctx.authorize("own_chart", "read").await?.clone()
    } else {
        ctx.authorize("patients", "read").await?.clone()
    };
    let request_id = ctx.request()?.request_id.clone();
    let Some(uuid) = global_id::decode("Patient", id) else {
        return Err(ApiError::NotFound.into());
    };
    let tx = ctx.tenant_tx(Access::Write).await?;
    let found = patients::get(&tx, &ctx.actor(&principal), PatientId::from_uuid(uuid))
        .await
        .map_err(|e| ApiError::from_core(e, &request_id))?;
    // A patient opens their own chart and those shared with them; anything else looks like
    // it does not exist.
    let own = found.user_id == Some(principal.user_id.as_uuid());
    let shared = !own
        && principal.role == Role::Patient
        && portico_core::proxies::allows(&tx, principal.user_id, found.id, "read")
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
    if principal.role == Role::Patient && !own && !shared {
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        return Err(ApiError::NotFound.into());
    }
    tx.commit()
        .await
        .map_err(|e| ApiError::from_core(e, &request_id))?;
    Ok(Patient(found))
}

#[derive(Default)]
pub struct PatientsQuery;

#[Object]
impl PatientsQuery {
    /// Any object by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Node> {
        match global_id::type_of(&id).as_deref() {
            Some("Patient") => open_chart(ctx, &id).await.map(Node::Patient),
            _ => Err(ApiError::NotFound.into()),
        }
    }

    /// One chart.
    async fn patient(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Patient> {
        open_chart(ctx, &id).await
    }

    /// The practice's charts, oldest first (staff only).
    async fn patients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Patient, EmptyFields, EmptyFields>> {
        let principal = ctx.authorize("patients", "read").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _, first, _| async move {
                let limit = first.unwrap_or(20).clamp(1, 100);
                let after = match after.as_deref() {
                    Some(cursor) => Some(
                        global_id::decode("Patient", &ID(cursor.to_owned()))
                            .map(PatientId::from_uuid)
                            .ok_or(ApiError::BadUserInput {
                                field: "after",
                                code: "INVALID_CURSOR",
                                message: "not a cursor from this list".to_owned(),
                            })?,
                    ),
                    None => None,
                };
                let tx = ctx.tenant_tx(Access::Write).await?;
                let mut page = patients::list(
                    &tx,
                    &ctx.actor(&principal),
                    after,
                    u64::try_from(limit + 1).unwrap_or(101),
                )
                .await
                .map_err(|e| ApiError::from_core(e, &request_id))?;
                tx.commit()
                    .await
                    .map_err(|e| ApiError::from_core(e, &request_id))?;
                let has_next = page.len() > limit;
                page.truncate(limit);
                let mut connection = Connection::new(after.is_some(), has_next);
                connection.edges.extend(page.into_iter().map(|p| {
                    let cursor = global_id::encode("Patient", p.id).0;
                    Edge::new(cursor, Patient(p))
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct PatientsMutation;

#[Object]
impl PatientsMutation {
    /// Opens a chart (staff).
    async fn create_patient(
        &self,
        ctx: &Context<'_>,
        input: CreatePatientInput,
    ) -> async_graphql::Result<CreatePatientPayload> {
        let principal = ctx.authorize("patients", "write").await?.clone();
        ctx.require_active_tenant()?;
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let created = patients::create(
            &tx,
            &ctx.actor(&principal),
            NewPatient {
                mrn: input.mrn,
                given_name: input.given_name,
                family_name: input.family_name,
                birth_date: Some(input.birth_date.0),
                gender: input.gender,
                email: input.email,
                phone: input.phone,
            },
        )
        .await;
        Ok(match settle(tx, created, &request_id).await? {
            Ok(p) => CreatePatientPayload {
                patient: Some(Patient(p)),
                user_errors: Vec::new(),
            },
            Err(user_errors) => CreatePatientPayload {
                patient: None,
                user_errors,
            },
        })
    }
}
