//! The demo practice's education library: resources about the demo patient's blood pressure,
//! cholesterol and statin, in English and (for blood pressure) Spanish, so the portal shows
//! "Learn more" beside her records.

use chrono::Utc;
use uuid::Uuid;

use super::{ARTICLE, LINK, library};
use crate::{CoreResult, TenantTx, audit::Actor};

fn codes(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(s, c)| ((*s).to_owned(), (*c).to_owned()))
        .collect()
}

/// Adds the demo resources as `admin`.
pub async fn load(tx: &TenantTx, actor: &Actor, admin: Uuid) -> CoreResult<()> {
    let drafts = [
        library::Draft {
            title: "Understanding high blood pressure".to_owned(),
            summary: "What the two numbers mean, and everyday steps that bring them down."
                .to_owned(),
            kind: ARTICLE.to_owned(),
            url: None,
            body: Some(
                "## What the numbers mean\n\nThe first number is the pressure while your heart \
                 beats; the second, while it rests between beats.\n\n## What helps\n\n\
                 - Take your medicine at the same time each day\n- Cut down on salt\n\
                 - Walk for **30 minutes** most days\n\nCall us if you feel dizzy or have a \
                 bad headache."
                    .to_owned(),
            ),
            language: "en".to_owned(),
            general: false,
            codes: codes(&[("icd10", "I10"), ("snomed", "38341003")]),
        },
        library::Draft {
            title: "Cómo entender la presión arterial alta".to_owned(),
            summary: "Qué significan los dos números y pasos diarios que ayudan a bajarlos."
                .to_owned(),
            kind: ARTICLE.to_owned(),
            url: None,
            body: Some(
                "## Qué significan los números\n\nEl primer número es la presión cuando el \
                 corazón late; el segundo, cuando descansa entre latidos.\n\n## Qué ayuda\n\n\
                 - Tome su medicamento a la misma hora cada día\n- Coma con menos sal\n\
                 - Camine **30 minutos** casi todos los días"
                    .to_owned(),
            ),
            language: "es".to_owned(),
            general: false,
            codes: codes(&[("icd10", "I10"), ("snomed", "38341003")]),
        },
        library::Draft {
            title: "Your cholesterol numbers".to_owned(),
            summary: "LDL, HDL and what your goal means.".to_owned(),
            kind: LINK.to_owned(),
            url: Some("https://medlineplus.gov/ldlthebadcholesterol.html".to_owned()),
            body: None,
            language: "en".to_owned(),
            general: false,
            codes: codes(&[("loinc", "18262-6"), ("loinc", "2085-9"), ("icd10", "E78")]),
        },
        library::Draft {
            title: "Taking a statin".to_owned(),
            summary: "How atorvastatin works, when to take it and side effects to report."
                .to_owned(),
            kind: LINK.to_owned(),
            url: Some("https://medlineplus.gov/druginfo/meds/a600045.html".to_owned()),
            body: None,
            language: "en".to_owned(),
            general: false,
            codes: codes(&[("rxnorm", "617310")]),
        },
    ];
    for draft in &drafts {
        library::save(tx, actor, admin, None, draft, Utc::now()).await?;
    }
    Ok(())
}
