//! Threads and messages: the patient's conversations, the staff inbox, starting a thread,
//! writing, assigning, closing, reopening and reading.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{Duration, Utc};
use portico_core::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::Viewer,
    entities::{message_thread, thread_message},
    messaging::{
        self, access,
        events::ThreadEvent,
        messages::{self, Draft},
        notices, pools, reads,
        threads::{self, Assignee, InboxFilter, NewThread, Recipient},
    },
    tenancy::Access,
};
use uuid::Uuid;

use super::{
    objects::{Message, MessageCategory, MessageThread, ThreadStatus},
    scope::{READ, WRITE, open, publish, staff_only},
};
use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    run::{Payload, Run},
    scheduling::appointments::{notice_text, relay_outbox},
    user_error::UserError,
};

/// Threads listed at most at once.
const PAGE: u64 = 100;

/// The practice's response-time target.
fn target(ctx: &Context<'_>) -> Result<Duration, ApiError> {
    Ok(messaging::response_target(&ctx.tenant()?.tenant))
}

/// Builds `threads` for the viewer with pools, read marks and the practice's target.
async fn view(
    tx: &TenantTx,
    viewer: &Viewer,
    target: Duration,
    threads: Vec<message_thread::Model>,
) -> CoreResult<Vec<MessageThread>> {
    let ids: Vec<Uuid> = threads.iter().map(|t| t.id).collect();
    let marks = reads::marks(tx, &ids, viewer.user_id.as_uuid()).await?;
    let all_pools = pools::list(tx, true).await?;
    let side = access::side_of(viewer);
    let charts: Vec<Uuid> = threads.iter().map(|t| t.patient_id).collect();
    let hidden = access::hidden_charts(tx, viewer, &charts).await?;
    let mut out = MessageThread::many(threads, &all_pools, &marks, side, target);
    for thread in &mut out {
        thread.hidden = hidden.contains(&thread.model.patient_id);
    }
    Ok(out)
}

