//! The demo practice's care teams and one conversation, so the console's inbox and the
//! portal's messages have something to show.

use chrono::{Duration, Utc};

use super::{
    access::{Participant, Side},
    messages::{self, Draft},
    pools::{self, NewPool},
    threads::{self, NewThread, Recipient},
};
use crate::{CoreResult, TenantTx, audit::Actor};

pub async fn load(
    tx: &TenantTx,
    actor: &Actor,
    admin: uuid::Uuid,
    patient: Option<(uuid::Uuid, uuid::Uuid)>,
) -> CoreResult<()> {
    let mut nurse_line = None;
    for (name, kind) in [
        ("Front desk", "front_desk"),
        ("Nurse line", "nurse_line"),
        ("Billing", "billing"),
    ] {
        let pool = pools::create(
            tx,
            actor,
            NewPool {
                name: name.to_owned(),
                kind: kind.to_owned(),
                provider_id: None,
            },
        )
        .await?;
        pools::add_member(tx, actor, pool.id, admin).await?;
        if kind == "nurse_line" {
            nurse_line = Some(pool.id);
        }
    }
    let (Some((chart, user)), Some(pool)) = (patient, nurse_line) else {
        return Ok(());
    };
    let asked = Utc::now() - Duration::hours(3);
    let patient = Participant {
        user_id: user,
        side: Side::Patient,
        break_glass: None,
    };
    let (thread, _) = threads::start(
        tx,
        actor,
        &patient,
        NewThread {
            patient_id: chart,
            to: Recipient::Pool(pool),
            category: "medical_question".to_owned(),
            subject: "Timing of my blood pressure tablet".to_owned(),
            first: Draft {
                body: "Should I take lisinopril in the morning or at night?".to_owned(),
                ..Draft::default()
            },
        },
        asked,
    )
    .await?;
    let staff = Participant {
        user_id: admin,
        side: Side::Staff,
        break_glass: None,
    };
    messages::post(
        tx,
        actor,
        thread,
        &staff,
        Draft {
            body: "Patient asks about dosing time; nurse to reply.".to_owned(),
            internal: true,
            ..Draft::default()
        },
        asked + Duration::minutes(20),
    )
    .await?;
    Ok(())
}
