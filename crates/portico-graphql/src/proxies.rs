//! Proxy (caregiver) access: a patient, or staff, lets another user of the practice read a
//! chart, message or book for the patient; scoped, revocable, optionally ending by itself.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId, chart_access, entities::proxy_grant, identity::Role, proxies, tenancy::Access,
};

use crate::{
    context::ContextExt,
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
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
    /// Record the patient's home readings (blood pressure, glucose, ...).
    Readings,
}

impl ProxyScope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Message => "message",
            Self::Book => "book",
            Self::Refills => "refills",
            Self::Readings => "readings",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "message" => Some(Self::Message),
            "book" => Some(Self::Book),
            "refills" => Some(Self::Refills),
            "readings" => Some(Self::Readings),
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

refusable!(GrantProxyAccessPayload);

#[derive(InputObject)]
pub struct RevokeProxyAccessInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeProxyAccessPayload {
    grant: ProxyGrant,
}

/// Who may manage a chart's proxies: the patient (`own_chart/share`; which chart is
/// [`chart_access::for_managing_proxies`]'s rule) or staff (`patients/write`). A private helper:
/// [`Need::or_own`] keeps the action, and patients need another one here.
fn sharing(ctx: &Context<'_>) -> async_graphql::Result<Need> {
    Ok(if ctx.principal()?.role == Role::Patient {
        Need::to("own_chart", "share")
    } else {
        Need::to("patients", "write")
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
        let need = sharing(ctx)?;
        let chart = PatientId::from_uuid(global_id::parse("Patient", "patientId", &patient_id)?);
        let grants = ctx
            .run(need, Access::Write, async |tx, caller| {
                chart_access::for_managing_proxies(tx, &caller.actor, &caller.viewer(), chart)
                    .await?;
                proxies::for_chart(tx, chart).await
            })
            .await?;
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
        let need = sharing(ctx)?;
        let chart =
            PatientId::from_uuid(global_id::parse("Patient", "patientId", &input.patient_id)?);
        let scopes: Vec<String> = input.scopes.iter().map(|s| s.as_str().to_owned()).collect();
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                chart_access::for_managing_proxies(tx, &caller.actor, &caller.viewer(), chart)
                    .await?;
                proxies::grant(
                    tx,
                    &caller.actor,
                    caller.principal.user_id,
                    chart,
                    &input.grantee_email,
                    &scopes,
                    input.ends_at,
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|grant| GrantProxyAccessPayload {
            grant: Some(grant.into()),
            user_errors: Vec::new(),
        }))
    }

    async fn revoke_proxy_access(
        &self,
        ctx: &Context<'_>,
        input: RevokeProxyAccessInput,
    ) -> async_graphql::Result<RevokeProxyAccessPayload> {
        let need = sharing(ctx)?;
        let id = global_id::parse("ProxyGrant", "id", &input.id)?;
        let revoked = ctx
            .run(need, Access::Write, async |tx, caller| {
                let grant = proxies::find(tx, id).await?;
                let chart = PatientId::from_uuid(grant.patient_id);
                chart_access::for_managing_proxies(tx, &caller.actor, &caller.viewer(), chart)
                    .await?;
                proxies::revoke(tx, &caller.actor, grant).await
            })
            .await?;
        Ok(RevokeProxyAccessPayload {
            grant: revoked.into(),
        })
    }
}
