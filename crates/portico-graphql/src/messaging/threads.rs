//! Threads and messages: the patient's conversations, the staff inbox, starting a thread,
//! writing, assigning, closing, reopening and reading.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use portico_core::{
    TenantTx,
    entities::{message_thread, thread_message},
    messaging::{
        self,
        access::{self, Participant},
        events::ThreadEvent,
        messages::{self, Draft},
        pools, reads,
        threads::{self, Assignee, InboxFilter, NewThread, Recipient},
    },
    notify::{self, Notice},
    tenancy::Access,
};
use uuid::Uuid;

use super::{
    objects::{Message, MessageCategory, MessageThread, ThreadStatus},
    scope::{Need, Scope, publish, scope, staff_scope, uuid_of},
};
use crate::{
    ApiError,
    context::ContextExt,
    scheduling::appointments::{notice_text, relay_outbox},
    user_error::{UserError, settle},
};

/// Threads listed at most at once.
const PAGE: u64 = 100;

/// Builds `threads` for the viewer with pools, read marks and the practice's target.
async fn view(
    ctx: &Context<'_>,
    tx: &TenantTx,
    scope: &Scope,
    threads: Vec<message_thread::Model>,
) -> async_graphql::Result<Vec<MessageThread>> {
    let ids: Vec<Uuid> = threads.iter().map(|t| t.id).collect();
    let marks = reads::marks(tx, &ids, scope.viewer.user_id.as_uuid())
        .await
        .map_err(scope.core())?;
    let all_pools = pools::list(tx, true).await.map_err(scope.core())?;
    let side = access::side_of(&scope.viewer);
    let target = messaging::response_target(&ctx.tenant()?.tenant);
    let charts: Vec<Uuid> = threads.iter().map(|t| t.patient_id).collect();
    let hidden = access::hidden_charts(tx, &scope.viewer, &charts)
        .await
        .map_err(scope.core())?;
    let mut out = MessageThread::many(threads, &all_pools, &marks, side, target);
    for thread in &mut out {
        thread.hidden = hidden.contains(&thread.model.patient_id);
    }
    Ok(out)
}

