//! Secure messaging: care-team pools, threads and messages (with internal notes for staff),
//! attachments behind signed links, read marks, the staff inbox, and live updates over
//! graphql-ws.

mod attachments;
mod objects;
mod pools;
mod scope;
mod settings;
mod subscription;
mod threads;

use async_graphql::MergedObject;

pub use attachments::DOWNLOAD_PATH;
pub use subscription::MessagingSubscription;

#[derive(MergedObject, Default)]
pub struct MessagingQuery(
    pools::PoolsQuery,
    threads::ThreadsQuery,
    settings::MessagingSettingsQuery,
);

#[derive(MergedObject, Default)]
pub struct MessagingMutation(
    pools::PoolsMutation,
    threads::ThreadsMutation,
    attachments::AttachmentsMutation,
    settings::MessagingSettingsMutation,
);
