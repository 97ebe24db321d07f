//! Scheduling: open-slot generation from weekly availability in the practice's time zone.
//! (Providers, locations, appointment types and booking build on this.)

pub mod slots;
