//! The GraphQL shapes of messaging. A thread is built for one viewer: staff see the
//! response-time fields, patients and proxies never see internal notes.

use std::collections::HashMap;

use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use portico_core::{
    entities::{care_team_pool, message_attachment, message_thread},
    messaging::{
        self,
        access::Side,
        messages::{self, Entry},
        reads,
    },
    ports::DownloadGrant,
    tenancy::Access,
};

use super::scope::{READ, open, staff_only};
use crate::{context::ContextExt, global_id, run::Run};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MessageCategory {
    MedicalQuestion,
    Appointment,
    Prescription,
    TestResult,
    Billing,
    Other,
}

impl MessageCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MedicalQuestion => "medical_question",
            Self::Appointment => "appointment",
            Self::Prescription => "prescription",
            Self::TestResult => "test_result",
            Self::Billing => "billing",
            Self::Other => "other",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "medical_question" => Self::MedicalQuestion,
            "appointment" => Self::Appointment,
            "prescription" => Self::Prescription,
            "test_result" => Self::TestResult,
            "billing" => Self::Billing,
            _ => Self::Other,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ThreadStatus {
    Open,
    Closed,
}

impl ThreadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => messaging::OPEN,
            Self::Closed => messaging::CLOSED,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PoolKind {
    FrontDesk,
    NurseLine,
    Billing,
    Provider,
    Other,
}

impl PoolKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FrontDesk => "front_desk",
            Self::NurseLine => "nurse_line",
            Self::Billing => "billing",
            Self::Provider => "provider",
            Self::Other => "other",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "front_desk" => Self::FrontDesk,
            "nurse_line" => Self::NurseLine,
            "billing" => Self::Billing,
            "provider" => Self::Provider,
            _ => Self::Other,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AuthorKind {
    Patient,
    Proxy,
    Staff,
}

/// A care team messages can be addressed to.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct CareTeamPool {
    id: ID,
    name: String,
    kind: PoolKind,
    /// The provider whose own team this is.
    provider_id: Option<ID>,
    active: bool,
    #[graphql(skip)]
    uuid: uuid::Uuid,
}

impl From<&care_team_pool::Model> for CareTeamPool {
    fn from(p: &care_team_pool::Model) -> Self {
        Self {
            id: global_id::encode("CareTeamPool", p.id),
            name: p.name.clone(),
            kind: PoolKind::parse(&p.kind),
            provider_id: p.provider_id.map(|id| global_id::encode("Provider", id)),
            active: p.active,
            uuid: p.id,
        }
    }
}

#[derive(SimpleObject)]
pub struct PoolMember {
    user_id: ID,
    display_name: String,
}

#[ComplexObject]
impl CareTeamPool {
    /// The staff in the pool (staff only).
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PoolMember>> {
        staff_only(ctx)?;
        let members = ctx
            .run(READ, Access::Read, async |tx, _| {
                messaging::pools::members_named(tx, self.uuid).await
            })
            .await?;
        Ok(members
            .into_iter()
            .map(|(id, name)| PoolMember {
                user_id: global_id::encode("User", id),
                display_name: name,
            })
            .collect())
    }
}

/// A conversation between a patient's chart and a care team, as one viewer sees it.
pub struct MessageThread {
    pub model: message_thread::Model,
    pub pool: Option<CareTeamPool>,
    pub side: Side,
    pub mark: Option<DateTime<Utc>>,
    pub target: Duration,
    /// A restricted chart the (staff) viewer has not broken the glass for.
    pub hidden: bool,
}

impl MessageThread {
    /// Builds the viewer's threads with their pools and read marks.
    pub fn many(
        threads: Vec<message_thread::Model>,
        pools: &[care_team_pool::Model],
        marks: &HashMap<uuid::Uuid, DateTime<Utc>>,
        side: Side,
        target: Duration,
    ) -> Vec<Self> {
        let pools: HashMap<uuid::Uuid, &care_team_pool::Model> =
            pools.iter().map(|p| (p.id, p)).collect();
        threads
            .into_iter()
            .map(|t| Self {
                pool: pools.get(&t.pool_id).map(|p| CareTeamPool::from(*p)),
                mark: marks.get(&t.id).copied(),
                model: t,
                side,
                target,
                hidden: false,
            })
            .collect()
    }
}

