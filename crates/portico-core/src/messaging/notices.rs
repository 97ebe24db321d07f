//! Telling a patient that the care team wrote: a notice with a link to the conversation and
//! nothing from it (no PHI), once per message, through the channels the patient chose.

use chrono::{DateTime, Utc};

use super::access::Participant;
use crate::{
    CoreResult, TenantTx,
    entities::{message_thread, thread_message},
    notify::{self, Notice, Portal},
};

/// After `message` was written in `thread` by `author`: a message from the care team that the
/// patient can read (not an internal note) is announced to the patient. Returns how many
/// notices were written to the outbox; the caller relays it once the transaction commits.
pub async fn tell_patient(
    tx: &TenantTx,
    portal: &Portal,
    author: &Participant,
    thread: &message_thread::Model,
    message: &thread_message::Model,
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    if !author.side.is_staff() || message.internal {
        return Ok(0);
    }
    let link = portal.thread(thread.id);
    let key = format!("message:{}", message.id);
    let send = notify::Send {
        notice: Notice::NewMessage,
        key: &key,
        topic: None,
        link: &link,
        deadline: None,
    };
    let written = notify::to_patient(tx, portal, thread.patient_id, &send, now).await?;
    Ok(usize::from(written.email) + usize::from(written.sms))
}
