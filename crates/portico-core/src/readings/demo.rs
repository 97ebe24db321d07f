//! The demo practice's thresholds for home readings, so a reading beyond one shows the
//! practice's instruction in the portal and an alert in the console.

use uuid::Uuid;

use super::{
    Kind, Measure,
    thresholds::{self, ThresholdInput},
};
use crate::{CoreResult, TenantTx, audit::Actor};

pub async fn load(tx: &TenantTx, actor: &Actor, admin: Uuid, phone: &str) -> CoreResult<()> {
    let call_us = format!(
        "Call us today at {phone}. If you have chest pain, trouble breathing or weakness on \
         one side, call 911."
    );
    for (kind, measure, low, high) in [
        (
            Kind::BloodPressure,
            Measure::Systolic,
            Some(90.0),
            Some(160.0),
        ),
        (Kind::BloodPressure, Measure::Diastolic, None, Some(100.0)),
        (Kind::Glucose, Measure::Value, Some(70.0), Some(300.0)),
        (Kind::Spo2, Measure::Value, Some(92.0), None),
    ] {
        thresholds::set(
            tx,
            actor,
            admin,
            ThresholdInput {
                patient_id: None,
                kind,
                measure,
                low,
                high,
                instruction: call_us.clone(),
            },
        )
        .await?;
    }
    Ok(())
}
