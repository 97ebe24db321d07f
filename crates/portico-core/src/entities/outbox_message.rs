//! `outbox_messages`: what a transaction means to send, delivered after it commits.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `email` or `sms`.
    pub channel: String,
    /// One per effect: writing the same key twice keeps the first message.
    pub idempotency_key: String,
    /// The rendered message as JSON.
    pub payload: String,
    pub created_at: DateTimeUtc,
    pub relayed_at: Option<DateTimeUtc>,
    /// A worker delivering it holds it until then; a crashed worker's claim lapses.
    pub claimed_until: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub attempts: i32,
    /// After a failure, not before this (exponential backoff).
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// What the message is about (`appointment:{id}`), so a later change can withdraw it.
    pub topic: Option<String>,
    /// Withdrawn before delivery: never sent.
    pub cancelled_at: Option<DateTimeUtc>,
    /// The patient it is for, if any: a bounce is recorded on their chart.
    pub patient_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
