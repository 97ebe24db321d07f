//! Background work on apalis: the job-queue adapters (SQLite storage in the embedded profile,
//! Redis storage in production), the workers that run [`portico_core::ports::Job`]s, and the
//! cron schedules that enqueue periodic work.

pub mod adoption;
pub mod attachments;
mod audit;
pub mod billing;
pub mod cron_lease;
pub mod ehr;
mod outbox;
mod patient_imports;
mod queue;
mod recalls;
pub mod refills;
mod reminders;
mod smart;
mod webhooks;
mod worker;

pub use queue::{ApalisQueue, PerQueue, QueueError};
pub use worker::{JobContext, run_workers};
