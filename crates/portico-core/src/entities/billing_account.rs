//! `billing_accounts`: a practice's account with the payment provider and the subscription
//! state last applied to it. A directory table (webhooks find the practice through it).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(unique)]
    pub customer_id: Option<String>,
    pub plan: Option<String>,
    pub subscription_id: Option<String>,
    pub subscription_status: Option<String>,
    /// What the practice's status follows (see `billing::lifecycle`).
    pub status: String,
    pub trial_ends_at: Option<DateTimeUtc>,
    pub current_period_end: Option<DateTimeUtc>,
    pub past_due_since: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub state_created: Option<DateTimeUtc>,
    pub state_event_id: Option<String>,
    pub payment_failed_at: Option<DateTimeUtc>,
    pub invoice_state_created: Option<DateTimeUtc>,
    pub invoice_state_event_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
