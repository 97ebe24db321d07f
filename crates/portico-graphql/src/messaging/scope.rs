//! Who is asking, for messaging: the policy check (patients `own_messages`, staff
//! `messages`), the viewer for the chart rules, and the audit actor.

use async_graphql::Context;
use portico_core::{
    TenantTx,
    audit::Actor,
    chart_access::Viewer,
    identity::{Role, SessionClaims},
    messaging::{
        access::{self, Participant},
        events::ThreadEvent,
    },
};
use uuid::Uuid;

use crate::{ApiError, context::ContextExt};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
}

pub struct Scope {
    pub principal: SessionClaims,
    pub viewer: Viewer,
    pub actor: Actor,
    pub request_id: String,
}

impl Scope {
    pub fn is_staff(&self) -> bool {
        self.principal.role != Role::Patient
    }

    pub fn core(&self) -> impl Fn(portico_core::CoreError) -> ApiError + '_ {
        |e| ApiError::from_core(e, &self.request_id)
    }

    /// The thread and how the viewer takes part, with the actor flagged when a restricted
    /// chart was opened by breaking the glass.
    pub async fn open(
        &self,
        tx: &TenantTx,
        thread: Uuid,
    ) -> Result<
        (
            portico_core::entities::message_thread::Model,
            Participant,
            Actor,
        ),
        ApiError,
    > {
        let (thread, participant) = access::open(tx, &self.viewer, thread)
            .await
            .map_err(self.core())?;
        let actor = self.actor.clone().with_break_glass(participant.break_glass);
        Ok((thread, participant, actor))
    }
}

/// The principal, if allowed messaging at all for `need`.
pub async fn scope(ctx: &Context<'_>, need: Need) -> async_graphql::Result<Scope> {
    let principal = ctx.principal()?.clone();
    let object = if principal.role == Role::Patient {
        "own_messages"
    } else {
        "messages"
    };
    let action = match need {
        Need::Read => "read",
        Need::Write => "write",
    };
    let principal = ctx.authorize(object, action).await?.clone();
    if need == Need::Write {
        ctx.require_active_tenant()?;
    }
    Ok(Scope {
        viewer: Viewer {
            user_id: principal.user_id,
            role: principal.role,
        },
        actor: ctx.actor(&principal),
        request_id: ctx.request()?.request_id.clone(),
        principal,
    })
}

/// Staff only (`messages` with `action`): the inbox, assignment, closing.
pub async fn staff_scope(ctx: &Context<'_>, need: Need) -> async_graphql::Result<Scope> {
    if ctx.principal()?.role == Role::Patient {
        return Err(ApiError::Forbidden.into());
    }
    scope(ctx, need).await
}

pub use crate::scheduling::access::uuid_of;

/// Tells every instance's subscribers, after the commit. A lost event costs a live update,
/// never data: the thread is read from the database.
pub async fn publish(ctx: &Context<'_>, event: &ThreadEvent) {
    let Ok(services) = ctx.services() else { return };
    let Ok(tenant) = ctx.tenant() else { return };
    let topic = portico_core::messaging::events::topic(tenant.id());
    if let Err(e) = services.pubsub.publish(&topic, event.encode()).await {
        tracing::warn!(error = %e, "messaging event not published");
    }
}
