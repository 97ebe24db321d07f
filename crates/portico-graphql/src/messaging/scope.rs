//! Who may take part in messaging: the policies a resolver names (patients `own_messages`,
//! staff `messages`), the staff-only operations, opening a thread for the caller, and
//! telling subscribers after a commit.

use async_graphql::Context;
use portico_core::{
    CoreResult, TenantTx,
    audit::Actor,
    entities::message_thread,
    identity::Role,
    messaging::{
        access::{self, Participant},
        events::ThreadEvent,
    },
};
use uuid::Uuid;

use crate::{
    ApiError,
    context::ContextExt,
    run::{Caller, Need},
};

/// Reading conversations.
pub const READ: Need = Need::to("messages", "read").or_own("own_messages");

/// Writing in them; refused in a suspended practice.
pub const WRITE: Need = Need::to("messages", "write")
    .or_own("own_messages")
    .new_work();

/// Staff only (the inbox, assignment, closing): a patient is refused before any policy is
/// asked.
pub fn staff_only(ctx: &Context<'_>) -> Result<(), ApiError> {
    if ctx.principal()?.role == Role::Patient {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// The thread and how the caller takes part, with the caller's actor flagged when a
/// restricted chart was opened by breaking the glass.
pub async fn open(
    tx: &TenantTx,
    caller: &Caller,
    thread: Uuid,
) -> CoreResult<(message_thread::Model, Participant, Actor)> {
    let (thread, participant) = access::open(tx, &caller.viewer(), thread).await?;
    let actor = caller
        .actor
        .clone()
        .with_break_glass(participant.break_glass);
    Ok((thread, participant, actor))
}

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
