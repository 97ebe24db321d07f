//! What a thread's subscribers are told: ids only (the payload crosses Redis in production),
//! from which each subscriber loads what it may read.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TenantId, entities::message_thread};

/// One pub/sub topic per practice: a subscriber filters to the threads it may read.
pub fn topic(tenant: TenantId) -> String {
    format!("messaging:{tenant}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A message was written; `internal` notes reach staff only.
    MessagePosted,
    /// Assigned, closed, reopened or read.
    ThreadChanged,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadEvent {
    pub kind: EventKind,
    pub thread_id: Uuid,
    pub patient_id: Uuid,
    pub pool_id: Uuid,
    pub message_id: Option<Uuid>,
    /// Whether the message is an internal note (decides who hears of it).
    pub internal: bool,
}

impl ThreadEvent {
    pub fn changed(thread: &message_thread::Model) -> Self {
        Self {
            kind: EventKind::ThreadChanged,
            thread_id: thread.id,
            patient_id: thread.patient_id,
            pool_id: thread.pool_id,
            message_id: None,
            internal: false,
        }
    }

    pub fn posted(thread: &message_thread::Model, message_id: Uuid, internal: bool) -> Self {
        Self {
            kind: EventKind::MessagePosted,
            thread_id: thread.id,
            patient_id: thread.patient_id,
            pool_id: thread.pool_id,
            message_id: Some(message_id),
            internal,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}
