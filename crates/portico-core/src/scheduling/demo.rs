//! The demo practice's calendar: two providers at one clinic, a handful of appointment
//! types, weekday hours, a yearly wellness-visit recall, and a follow-up booked for the demo
//! patient.

use chrono::{Duration, Utc};

use crate::{
    CoreResult, PatientId, TenantTx,
    audit::Actor,
    entities::tenant,
    scheduling::{
        appointments::{self, Booking, Channel, PracticeClock},
        availability::{self, WindowInput},
        catalog::{self, LocationFields, ProviderFields, TypeFields},
        recalls::{self, RuleFields},
        search::{self, Audience, SlotQuery},
    },
};

fn hours(from: i32, to: i32) -> (i32, i32) {
    (from * 60, to * 60)
}

pub async fn load(
    tx: &TenantTx,
    actor: &Actor,
    practice: &tenant::Model,
    patient: Option<PatientId>,
) -> CoreResult<()> {
    let clinic = catalog::create_location(
        tx,
        LocationFields {
            name: "Lakeside Clinic".to_owned(),
            address: Some("200 Shore Drive, Madison, WI".to_owned()),
            active: true,
        },
    )
    .await?;
    let chen = catalog::create_provider(
        tx,
        ProviderFields {
            display_name: "Dr. Maya Chen".to_owned(),
            specialty: Some("Family medicine".to_owned()),
            user_id: None,
            active: true,
        },
    )
    .await?;
    let ortega = catalog::create_provider(
        tx,
        ProviderFields {
            display_name: "Dr. Luis Ortega".to_owned(),
            specialty: Some("Internal medicine".to_owned()),
            user_id: None,
            active: true,
        },
    )
    .await?;
    let mut follow_up = None;
    let mut wellness = None;
    for (name, minutes, mode, online, eligibility) in [
        (
            "Annual wellness visit",
            40,
            "in_person",
            true,
            "established",
        ),
        ("New patient visit", 60, "in_person", true, "new"),
        ("Follow-up", 20, "in_person", true, "any"),
        ("Video visit", 20, "video", true, "any"),
        ("Minor procedure", 60, "in_person", false, "any"),
    ] {
        let created = catalog::create_type(
            tx,
            TypeFields {
                name: name.to_owned(),
                duration_minutes: minutes,
                mode: mode.to_owned(),
                bookable_online: online,
                eligibility: eligibility.to_owned(),
                buffer_after_minutes: if mode == "in_person" { 5 } else { 0 },
                ..TypeFields::default()
            },
        )
        .await?;
        match name {
            "Follow-up" => follow_up = Some(created.id),
            "Annual wellness visit" => wellness = Some(created.id),
            _ => {}
        }
    }
    let (morning, afternoon) = (hours(8, 12), hours(13, 17));
    let chen_week: Vec<WindowInput> = (1..=5)
        .flat_map(|day| {
            [morning, afternoon].map(|(start_minute, end_minute)| WindowInput {
                weekday: day,
                start_minute,
                end_minute,
            })
        })
        .collect();
    availability::set_weekly(tx, chen.id, clinic.id, &chen_week).await?;
    let (start_minute, end_minute) = hours(9, 13);
    let ortega_week: Vec<WindowInput> = (2..=6)
        .map(|weekday| WindowInput {
            weekday,
            start_minute,
            end_minute,
        })
        .collect();
    availability::set_weekly(tx, ortega.id, clinic.id, &ortega_week).await?;

    if let Some(kind) = wellness {
        recalls::create_rule(
            tx,
            actor,
            RuleFields {
                name: "Annual wellness visit".to_owned(),
                appointment_type_id: kind,
                interval_months: 12,
                min_age: 18,
                max_age: None,
                sex: None,
                active: true,
            },
        )
        .await?;
    }

    let (Some(patient), Some(kind)) = (patient, follow_up) else {
        return Ok(());
    };
    let clock = PracticeClock::of(practice, Utc::now());
    let week_out = (Utc::now() + Duration::days(7))
        .with_timezone(&clock.tz)
        .date_naive();
    let offers = search::available(
        tx,
        clock.tz,
        SlotQuery {
            appointment_type_id: kind,
            provider_id: Some(chen.id),
            location_id: Some(clinic.id),
            from: week_out,
            to: week_out + Duration::days(7),
        },
        Audience::Staff,
        clock.now,
    )
    .await?;
    if let Some(offer) = offers.first() {
        appointments::book(
            tx,
            actor,
            clock,
            Booking {
                patient_id: patient,
                appointment_type_id: kind,
                provider_id: offer.provider_id,
                location_id: offer.location_id,
                start: offer.start,
                channel: Channel::Staff,
                booked_by: None,
            },
        )
        .await?;
    }
    Ok(())
}
