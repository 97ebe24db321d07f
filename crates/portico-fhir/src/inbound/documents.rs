//! Clinical notes: a DocumentReference with an inline plain-text note on an encounter becomes
//! that visit's summary. Scanned PDFs and notes behind URLs are not fetched.

use fhir_model::r4b::resources::DocumentReference;
use portico_core::ehr::model::{Inbound, ResourceKind};

use super::fields::{MALFORMED, MISSING, Refs, Reject, TEXT_MAX, UNSUPPORTED_STATUS, text};

pub fn document_status(status: &str) -> Option<&'static str> {
    Some(match status {
        "current" => "current",
        // A newer note replaced it; the chart leaves it alone.
        "superseded" => "superseded",
        "entered-in-error" => "entered-in-error",
        _ => return None,
    })
}

fn is_text(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    mime.eq_ignore_ascii_case("text/plain") || mime.eq_ignore_ascii_case("text/markdown")
}

pub fn visit_summary(document: &DocumentReference, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = document_status(document.status.as_ref()).ok_or(UNSUPPORTED_STATUS)?;
    let patient = refs.required(document.subject.as_ref(), ResourceKind::Patient)?;
    let encounter = document
        .context
        .as_ref()
        .and_then(|c| c.encounter.iter().flatten().next());
    let encounter = refs.required(encounter, ResourceKind::Encounter)?;
    let data = document
        .content
        .iter()
        .flatten()
        .map(|c| &c.attachment)
        .find(|a| a.content_type.as_deref().is_some_and(is_text) && a.data.is_some())
        .and_then(|a| a.data.as_ref())
        .ok_or(MISSING)?;
    // fhir-model has already decoded the base64; the bytes must be UTF-8 text.
    let note = std::str::from_utf8(&data.0)
        .map_err(|_| MALFORMED)?
        .to_owned();
    let text = text(Some(&note), TEXT_MAX)?.ok_or(MISSING)?;
    Ok(Inbound::VisitSummary {
        patient,
        encounter,
        status: status.to_owned(),
        text,
    })
}
