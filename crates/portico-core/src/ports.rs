//! Ports: the traits through which the domain reaches infrastructure whose implementation
//! depends on the profile (embedded or production). Implementations are chosen once, at
//! start-up, and passed in; nothing else branches on the profile.

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::TenantId;

/// A failure of an adapter (queue, broker). The message is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
#[error("{adapter}: {message}")]
pub struct PortError {
    pub adapter: &'static str,
    pub message: String,
}

impl PortError {
    pub fn new(adapter: &'static str, err: impl std::fmt::Display) -> Self {
        Self {
            adapter,
            message: err.to_string(),
        }
    }
}

/// Background work. Each variant carries ids only, never PHI, because jobs are stored in the
/// queue's backend outside the database's row-level security.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Walk a tenant's audit hash chain and report a break.
    VerifyAuditChain { tenant_id: TenantId },
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: Job) -> Result<(), PortError>;
    /// Jobs waiting to run, for `/metrics`.
    async fn depth(&self) -> Result<u64, PortError>;
    /// Whether the queue's backend answers, for `/readyz`.
    async fn ping(&self) -> Result<(), PortError>;
    /// `sqlite` or `redis`, for logs and metrics.
    fn backend(&self) -> &'static str;
}

/// Fan-out of events between instances (GraphQL subscriptions, cache invalidation).
#[async_trait]
pub trait PubSub: Send + Sync {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), PortError>;
    /// A stream of every payload published on `topic` after the call returns.
    async fn subscribe(&self, topic: &str) -> Result<BoxStream<'static, Vec<u8>>, PortError>;
    async fn ping(&self) -> Result<(), PortError>;
    fn backend(&self) -> &'static str;
}
