//! Live updates over graphql-ws: new messages and changes in the conversations the subscriber
//! takes part in. Events carry ids only; each subscriber reloads the thread (and message)
//! under its own access rules, so a patient never receives an internal note or another
//! chart's thread, whichever instance the event came from. The stream ends when the token it
//! was opened with expires.
//!
//! A subscriber that falls behind (a busy practice's inbox, a loaded database) catches up in
//! batches: the events waiting are checked together, with one session check and one read and
//! one write transaction for the lot, and a few batches are checked at once, delivered in
//! order. One event at a time, each a dozen round trips, a staff member's stream fell ever
//! further behind a practice's messages on a loaded machine.

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription};
use chrono::Utc;
use futures::{Stream, StreamExt};
use portico_core::{
    TenantTx,
    audit::Actor,
    chart_access::Viewer,
    entities::{care_team_pool, message_thread},
    identity::SessionClaims,
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
    scope::READ,
};
use crate::{Services, context::ContextExt, global_id, run::Run};

/// The most waiting events checked together.
const LIVE_BATCH: usize = 16;
/// Batches one subscriber checks at once (each on a pooled connection of its own).
const LIVE_CONCURRENCY: usize = 4;

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
    principal: SessionClaims,
    only: Option<Uuid>,
    /// A patient-side subscriber's charts (as of subscribing): events of other charts are
    /// dropped before any database work. `None` for staff.
    charts: Option<Vec<Uuid>>,
}

/// What a batch of events comes to for one subscriber.
enum Step {
    Deliver(Box<ThreadUpdate>),
    /// Signed out, revoked or disabled since subscribing: the stream ends.
    End,
}

/// An update built in the read, with what its delivery records as read.
type Built = (ThreadUpdate, message_thread::Model, Actor);

impl Listener {
    /// Whether `event` may concern this subscriber, told without the database.
    fn concerns(&self, event: &ThreadEvent) -> bool {
        !(self.only.is_some_and(|t| t != event.thread_id)
            || self
                .charts
                .as_ref()
                .is_some_and(|charts| !charts.contains(&event.patient_id))
            || (event.internal && self.charts.is_some()))
    }

