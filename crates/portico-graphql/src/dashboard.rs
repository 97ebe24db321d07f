//! The patient's dashboard: the last visit, new results, reminders, the next appointments
//! and the conversations with news.

use async_graphql::{Context, Enum, ID, SimpleObject};
use portico_core::{
    PatientId, messaging,
    records::dashboard::{self, ReminderKind as CoreKind},
    scheduling::appointments,
};
use uuid::Uuid;

use crate::{
    chart_access, global_id,
    records::{Encounter, Observation},
    scalars::Date,
    scheduling::{
        self,
        objects::{Appointment, Catalog},
    },
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReminderKind {
    /// The next dose of a vaccine is due within 30 days, or overdue.
    ImmunizationDue,
    /// An active prescription has no refills left and needs renewing.
    MedicationRenewal,
}

#[derive(SimpleObject)]
pub struct Reminder {
    pub kind: ReminderKind,
    /// The vaccine or medication.
    pub title: String,
    pub due_on: Option<Date>,
    /// The immunization or medication request it is about.
    pub resource_id: ID,
    /// A renewal of a controlled substance needs a visit.
    pub needs_visit: bool,
}

/// What the patient sees first.
#[derive(SimpleObject)]
pub struct PatientDashboard {
    pub patient_id: ID,
    /// The latest finished visit.
    pub last_visit: Option<Encounter>,
    /// Results taken since the last finished visit (every result when there is none),
    /// newest first, at most 50.
    pub new_results: Vec<Observation>,
    /// Derived from the chart: immunizations falling due and prescriptions to renew.
    pub reminders: Vec<Reminder>,
    /// The next booked visits, soonest first (at most 3).
    pub next_appointments: Vec<Appointment>,
    /// Conversations about the chart with a message the viewer has not read.
    pub unread_threads: i32,
}

pub(crate) async fn load(
    ctx: &Context<'_>,
    patient: Uuid,
) -> async_graphql::Result<PatientDashboard> {
    // Only what the query asks for is read: the appointments (and the catalogue they point
    // at) and the unread count cost statements of their own.
    let wanted = ctx.look_ahead();
    let (appointments_wanted, unread_wanted) = (
        wanted.field("nextAppointments").exists(),
        wanted.field("unreadThreads").exists(),
    );
    let clock = scheduling::access::clock(ctx)?;
    let (d, next_appointments, unread) = chart_access::read(ctx, patient, async |tx, opened| {
        let d = dashboard::load(tx, &opened.actor, &opened.chart).await?;
        let next_appointments = if appointments_wanted {
            let next = appointments::for_patient(
                tx,
                &opened.actor,
                PatientId::from_uuid(patient),
                Some(clock.now),
                3,
            )
            .await?;
            let catalog = Catalog::load(tx).await?;
            Some((next, catalog))
        } else {
            None
        };
        let unread = if unread_wanted {
            messaging::reads::unread_threads(tx, &opened.caller.viewer(), patient).await?
        } else {
            0
        };
        Ok((d, next_appointments, unread))
    })
    .await?;
    let next_appointments = next_appointments
        .map(|(next, catalog)| Appointment::list(next, &catalog, clock))
        .unwrap_or_default();
    Ok(PatientDashboard {
        patient_id: global_id::encode("Patient", patient),
        last_visit: d.last_visit.map(Encounter::from),
        new_results: d.new_results.into_iter().map(Observation::from).collect(),
        reminders: d
            .reminders
            .into_iter()
            .map(|r| Reminder {
                kind: match r.kind {
                    CoreKind::ImmunizationDue => ReminderKind::ImmunizationDue,
                    CoreKind::MedicationRenewal => ReminderKind::MedicationRenewal,
                },
                title: r.title,
                due_on: r.due_on.map(Date),
                resource_id: global_id::encode(r.resource_type, r.resource_id),
                needs_visit: r.needs_visit,
            })
            .collect(),
        next_appointments,
        unread_threads: i32::try_from(unread).unwrap_or(i32::MAX),
    })
}
