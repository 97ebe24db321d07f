//! Proxy (caregiver) access: a patient, or staff, lets another user of the practice read a
//! chart, message or book for the patient; scoped, revocable, optionally ending by itself.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId, TenantTx,
    chart_access::{self, Purpose, Relationship, Viewer},
    entities::{patient, proxy_grant},
    identity::{Role, SessionClaims},
    proxies,
    tenancy::Access,
};
use uuid::Uuid;

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    user_error::{UserError, settle},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ProxyScope {
    /// Read the chart.
    Read,
    /// Message the care team for the patient.
    Message,
    /// Book, reschedule and cancel visits for the patient.
    Book,
    /// Ask for refills of the patient's medications.
    Refills,
}

impl ProxyScope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Message => "message",
            Self::Book => "book",
            Self::Refills => "refills",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "message" => Some(Self::Message),
            "book" => Some(Self::Book),
            "refills" => Some(Self::Refills),
            _ => None,
        }
    }
}

#[derive(SimpleObject)]
pub struct ProxyGrant {
    id: ID,
    patient_id: ID,
    /// The address the access was given to. It applies once that person has an account.
    grantee_email: String,
    scopes: Vec<ProxyScope>,
    created_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<proxy_grant::Model> for ProxyGrant {
    fn from(g: proxy_grant::Model) -> Self {
        Self {
            id: global_id::encode("ProxyGrant", g.id),
            patient_id: global_id::encode("Patient", g.patient_id),
            grantee_email: g.grantee_email.clone(),
            scopes: proxies::scopes_of(&g)
                .into_iter()
                .filter_map(ProxyScope::parse)
                .collect(),
            created_at: g.created_at,
            ends_at: g.ends_at,
            revoked_at: g.revoked_at,
        }
    }
}

#[derive(InputObject)]
pub struct GrantProxyAccessInput {
    patient_id: ID,
    /// The person to act for the patient. The access applies once they have a portal account
    /// at the practice with this address (the answer does not say whether they have one).
    grantee_email: String,
    scopes: Vec<ProxyScope>,
    /// When the access ends by itself (e.g. a child's 18th birthday); open-ended if unset.
    ends_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject, Default)]
pub struct GrantProxyAccessPayload {
    grant: Option<ProxyGrant>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeProxyAccessInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeProxyAccessPayload {
    grant: ProxyGrant,
}

/// The chart if the principal may manage its proxies: staff with `patients/write` (a
/// restricted chart needs a break-glass access), or the patient themself with
/// `own_chart/share`. Anything else is `NOT_FOUND`.
async fn manageable_chart(
    ctx: &Context<'_>,
    tx: &TenantTx,
    principal: &SessionClaims,
    chart: Uuid,
) -> async_graphql::Result<patient::Model> {
    let request_id = &ctx.request()?.request_id;
    let core = |e| ApiError::from_core(e, request_id);
    let viewer = Viewer {
        user_id: principal.user_id,
        role: principal.role,
    };
    let opened = chart_access::open(tx, &viewer, PatientId::from_uuid(chart), Purpose::Write)
        .await
        .map_err(core)?;
    if principal.role == Role::Patient && opened.relationship != Relationship::Own {
        return Err(ApiError::NotFound.into());
    }
    let actor = ctx.actor(principal);
    portico_core::records::audit(tx, &actor, &opened, "patient.read", "Patient", Some(chart))
        .await
        .map_err(core)?;
    Ok(opened.chart)
}

async fn authorize_sharing(ctx: &Context<'_>) -> async_graphql::Result<SessionClaims> {
    let principal = ctx.principal()?.clone();
    Ok(if principal.role == Role::Patient {
        ctx.authorize("own_chart", "share").await?.clone()
    } else {
        ctx.authorize("patients", "write").await?.clone()
    })
}

#[derive(Default)]
pub struct ProxiesQuery;

#[Object]
impl ProxiesQuery {
    /// Who has proxy access to a chart (the patient, or staff).
    async fn proxy_grants(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
    ) -> async_graphql::Result<Vec<ProxyGrant>> {
        let principal = authorize_sharing(ctx).await?;
        let request_id = ctx.request()?.request_id.clone();
        let chart = global_id::parse("Patient", "patientId", &patient_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        manageable_chart(ctx, &tx, &principal, chart).await?;
        let grants = proxies::for_chart(&tx, PatientId::from_uuid(chart))
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        tx.commit()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(grants.into_iter().map(ProxyGrant::from).collect())
    }
}

#[derive(Default)]
pub struct ProxiesMutation;

#[Object]
impl ProxiesMutation {
    async fn grant_proxy_access(
        &self,
        ctx: &Context<'_>,
        input: GrantProxyAccessInput,
    ) -> async_graphql::Result<GrantProxyAccessPayload> {
        let principal = authorize_sharing(ctx).await?;
        let request_id = ctx.request()?.request_id.clone();
        let chart = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        manageable_chart(ctx, &tx, &principal, chart).await?;
        let scopes: Vec<String> = input.scopes.iter().map(|s| s.as_str().to_owned()).collect();
        let granted = proxies::grant(
            &tx,
            &ctx.actor(&principal),
            principal.user_id,
            PatientId::from_uuid(chart),
            &input.grantee_email,
            &scopes,
            input.ends_at,
        )
        .await;
        Ok(match settle(tx, granted, &request_id).await? {
            Ok(grant) => GrantProxyAccessPayload {
                grant: Some(grant.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => GrantProxyAccessPayload {
                grant: None,
                user_errors,
            },
        })
    }

    async fn revoke_proxy_access(
        &self,
        ctx: &Context<'_>,
        input: RevokeProxyAccessInput,
    ) -> async_graphql::Result<RevokeProxyAccessPayload> {
        let principal = authorize_sharing(ctx).await?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let id = global_id::parse("ProxyGrant", "id", &input.id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let grant = proxies::find(&tx, id).await.map_err(core)?;
        manageable_chart(ctx, &tx, &principal, grant.patient_id).await?;
        let revoked = proxies::revoke(&tx, &ctx.actor(&principal), grant)
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(RevokeProxyAccessPayload {
            grant: revoked.into(),
        })
    }
}