/// Answers a query with `threads`: the listing is audited (one event per chart), then built
/// for the viewer, and the transaction committed.
async fn show(
    ctx: &Context<'_>,
    tx: TenantTx,
    scope: &Scope,
    actor: &portico_core::audit::Actor,
    threads: Vec<message_thread::Model>,
) -> async_graphql::Result<Vec<MessageThread>> {
    threads::record_listing(&tx, actor, &threads)
        .await
        .map_err(scope.core())?;
    let out = view(ctx, &tx, scope, threads).await?;
    tx.commit().await.map_err(scope.core())?;
    Ok(out)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AssigneeFilter {
    /// Assigned to the signed-in staff member.
    Me,
    Unassigned,
}

#[derive(Default)]
pub struct ThreadsQuery;

#[Object]
impl ThreadsQuery {
    /// The conversations of the charts a patient (or proxy with `message`) takes part in,
    /// latest first; `patientId` narrows to one chart. Staff give `patientId`.
    async fn message_threads(
        &self,
        ctx: &Context<'_>,
        patient_id: Option<ID>,
        status: Option<ThreadStatus>,
    ) -> async_graphql::Result<Vec<MessageThread>> {
        let scope = scope(ctx, Need::Read).await?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let chart = patient_id
            .map(|id| uuid_of("Patient", "patientId", &id))
            .transpose()?;
        let charts = if scope.is_staff() {
            let Some(chart) = chart else {
                return Err(ApiError::BadUserInput {
                    field: "patientId",
                    code: "PATIENT_REQUIRED",
                    message: "staff give a patientId; the inbox lists every thread".to_owned(),
                }
                .into());
            };
            access::for_chart(&tx, &scope.viewer, chart)
                .await
                .map_err(scope.core())?;
            vec![chart]
        } else {
            let mine = access::patient_charts(&tx, &scope.viewer)
                .await
                .map_err(scope.core())?;
            match chart {
                Some(c) if mine.contains(&c) => vec![c],
                Some(_) => Vec::new(),
                None => mine,
            }
        };
        let found = threads::of_charts(&tx, &charts, status.map(ThreadStatus::as_str), PAGE)
            .await
            .map_err(scope.core())?;
        show(ctx, tx, &scope, &scope.actor, found).await
    }

    /// One conversation the viewer takes part in.
    async fn message_thread(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MessageThread> {
        let scope = scope(ctx, Need::Read).await?;
        let id = uuid_of("MessageThread", "id", &id)?;
        let tx = ctx.tenant_tx(Access::Read).await?;
        let (thread, _, _) = scope.open(&tx, id).await?;
        let out = view(ctx, &tx, &scope, vec![thread]).await?;
        tx.rollback().await.map_err(scope.core())?;
        out.into_iter()
            .next()
            .ok_or_else(|| ApiError::NotFound.into())
    }

    /// The practice's conversations for staff, latest first: by pool, assignee, status, and
    /// only those past the response-time target.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument a filter, as GraphQL clients expect"
    )]
    async fn inbox(
        &self,
        ctx: &Context<'_>,
        pool_id: Option<ID>,
        assignee: Option<AssigneeFilter>,
        assignee_id: Option<ID>,
        status: Option<ThreadStatus>,
        overdue: Option<bool>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<MessageThread>> {
        let scope = staff_scope(ctx, Need::Read).await?;
        let target = messaging::response_target(&ctx.tenant()?.tenant);
        let filter = InboxFilter {
            pool_id: pool_id
                .map(|id| uuid_of("CareTeamPool", "poolId", &id))
                .transpose()?,
            assignee: match (assignee, assignee_id) {
                (_, Some(id)) => Some(Assignee::User(uuid_of("User", "assigneeId", &id)?)),
                (Some(AssigneeFilter::Me), None) => {
                    Some(Assignee::User(scope.viewer.user_id.as_uuid()))
                }
                (Some(AssigneeFilter::Unassigned), None) => Some(Assignee::Nobody),
                (None, None) => None,
            },
            status: status.map(|s| s.as_str().to_owned()),
            overdue_before: overdue.unwrap_or(false).then(|| Utc::now() - target),
        };
        let limit = u64::try_from(first.clamp(1, i32::try_from(PAGE).unwrap_or(100))).unwrap_or(50);
        let tx = ctx.tenant_tx(Access::Write).await?;
        let found = async {
            // A pool or assignee naming nothing in this practice is not found, not an empty
            // inbox.
            if let Some(pool) = filter.pool_id {
                pools::find(&tx, pool).await?;
            }
            if let Some(Assignee::User(user)) = filter.assignee {
                portico_core::accounts::find_by_id(&tx, portico_core::UserId::from_uuid(user))
                    .await?
                    .ok_or(portico_core::CoreError::NotFound)?;
            }
            threads::inbox(&tx, &filter, limit).await
        }
        .await
        .map_err(scope.core())?;
        show(ctx, tx, &scope, &scope.actor, found).await
    }
}

#[derive(InputObject)]
pub struct StartThreadInput {
    patient_id: ID,
    /// A care team; or give `providerId` to write to a provider's own team.
    pool_id: Option<ID>,
    provider_id: Option<ID>,
    category: MessageCategory,
    subject: String,
    body: String,
    /// Uploads (`uploadAttachment`) to send with the first message.
    #[graphql(default)]
    attachment_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct PostMessageInput {
    thread_id: ID,
    body: String,
    /// A note for staff only.
    #[graphql(default = false)]
    internal: bool,
    #[graphql(default)]
    attachment_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct AssignThreadInput {
    thread_id: ID,
    /// Unset: nobody.
    assignee_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ThreadInput {
    thread_id: ID,
}

#[derive(SimpleObject)]
pub struct MessagePayload {
    thread: Option<MessageThread>,
    message: Option<Message>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ThreadPayload {
    thread: Option<MessageThread>,
    user_errors: Vec<UserError>,
}

/// The uploads named in `attachmentIds`.
fn attachments_of(ids: &[ID]) -> Result<Vec<Uuid>, ApiError> {
    ids.iter()
        .map(|id| crate::global_id::parse("Attachment", "attachmentIds", id))
        .collect()
}

/// After a message the patient can read from the care team: tell the patient, with no PHI.
async fn notify_patient(
    ctx: &Context<'_>,
    tx: &TenantTx,
    participant: &Participant,
    thread: &message_thread::Model,
    message: &thread_message::Model,
) -> portico_core::CoreResult<usize> {
    if !participant.side.is_staff() || message.internal {
        return Ok(0);
    }
    let portal = notice_text(ctx).map_err(|_| portico_core::CoreError::NotFound)?;
    let link = portal.thread(thread.id);
    let key = format!("message:{}", message.id);
    let send = notify::Send {
        notice: Notice::NewMessage,
        key: &key,
        topic: None,
        link: &link,
        deadline: None,
    };
    let written = notify::to_patient(tx, &portal, thread.patient_id, &send, Utc::now()).await?;
    Ok(usize::from(written.email) + usize::from(written.sms))
}

/// Ends a message mutation: commit, then tell subscribers and relay the notice.
async fn finish_message(
    ctx: &Context<'_>,
    scope: &Scope,
    tx: TenantTx,
    result: portico_core::CoreResult<(message_thread::Model, thread_message::Model, usize)>,
) -> async_graphql::Result<MessagePayload> {
    match settle(tx, result, &scope.request_id).await? {
        Ok((thread, message, written)) => {
            publish(
                ctx,
                &ThreadEvent::posted(&thread, message.id, message.internal),
            )
            .await;
            relay_outbox(ctx, written).await?;
            let tx = ctx.tenant_tx(Access::Read).await?;
            let entry = messages::entry(&tx, message).await.map_err(scope.core())?;
            let out = view(ctx, &tx, scope, vec![thread]).await?;
            tx.rollback().await.map_err(scope.core())?;
            Ok(MessagePayload {
                thread: out.into_iter().next(),
                message: Some(Message::from(entry)),
                user_errors: vec![],
            })
        }
        Err(user_errors) => Ok(MessagePayload {
            thread: None,
            message: None,
            user_errors,
        }),
    }
}

/// Ends a thread mutation: commit, then tell subscribers.
async fn finish_thread(
    ctx: &Context<'_>,
    scope: &Scope,
    tx: TenantTx,
    result: portico_core::CoreResult<message_thread::Model>,
) -> async_graphql::Result<ThreadPayload> {
    match settle(tx, result, &scope.request_id).await? {
        Ok(thread) => {
            publish(ctx, &ThreadEvent::changed(&thread)).await;
            let tx = ctx.tenant_tx(Access::Read).await?;
            let out = view(ctx, &tx, scope, vec![thread]).await?;
            tx.rollback().await.map_err(scope.core())?;
            Ok(ThreadPayload {
                thread: out.into_iter().next(),
                user_errors: vec![],
            })
        }
        Err(user_errors) => Ok(ThreadPayload {
            thread: None,
            user_errors,
        }),
    }
}

/// A writing transaction with the thread open for the viewer; rolled back when it is not
/// theirs.
async fn open_for_write(
    ctx: &Context<'_>,
    scope: &Scope,
    id: Uuid,
) -> async_graphql::Result<(
    TenantTx,
    message_thread::Model,
    Participant,
    portico_core::audit::Actor,
)> {
    let tx = ctx.tenant_tx(Access::Write).await?;
    match scope.open(&tx, id).await {
        Ok((thread, participant, actor)) => Ok((tx, thread, participant, actor)),
        Err(e) => {
            tx.rollback().await.map_err(scope.core())?;
            Err(e.into())
        }
    }
}

#[derive(Default)]
pub struct ThreadsMutation;

#[Object]
impl ThreadsMutation {
    /// Starts a conversation about a chart: a patient or a proxy with `message` to a care
    /// team or their provider; staff to the patient.
    async fn start_thread(
        &self,
        ctx: &Context<'_>,
        input: StartThreadInput,
    ) -> async_graphql::Result<MessagePayload> {
        let scope = scope(ctx, Need::Write).await?;
        let chart = uuid_of("Patient", "patientId", &input.patient_id)?;
        let pool = crate::global_id::parse_opt("CareTeamPool", "poolId", input.pool_id.as_ref())?;
        let provider =
            crate::global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let attachment_ids = attachments_of(&input.attachment_ids)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let participant = match access::for_chart(&tx, &scope.viewer, chart).await {
            Ok(p) => p,
            Err(e) => {
                tx.rollback().await.map_err(scope.core())?;
                return Err(ApiError::from_core(e, &scope.request_id).into());
            }
        };
        let actor = scope
            .actor
            .clone()
            .with_break_glass(participant.break_glass);
        let result = async {
            let to = match (pool, provider) {
                (Some(pool), None) => Recipient::Pool(pool),
                (None, Some(provider)) => Recipient::Provider(provider),
                _ => {
                    return Err(portico_core::CoreError::invalid(
                        "poolId",
                        "RECIPIENT_REQUIRED",
                        "give a care team (poolId) or a provider (providerId), not both",
                    ));
                }
            };
            let new = NewThread {
                patient_id: chart,
                to,
                category: input.category.as_str().to_owned(),
                subject: input.subject,
                first: Draft {
                    body: input.body,
                    internal: false,
                    attachment_ids,
                },
            };
            let (thread, message) =
                threads::start(&tx, &actor, &participant, new, Utc::now()).await?;
            let written = notify_patient(ctx, &tx, &participant, &thread, &message).await?;
            Ok((thread, message, written))
        }
        .await;
        finish_message(ctx, &scope, tx, result).await
    }

    /// Writes in a conversation (staff may write an internal note).
    async fn post_message(
        &self,
        ctx: &Context<'_>,
        input: PostMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        let scope = scope(ctx, Need::Write).await?;
        let id = uuid_of("MessageThread", "threadId", &input.thread_id)?;
        let attachment_ids = attachments_of(&input.attachment_ids)?;
        let (tx, thread, participant, actor) = open_for_write(ctx, &scope, id).await?;
        let result = async {
            let draft = Draft {
                body: input.body,
                internal: input.internal,
                attachment_ids,
            };
            let (thread, message) =
                messages::post(&tx, &actor, thread, &participant, draft, Utc::now()).await?;
            let written = notify_patient(ctx, &tx, &participant, &thread, &message).await?;
            Ok((thread, message, written))
        }
        .await;
        finish_message(ctx, &scope, tx, result).await
    }

    /// Hands a conversation to a staff member (or to nobody).
    async fn assign_thread(
        &self,
        ctx: &Context<'_>,
        input: AssignThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        let scope = staff_scope(ctx, Need::Write).await?;
        let id = uuid_of("MessageThread", "threadId", &input.thread_id)?;
        let assignee =
            crate::global_id::parse_opt("User", "assigneeId", input.assignee_id.as_ref())?;
        let (tx, thread, _, actor) = open_for_write(ctx, &scope, id).await?;
        let result = async { threads::assign(&tx, &actor, thread, assignee).await }.await;
        finish_thread(ctx, &scope, tx, result).await
    }

    /// Closes a conversation: nothing more can be written until it is reopened.
    async fn close_thread(
        &self,
        ctx: &Context<'_>,
        input: ThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        let scope = staff_scope(ctx, Need::Write).await?;
        let id = uuid_of("MessageThread", "threadId", &input.thread_id)?;
        let (tx, thread, _, actor) = open_for_write(ctx, &scope, id).await?;
        let result = threads::set_open(&tx, &actor, thread, false, Utc::now()).await;
        finish_thread(ctx, &scope, tx, result).await
    }

    async fn reopen_thread(
        &self,
        ctx: &Context<'_>,
        input: ThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        let scope = staff_scope(ctx, Need::Write).await?;
        let id = uuid_of("MessageThread", "threadId", &input.thread_id)?;
        let (tx, thread, _, actor) = open_for_write(ctx, &scope, id).await?;
        let result = threads::set_open(&tx, &actor, thread, true, Utc::now()).await;
        finish_thread(ctx, &scope, tx, result).await
    }

    /// Marks the conversation read by the viewer up to its last message.
    async fn mark_thread_read(
        &self,
        ctx: &Context<'_>,
        input: ThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        let scope = scope(ctx, Need::Read).await?;
        let id = uuid_of("MessageThread", "threadId", &input.thread_id)?;
        let (tx, thread, participant, _) = open_for_write(ctx, &scope, id).await?;
        let result = reads::mark(&tx, thread.id, participant.user_id, thread.last_message_at)
            .await
            .map(|()| thread);
        finish_thread(ctx, &scope, tx, result).await
    }
}
