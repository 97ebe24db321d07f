//! Patient feedback: a survey after each completed visit (one per visit, sent through the
//! outbox with a one-time link and no PHI), the portal's feedback form, and the practice's
//! scores (average rating and the promoter / passive / detractor split) and comments.

pub mod answers;
pub mod demo;
pub mod invitations;
pub mod scores;

use chrono::Duration;

/// How long after the outcome is recorded the survey goes out: long enough for the patient
/// to have left, soon enough to be remembered. A text message also waits out quiet hours.
pub const SEND_DELAY: Duration = Duration::hours(2);
/// How long a survey link works once sent.
pub const LINK_LIFETIME: Duration = Duration::days(14);
/// The longest comment kept.
pub const MAX_COMMENT: usize = 2000;
/// The outbox key of a survey's messages starts so (`feedback:{id}`, `feedback:{id}:sms`).
pub const OUTBOX_KEY: &str = "feedback:";

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const SKIPPED: &str = "skipped";
pub const ANSWERED: &str = "answered";

/// Where an answer came from.
pub const SURVEY: &str = "survey";
pub const PORTAL: &str = "portal";