/// Answers a query with `threads`: the listing is audited (one event per chart), then built
/// for the viewer.
async fn show(
    tx: &TenantTx,
    viewer: &Viewer,
    actor: &Actor,
    target: Duration,
    threads: Vec<message_thread::Model>,
) -> CoreResult<Vec<MessageThread>> {
    threads::record_listing(tx, actor, &threads).await?;
    view(tx, viewer, target, threads).await
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
        let chart = global_id::parse_opt("Patient", "patientId", patient_id.as_ref())?;
        let target = target(ctx)?;
        ctx.run(READ, Access::Write, async |tx, caller| {
            let viewer = caller.viewer();
            let charts = access::charts_to_list(tx, &viewer, chart).await?;
            let status = status.map(ThreadStatus::as_str);
            let found = threads::of_charts(tx, &charts, status, PAGE).await?;
            show(tx, &viewer, &caller.actor, target, found).await
        })
        .await
    }

    /// One conversation the viewer takes part in.
    async fn message_thread(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MessageThread> {
        let id = global_id::parse("MessageThread", "id", &id)?;
        let target = target(ctx)?;
        let out = ctx
            .run(READ, Access::Read, async |tx, caller| {
                let (thread, _, _) = open(tx, caller, id).await?;
                view(tx, &caller.viewer(), target, vec![thread]).await
            })
            .await?;
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
        staff_only(ctx)?;
        let target = target(ctx)?;
        let pool_id = global_id::parse_opt("CareTeamPool", "poolId", pool_id.as_ref())?;
        let assignee_id = global_id::parse_opt("User", "assigneeId", assignee_id.as_ref())?;
        let overdue_before = overdue.unwrap_or(false).then(|| Utc::now() - target);
        let limit = u64::try_from(first.clamp(1, i32::try_from(PAGE).unwrap_or(100))).unwrap_or(50);
        ctx.run(READ, Access::Write, async |tx, caller| {
            let filter = InboxFilter {
                pool_id,
                assignee: match (assignee, assignee_id) {
                    (_, Some(id)) => Some(Assignee::User(id)),
                    (Some(AssigneeFilter::Me), None) => {
                        Some(Assignee::User(caller.principal.user_id.as_uuid()))
                    }
                    (Some(AssigneeFilter::Unassigned), None) => Some(Assignee::Nobody),
                    (None, None) => None,
                },
                status: status.map(|s| s.as_str().to_owned()),
                overdue_before,
            };
            // A pool or assignee naming nothing in this practice is not found, not an empty
            // inbox.
            if let Some(pool) = filter.pool_id {
                pools::find(tx, pool).await?;
            }
            if let Some(Assignee::User(user)) = filter.assignee {
                portico_core::accounts::find_by_id(tx, portico_core::UserId::from_uuid(user))
                    .await?
                    .ok_or(CoreError::NotFound)?;
            }
            let found = threads::inbox(tx, &filter, limit).await?;
            show(tx, &caller.viewer(), &caller.actor, target, found).await
        })
        .await
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
    /// A resource of the education library to send (staff; not in an internal note). The
    /// patient's notice says only that there is a message.
    education_resource_id: Option<ID>,
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
    /// A resource of the education library to send (staff; not in an internal note). The
    /// patient's notice says only that there is a message.
    education_resource_id: Option<ID>,
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

#[derive(SimpleObject, Default)]
pub struct MessagePayload {
    thread: Option<MessageThread>,
    message: Option<Message>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct ThreadPayload {
    thread: Option<MessageThread>,
    user_errors: Vec<UserError>,
}

crate::run::refusable!(MessagePayload, ThreadPayload);

/// The uploads named in `attachmentIds`.
fn attachments_of(ids: &[ID]) -> Result<Vec<Uuid>, ApiError> {
    ids.iter()
        .map(|id| global_id::parse("Attachment", "attachmentIds", id))
        .collect()
}

/// A message written, and who wrote it.
struct Posted {
    viewer: Viewer,
    thread: message_thread::Model,
    message: thread_message::Model,
    /// Notices written to the outbox for it.
    notices: usize,
}

/// After a message's transaction committed: tells subscribers, relays the notices, and
/// shows the thread and the message as the writer now sees them (in a fresh read).
async fn posted(
    ctx: &Context<'_>,
    target: Duration,
    outcome: Result<Posted, Vec<UserError>>,
) -> async_graphql::Result<MessagePayload> {
    let posted = match outcome {
        Ok(posted) => posted,
        Err(user_errors) => return Ok(MessagePayload::refused(user_errors)),
    };
    let Posted {
        viewer,
        thread,
        message,
        notices,
    } = posted;
    publish(
        ctx,
        &ThreadEvent::posted(&thread, message.id, message.internal),
    )
    .await;
    relay_outbox(ctx, notices).await?;
    let (entry, thread) = ctx
        .within(Access::Read, async |tx| {
            let entry = messages::entry(tx, message).await?;
            Ok((entry, view(tx, &viewer, target, vec![thread]).await?))
        })
        .await?
        .map_err(|e| ctx.fail(e))?;
    Ok(MessagePayload {
        thread: thread.into_iter().next(),
        message: Some(Message::from(entry)),
        user_errors: vec![],
    })
}

/// After a thread's change committed: tells subscribers and shows the thread as the viewer
/// now sees it (in a fresh read).
async fn changed(
    ctx: &Context<'_>,
    target: Duration,
    outcome: Result<(Viewer, message_thread::Model), Vec<UserError>>,
) -> async_graphql::Result<ThreadPayload> {
    let (viewer, thread) = match outcome {
        Ok(changed) => changed,
        Err(user_errors) => return Ok(ThreadPayload::refused(user_errors)),
    };
    publish(ctx, &ThreadEvent::changed(&thread)).await;
    let out = ctx
        .within(Access::Read, async |tx| {
            view(tx, &viewer, target, vec![thread]).await
        })
        .await?
        .map_err(|e| ctx.fail(e))?;
    Ok(ThreadPayload {
        thread: out.into_iter().next(),
        user_errors: vec![],
    })
}

/// Closes or reopens a conversation (staff).
async fn set_open(
    ctx: &Context<'_>,
    input: ThreadInput,
    open_it: bool,
) -> async_graphql::Result<ThreadPayload> {
    staff_only(ctx)?;
    let id = global_id::parse("MessageThread", "threadId", &input.thread_id)?;
    let target = target(ctx)?;
    let outcome = ctx
        .mutate(WRITE, async |tx, caller| {
            let (thread, _, actor) = open(tx, caller, id).await?;
            let thread = threads::set_open(tx, &actor, thread, open_it, Utc::now()).await?;
            Ok((caller.viewer(), thread))
        })
        .await?;
    changed(ctx, target, outcome).await
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
        let chart = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let pool = global_id::parse_opt("CareTeamPool", "poolId", input.pool_id.as_ref())?;
        let provider = global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let attachment_ids = attachments_of(&input.attachment_ids)?;
        let education_resource_id = global_id::parse_opt(
            crate::education::RESOURCE,
            "educationResourceId",
            input.education_resource_id.as_ref(),
        )?;
        let portal = notice_text(ctx)?;
        let target = target(ctx)?;
        let outcome = ctx
            .mutate(WRITE, async |tx, caller| {
                let viewer = caller.viewer();
                let participant = access::for_chart(tx, &viewer, chart).await?;
                let actor = caller
                    .actor
                    .clone()
                    .with_break_glass(participant.break_glass);
                let new = NewThread {
                    patient_id: chart,
                    to: Recipient::chosen(pool, provider)?,
                    category: input.category.as_str().to_owned(),
                    subject: input.subject,
                    first: Draft {
                        body: input.body,
                        internal: false,
                        attachment_ids,
                        education_resource_id,
                    },
                };
                let now = Utc::now();
                let (thread, message) = threads::start(tx, &actor, &participant, new, now).await?;
                let written =
                    notices::tell_patient(tx, &portal, &participant, &thread, &message, now)
                        .await?;
                Ok(Posted {
                    viewer,
                    thread,
                    message,
                    notices: written,
                })
            })
            .await?;
        posted(ctx, target, outcome).await
    }

    /// Writes in a conversation (staff may write an internal note).
    async fn post_message(
        &self,
        ctx: &Context<'_>,
        input: PostMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        let id = global_id::parse("MessageThread", "threadId", &input.thread_id)?;
        let attachment_ids = attachments_of(&input.attachment_ids)?;
        let education_resource_id = global_id::parse_opt(
            crate::education::RESOURCE,
            "educationResourceId",
            input.education_resource_id.as_ref(),
        )?;
        let portal = notice_text(ctx)?;
        let target = target(ctx)?;
        let outcome = ctx
            .mutate(WRITE, async |tx, caller| {
                let (thread, participant, actor) = open(tx, caller, id).await?;
                let draft = Draft {
                    body: input.body,
                    internal: input.internal,
                    attachment_ids,
                    education_resource_id,
                };
                let now = Utc::now();
                let (thread, message) =
                    messages::post(tx, &actor, thread, &participant, draft, now).await?;
                let written =
                    notices::tell_patient(tx, &portal, &participant, &thread, &message, now)
                        .await?;
                Ok(Posted {
                    viewer: caller.viewer(),
                    thread,
                    message,
                    notices: written,
                })
            })
            .await?;
        posted(ctx, target, outcome).await
    }

    /// Hands a conversation to a staff member (or to nobody).
    async fn assign_thread(
        &self,
        ctx: &Context<'_>,
        input: AssignThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        staff_only(ctx)?;
        let id = global_id::parse("MessageThread", "threadId", &input.thread_id)?;
        let assignee = global_id::parse_opt("User", "assigneeId", input.assignee_id.as_ref())?;
        let target = target(ctx)?;
        let outcome = ctx
            .mutate(WRITE, async |tx, caller| {
                let (thread, _, actor) = open(tx, caller, id).await?;
                let thread = threads::assign(tx, &actor, thread, assignee).await?;
                Ok((caller.viewer(), thread))
            })
            .await?;
        changed(ctx, target, outcome).await
    }

    /// Closes a conversation: nothing more can be written until it is reopened.
    async fn close_thread(
        &self,
        ctx: &Context<'_>,
        input: ThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        set_open(ctx, input, false).await
    }

    async fn reopen_thread(
        &self,
        ctx: &Context<'_>,
        input: ThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        set_open(ctx, input, true).await
    }

    /// Marks the conversation read by the viewer up to its last message.
    async fn mark_thread_read(
        &self,
        ctx: &Context<'_>,
        input: ThreadInput,
    ) -> async_graphql::Result<ThreadPayload> {
        let id = global_id::parse("MessageThread", "threadId", &input.thread_id)?;
        let target = target(ctx)?;
        let outcome = ctx
            .mutate(READ, async |tx, caller| {
                let (thread, participant, _) = open(tx, caller, id).await?;
                reads::mark(tx, thread.id, participant.user_id, thread.last_message_at).await?;
                Ok((caller.viewer(), thread))
            })
            .await?;
        changed(ctx, target, outcome).await
    }
}