    /// The updates `batch` (in its order) comes to for this subscriber; `End` when the
    /// session is over.
    async fn steps(&self, batch: Vec<Vec<u8>>) -> Vec<Step> {
        let events: Vec<ThreadEvent> = batch
            .iter()
            .filter_map(|bytes| ThreadEvent::decode(bytes))
            .filter(|event| self.concerns(event))
            .collect();
        if events.is_empty() {
            return Vec::new();
        }
        match self.still_signed_in().await {
            Some(true) => {}
            Some(false) => return vec![Step::End],
            None => return Vec::new(),
        }
        match self.updates(&events).await {
            Ok(updates) => updates
                .into_iter()
                .map(|update| Step::Deliver(Box::new(update)))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, events = events.len(), "live updates not delivered");
                Vec::new()
            }
        }
    }

    /// Whether the session (or API key) the stream was opened with is still in force;
    /// `None` when that cannot be told right now.
    async fn still_signed_in(&self) -> Option<bool> {
        if let Some(key) = self.principal.api_key_id {
            return self
                .within(Access::Read, async |tx| {
                    portico_core::api_keys::is_live(tx, key).await
                })
                .await
                .ok();
        }
        if self.principal.expires_at <= Utc::now().timestamp() {
            return Some(false);
        }
        // The event is held back (not delivered) while the revocation list cannot be read.
        match self
            .services
            .revocations
            .is_revoked(self.principal.session_id)
            .await
        {
            Ok(revoked) => Some(!revoked),
            Err(e) => {
                let request_id = self.actor.request_id.as_deref().unwrap_or_default();
                crate::context::revocation_check_failed(&e, request_id, self.principal.session_id);
                None
            }
        }
    }

    /// The updates as this subscriber may see them: checked and built in one read, then
    /// recorded as read in one short write when they are delivered.
    async fn updates(&self, events: &[ThreadEvent]) -> portico_core::CoreResult<Vec<ThreadUpdate>> {
        let built = self
            .within(Access::Read, async |tx| {
                let all_pools = pools::list(tx, true).await?;
                let mut built = Vec::with_capacity(events.len());
                for event in events {
                    built.extend(self.build(tx, event, &all_pools).await?);
                }
                Ok(built)
            })
            .await?;
        if built.is_empty() {
            return Ok(Vec::new());
        }
        // Every delivered update shows the thread (and maybe a message): audited like a read.
        self.within(Access::Write, async |tx| {
            for (_, thread, actor) in &built {
                messages::record_read(tx, actor, thread).await?;
            }
            Ok(())
        })
        .await?;
        Ok(built.into_iter().map(|(update, ..)| update).collect())
    }

    /// Runs `work` in a transaction of the subscriber's practice and ends it, as the runner
    /// does for a request (the request that opened the stream is gone by now): commits its
    /// success, rolls back its failure.
    async fn within<T>(
        &self,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx) -> portico_core::CoreResult<T>,
    ) -> portico_core::CoreResult<T> {
        let tx = TenantTx::begin(&self.services.db, &self.tenant.scope(), access).await?;
        let done = work(&tx).await;
        if done.is_ok() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        done
    }

    async fn build(
        &self,
        tx: &TenantTx,
        event: &ThreadEvent,
        all_pools: &[care_team_pool::Model],
    ) -> portico_core::CoreResult<Option<Built>> {
        // Not a participant (any more): not a word, not even that something happened. Any
        // other failure (the database) is an error the caller logs, not a silent skip.
        let (thread, participant) = match access::open(tx, &self.viewer, event.thread_id).await {
            Ok(opened) => opened,
            Err(e) if !e.is_internal() => return Ok(None),
            Err(e) => return Err(e),
        };
        let actor = self.actor.clone().with_break_glass(participant.break_glass);
        let message = match (event.kind, event.message_id) {
            (EventKind::MessagePosted, Some(id)) => {
                match messages::read_one(tx, &thread, &participant, id).await? {
                    Some(entry) => Some(Message::from(entry)),
                    None => return Ok(None),
                }
            }
            _ => None,
        };
        let marks = reads::marks(tx, &[thread.id], participant.user_id).await?;
        let target = messaging::response_target(&self.tenant.tenant);
        let view = MessageThread::many(
            vec![thread.clone()],
            all_pools,
            &marks,
            participant.side,
            target,
        )
        .into_iter()
        .next();
        Ok(view.map(|view| {
            (
                ThreadUpdate {
                    kind: match event.kind {
                        EventKind::MessagePosted => ThreadEventKind::MessagePosted,
                        EventKind::ThreadChanged => ThreadEventKind::ThreadChanged,
                    },
                    thread: view,
                    message,
                },
                thread,
                actor,
            )
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
        let only = global_id::parse_opt("MessageThread", "threadId", thread_id.as_ref())?;
        let services = ctx.services()?.clone();
        let tenant = ctx.tenant()?.clone();
        let (caller, charts) = ctx
            .run(READ, Access::Read, async |tx, caller| {
                let viewer = caller.viewer();
                if let Some(thread) = only {
                    // A thread the subscriber cannot read is refused now, as a query would be.
                    access::open(tx, &viewer, thread).await?;
                }
                // A patient-side subscriber hears only of the charts they take part in.
                let charts = if caller.is_patient() {
                    Some(access::patient_charts(tx, &viewer).await?)
                } else {
                    None
                };
                Ok((caller.clone(), charts))
            })
            .await?;
        let events = services
            .pubsub
            .subscribe(&topic(tenant.id()))
            .await
            .map_err(|e| ctx.fail(portico_core::CoreError::adapter(e)))?;
        // A session's stream ends when its token does, even if nothing happens meanwhile.
        let ends = (caller.principal.api_key_id.is_none()).then(|| {
            let left = caller.principal.expires_at - Utc::now().timestamp();
            tokio::time::Instant::now()
                + std::time::Duration::from_secs(u64::try_from(left).unwrap_or(0))
        });
        let listener = Listener {
            services,
            tenant,
            viewer: caller.viewer(),
            actor: caller.actor,
            principal: caller.principal,
            only,
            charts,
        };
        let expiry = match ends {
            Some(at) => futures::future::Either::Left(tokio::time::sleep_until(at)),
            None => futures::future::Either::Right(futures::future::pending::<()>()),
        };
        Ok(events
            .take_until(expiry)
            .ready_chunks(LIVE_BATCH)
            .map(move |batch| {
                let listener = listener.clone();
                async move { listener.steps(batch).await }
            })
            .buffered(LIVE_CONCURRENCY)
            .flat_map(futures::stream::iter)
            .take_while(|step| std::future::ready(!matches!(step, Step::End)))
            .filter_map(|step| {
                std::future::ready(match step {
                    Step::Deliver(update) => Some(*update),
                    Step::End => None,
                })
            }))
    }
}
