//! Scheduling: the practice's providers, locations and appointment types, weekly
//! availability in the practice's time zone, busy time, open-slot search, booking that cannot
//! double-book, the waitlist, reminders and preventive-care recalls.

pub mod appointments;
pub mod availability;
pub mod blocks;
pub mod catalog;
pub mod demo;
pub mod openings;
pub mod patient_access;
pub mod practice_setup;
pub mod recalls;
pub mod reminders;
pub mod search;
pub mod slots;
pub mod snapshot;
pub mod waitlist;
