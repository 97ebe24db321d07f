//! Who may act on whose appointments and waitlist entries: staff on any patient of their
//! practice (a restricted chart as its records open: practice admins and the care team
//! directly, anyone else through a break-glass access in force); a patient on their own, and
//! a proxy as their grant allows (`book` to book and change, `read` or `book` to see).
//! Anyone else's patient looks like it does not exist.

use uuid::Uuid;

use crate::{
    CoreResult, PatientId, TenantTx,
    audit::Actor,
    chart_access::{self, Purpose, Viewer},
    identity::Role,
    scheduling::appointments::{self, Channel},
};

/// What the viewer wants to do with a patient's appointments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    See,
    Book,
}

/// The channel a viewer's bookings go through: the portal for patients and proxies, the
/// practice for staff.
pub fn channel_of(viewer: &Viewer) -> Channel {
    if viewer.role == Role::Patient {
        Channel::Portal
    } else {
        Channel::Staff
    }
}

/// `actor`, flagged with the break-glass access in use, once `viewer` may act on `patient`
/// for `need`: otherwise `NotFound` (`ProxyScopeDenied` for a caregiver whose grant on the
/// chart lacks the scope; `BreakGlassRequired` for staff outside a restricted chart's care
/// team without a break-glass access in force).
pub async fn open(
    tx: &TenantTx,
    viewer: &Viewer,
    actor: &Actor,
    patient: Uuid,
    need: Need,
) -> CoreResult<Actor> {
    if viewer.role != Role::Patient {
        // The chart must exist in this practice: an unknown one is `NotFound`, not empty.
        let opened =
            chart_access::open(tx, viewer, PatientId::from_uuid(patient), Purpose::Read).await?;
        return Ok(actor.clone().with_break_glass(opened.break_glass));
    }
    let (scopes, needed): (&[&str], &'static str) = match need {
        Need::See => (&["read", "book"], "read"),
        Need::Book => (&["book"], "book"),
    };
    if appointments::patient_may(tx, viewer.user_id, patient, scopes).await? {
        return Ok(actor.clone());
    }
    // A caregiver whose grant lacks the scope hears so; anyone else, `NotFound`.
    Err(crate::proxies::refusal(tx, viewer.user_id, patient, needed).await?)
}
