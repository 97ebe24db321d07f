//! How a patient wants to hear from the practice: email, text messages or both, or nothing
//! at all (opt-out), and the time zone their quiet hours follow. The patient sets them in
//! the portal; staff can set them for a patient who asks by phone. Proxies cannot.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::{OpenChart, Relationship},
    entities::patient,
    records, tenants,
};

/// A change: `None` leaves a setting as it is. `time_zone: Some("")` goes back to the
/// practice's zone.
#[derive(Clone, Debug, Default)]
pub struct PreferencesUpdate {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub opted_out: Option<bool>,
    pub time_zone: Option<String>,
}

/// A number a text message can go to: E.164 once spaces, dashes, dots and brackets are gone.
pub fn mobile_number(phone: &str) -> Option<String> {
    let compact: String = phone.chars().filter(|c| !" -.()".contains(*c)).collect();
    let digits = compact.strip_prefix('+')?;
    ((8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0'))
    .then_some(compact)
}

pub async fn update(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    update: PreferencesUpdate,
) -> CoreResult<patient::Model> {
    if chart.relationship == Relationship::Proxy {
        return Err(CoreError::NotFound);
    }
    let current = &chart.chart;
    if update.sms == Some(true) && current.phone.as_deref().and_then(mobile_number).is_none() {
        return Err(CoreError::invalid(
            "sms",
            "NO_MOBILE_NUMBER",
            "add a mobile number in international form (+15551234567) to the contact details first",
        ));
    }
    let time_zone = match update.time_zone.as_deref().map(str::trim) {
        None => current.time_zone.clone(),
        Some("") => None,
        Some(zone) => {
            tenants::validate_time_zone(zone).map_err(|e| e.on_field("timeZone"))?;
            Some(zone.to_owned())
        }
    };
    let now = Utc::now();
    let email = update.email.unwrap_or(current.notify_email);
    let sms = update.sms.unwrap_or(current.notify_sms);
    let opted_out_at = match update.opted_out {
        None => current.notifications_opted_out_at,
        Some(true) => current.notifications_opted_out_at.or(Some(now)),
        Some(false) => None,
    };
    if email == current.notify_email
        && sms == current.notify_sms
        && opted_out_at == current.notifications_opted_out_at
        && time_zone == current.time_zone
    {
        return Err(CoreError::invalid(
            "input",
            "NO_CHANGES",
            "nothing to change",
        ));
    }
    let mut active: patient::ActiveModel = current.clone().into();
    active.notify_email = Set(email);
    active.notify_sms = Set(sms);
    active.notifications_opted_out_at = Set(opted_out_at);
    active.time_zone = Set(time_zone);
    active.updated_at = Set(now);
    let updated = active.update(tx.conn()).await?;
    records::audit(
        tx,
        actor,
        chart,
        "patient.notification_preferences",
        "Patient",
        Some(updated.id),
    )
    .await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::mobile_number;

    #[test]
    fn mobile_numbers_are_international() {
        assert_eq!(
            mobile_number("+1 (555) 010-4477").as_deref(),
            Some("+15550104477")
        );
        assert_eq!(
            mobile_number("+44 7700 900123").as_deref(),
            Some("+447700900123")
        );
        assert_eq!(mobile_number("555-010-4477"), None);
        assert_eq!(mobile_number("+0123456789"), None);
        assert_eq!(mobile_number("+1555"), None);
        assert_eq!(mobile_number("+1555x0104477"), None);
    }
}
