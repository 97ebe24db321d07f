//! Live updates over graphql-ws: new messages and changes in the conversations the subscriber
//! takes part in. Events carry ids only; each subscriber reloads the thread (and message)
//! under its own access rules, so a patient never receives an internal note or another
//! chart's thread, whichever instance the event came from. The stream ends when the token it
//! was opened with expires.

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription};
use chrono::Utc;
use futures::{Stream, StreamExt};
use portico_core::{
    TenantTx,
    audit::Actor,
    chart_access::Viewer,
    messaging::{
        self, access,
        events::{EventKind, ThreadEvent, topic},
        messages, pools, reads,
    },
    tenancy::Access,
    tenants::ResolvedTenant,
};
use uuid::Uuid;

use super::{
    objects::{Message, MessageThread},
    scope::{Need, scope, uuid_of},
};
use crate::{ApiError, Services, context::ContextExt};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ThreadEventKind {
    MessagePosted,
    ThreadChanged,
}

#[derive(SimpleObject)]
pub struct ThreadUpdate {
    kind: ThreadEventKind,
    thread: MessageThread,
    /// The new message, for `MESSAGE_POSTED`.
    message: Option<Message>,
}

/// What a subscriber needs after the request that opened it is gone.
#[derive(Clone)]
struct Listener {
    services: Services,
    tenant: ResolvedTenant,
    viewer: Viewer,
    actor: Actor,
    only: Option<Uuid>,
}

impl Listener {
    async fn update(&self, event: ThreadEvent) -> Option<ThreadUpdate> {
        if self.only.is_some_and(|t| t != event.thread_id) {
            return None;
        }
        let staff = access::side_of(&self.viewer).is_staff();
        if event.internal && !staff {
            return None;
        }
        let tx = TenantTx::begin(&self.services.db, &self.tenant.scope(), Access::Write)
            .await
            .ok()?;
        let built = self.build(&tx, &event).await;
        match built {
            Ok(Some(update)) => tx.commit().await.ok().map(|()| update),
            Ok(None) | Err(_) => {
                let _ = tx.rollback().await;
                None
            }
        }
    }

    async fn build(
        &self,
        tx: &TenantTx,
        event: &ThreadEvent,
    ) -> portico_core::CoreResult<Option<ThreadUpdate>> {
        // Not a participant (any more): not a word, not even that something happened.
        let Ok((thread, participant)) = access::open(tx, &self.viewer, event.thread_id).await
        else {
            return Ok(None);
        };
        let actor = self.actor.clone().with_break_glass(participant.break_glass);
        let message = match (event.kind, event.message_id) {
            (EventKind::MessagePosted, Some(id)) => {
                match messages::read_one(tx, &actor, &thread, &participant, id).await? {
                    Some(entry) => Some(Message::from(entry)),
                    None => return Ok(None),
                }
            }
            _ => None,
        };
        let marks = reads::marks(tx, &[thread.id], participant.user_id).await?;
        let all_pools = pools::list(tx, true).await?;
        let target = messaging::response_target(&self.tenant.tenant);
        let thread =
            MessageThread::many(vec![thread], &all_pools, &marks, participant.side, target)
                .into_iter()
                .next();
        Ok(thread.map(|thread| ThreadUpdate {
            kind: match event.kind {
                EventKind::MessagePosted => ThreadEventKind::MessagePosted,
                EventKind::ThreadChanged => ThreadEventKind::ThreadChanged,
            },
            thread,
            message,
        }))
    }
}

#[derive(Default)]
pub struct MessagingSubscription;

#[Subscription]
impl MessagingSubscription {
    /// New messages and changes in the conversations the subscriber takes part in (or in
    /// one, with `threadId`). Authorised when the subscription starts, with the token given
    /// in the connection's `connection_init` payload (or the upgrade request's header).
    async fn thread_updates(
        &self,
        ctx: &Context<'_>,
        thread_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = ThreadUpdate> + use<>> {
        let scope = scope(ctx, Need::Read).await?;
        let only = thread_id
            .map(|id| uuid_of("MessageThread", &id))
            .transpose()?;
        let services = ctx.services()?.clone();
        let tenant = ctx.tenant()?.clone();
        if let Some(thread) = only {
            // A thread the subscriber cannot read is refused now, as a query would be.
            let tx = ctx.tenant_tx(Access::Read).await?;
            let opened = scope.open(&tx, thread).await;
            tx.rollback().await.map_err(scope.core())?;
            opened?;
        }
        let events = services
            .pubsub
            .subscribe(&topic(tenant.id()))
            .await
            .map_err(|e| {
                ApiError::from_core(
                    portico_core::CoreError::Adapter(e.to_string()),
                    &scope.request_id,
                )
            })?;
        let expires_at = scope.principal.expires_at;
        let is_api_key = scope.principal.api_key_id.is_some();
        let listener = Listener {
            services,
            tenant,
            viewer: scope.viewer,
            actor: scope.actor.clone(),
            only,
        };
        Ok(events
            .take_while(move |_| {
                let live = is_api_key || Utc::now().timestamp() < expires_at;
                async move { live }
            })
            .filter_map(move |bytes| {
                let listener = listener.clone();
                async move {
                    let event = ThreadEvent::decode(&bytes)?;
                    listener.update(event).await
                }
            }))
    }
}