#[Object]
impl MessageThread {
    async fn id(&self) -> ID {
        global_id::encode("MessageThread", self.model.id)
    }

    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.model.patient_id)
    }

    async fn pool(&self) -> Option<&CareTeamPool> {
        self.pool.as_ref()
    }

    async fn category(&self) -> MessageCategory {
        MessageCategory::parse(&self.model.category)
    }

    /// Null on a restricted chart until the viewer breaks the glass for it.
    async fn subject(&self) -> Option<&str> {
        (!self.hidden).then_some(self.model.subject.as_str())
    }

    /// The chart is restricted and the viewer has not broken the glass: the thread is
    /// listed, but its subject and messages stay closed.
    async fn restricted(&self) -> bool {
        self.hidden
    }

    async fn status(&self) -> ThreadStatus {
        if self.model.status == messaging::CLOSED {
            ThreadStatus::Closed
        } else {
            ThreadStatus::Open
        }
    }

    /// The staff member handling it (staff only).
    async fn assignee_id(&self) -> Option<ID> {
        if !self.side.is_staff() {
            return None;
        }
        self.model
            .assignee_id
            .map(|id| global_id::encode("User", id))
    }

    async fn started_by_staff(&self) -> bool {
        self.model.started_by_staff
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }

    /// The last message the viewer can read.
    async fn last_message_at(&self) -> DateTime<Utc> {
        self.model.last_message_at
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.model.closed_at
    }

    /// Something new since the viewer last read the thread.
    async fn unread(&self) -> bool {
        reads::is_unread(&self.model, self.mark)
    }

    /// The oldest patient message not answered yet (staff only).
    async fn awaiting_reply_since(&self) -> Option<DateTime<Utc>> {
        self.side
            .is_staff()
            .then_some(self.model.awaiting_reply_since)
            .flatten()
    }

    /// When the practice's response-time target runs out (staff only).
    async fn reply_due_at(&self) -> Option<DateTime<Utc>> {
        if !self.side.is_staff() {
            return None;
        }
        messaging::reply_due(&self.model, self.target)
    }

    /// Past the response-time target and still waiting (staff only; false for others).
    async fn overdue(&self) -> bool {
        self.side.is_staff() && messaging::is_overdue(&self.model, self.target, Utc::now())
    }

    /// The messages the viewer may read, oldest first (reading is audited).
    async fn messages(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Message>> {
        let entries = ctx
            .run(READ, Access::Write, async |tx, caller| {
                let (thread, participant, actor) = open(tx, caller, self.model.id).await?;
                messages::read(tx, &actor, &thread, &participant).await
            })
            .await?;
        Ok(entries.into_iter().map(Message::from).collect())
    }
}

/// One message (or, for staff, an internal note).
#[derive(SimpleObject)]
pub struct Message {
    id: ID,
    thread_id: ID,
    body: String,
    /// A note among staff; patients and proxies never receive one.
    internal: bool,
    author_kind: AuthorKind,
    author_name: String,
    created_at: DateTime<Utc>,
    attachments: Vec<Attachment>,
    /// A resource of the practice's education library sent with it, shown as a card.
    education_resource: Option<crate::education::EducationResource>,
}

impl From<Entry> for Message {
    fn from(e: Entry) -> Self {
        let m = e.message;
        Self {
            id: global_id::encode("Message", m.id),
            thread_id: global_id::encode("MessageThread", m.thread_id),
            body: m.body,
            internal: m.internal,
            author_kind: match m.author_kind.as_str() {
                "patient" => AuthorKind::Patient,
                "proxy" => AuthorKind::Proxy,
                _ => AuthorKind::Staff,
            },
            author_name: e.author_name,
            created_at: m.created_at,
            attachments: e.attachments.iter().map(Attachment::from).collect(),
            education_resource: e
                .education_resource
                .map(crate::education::EducationResource::card),
        }
    }
}

/// A file sent with a message. Built only for a viewer who may read the thread (or who
/// uploaded it), so its download link is theirs.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Attachment {
    id: ID,
    file_name: String,
    /// Detected from the content.
    content_type: String,
    size_bytes: i64,
    #[graphql(skip)]
    uuid: uuid::Uuid,
}

impl From<&message_attachment::Model> for Attachment {
    fn from(a: &message_attachment::Model) -> Self {
        Self {
            id: global_id::encode("Attachment", a.id),
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            uuid: a.id,
        }
    }
}

#[ComplexObject]
impl Attachment {
    /// A link that downloads the file for the next few minutes, signed for the viewer.
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let principal = ctx.principal()?;
        let services = ctx.services()?;
        let expires_at = Utc::now().timestamp()
            + i64::try_from(services.attachment_link_ttl.as_secs()).unwrap_or(300);
        let token = services
            .tokens
            .sign_download(&DownloadGrant {
                tenant_id: principal.tenant_id,
                attachment_id: self.uuid,
                user_id: principal.user_id,
                role: principal.role,
                session_id: principal
                    .api_key_id
                    .is_none()
                    .then_some(principal.session_id),
                expires_at,
            })
            .map_err(|e| ctx.fail(portico_core::CoreError::adapter(e)))?;
        Ok(format!(
            "{}{}/{}/{}?token={token}",
            services.public_url.trim_end_matches('/'),
            super::DOWNLOAD_PATH,
            principal.tenant_id,
            self.uuid
        ))
    }
}
