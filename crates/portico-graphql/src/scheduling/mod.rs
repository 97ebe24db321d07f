//! Scheduling: the practice's catalogue (providers, locations, types, weekly hours), open
//! slots, appointments, blocks of busy time, the waitlist, reminders and preventive-care recalls.

pub(crate) mod access;
pub(crate) mod appointments;
mod blocks;
mod catalog;
pub(crate) mod objects;
mod recalls;
mod reminders;
mod slots;
mod waitlist;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct SchedulingQuery(
    catalog::CatalogQuery,
    slots::SlotsQuery,
    appointments::AppointmentsQuery,
    blocks::BlocksQuery,
    reminders::RemindersQuery,
    recalls::RecallsQuery,
    waitlist::WaitlistQuery,
);

#[derive(MergedObject, Default)]
pub struct SchedulingMutation(
    catalog::CatalogMutation,
    appointments::AppointmentsMutation,
    blocks::BlocksMutation,
    reminders::RemindersMutation,
    recalls::RecallsMutation,
    waitlist::WaitlistMutation,
);
