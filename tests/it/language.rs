//! What patients receive follows their preferred language: a chart whose
//! `preferredLanguage` is Spanish (`es`, `es-MX`, ...) gets Spanish notices, activation and
//! password-reset emails; any other language, or none, English. The patient sets it
//! themself with `updateContactDetails`, which accepts only a well-formed BCP 47 tag.

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, spawn_app, wait_until};
use serde_json::{Value, json};

use crate::support::{
    gid,
    messaging::{clinic, post, start, thread_id},
};

const UPDATE: &str = "mutation($input: UpdateContactDetailsInput!) {
    updateContactDetails(input: $input) {
        patient { preferredLanguage } userErrors { field code } } }";

async fn set_language(app: &TestApp, who: &Signed, chart: uuid::Uuid, tag: &str) -> Value {
    let (_, body) = app
        .gql_as(
            &who.slug,
            &who.access,
            UPDATE,
            json!({ "input": { "patientId": gid("Patient", chart), "preferredLanguage": tag } }),
        )
        .await;
    body["data"]["updateContactDetails"].clone()
}

#[tokio::test]
async fn a_patient_who_prefers_spanish_is_told_of_a_reply_in_spanish() {
    let app = spawn_app().await;
    let c = clinic(&app, "lang-clinic").await;
    let (ana, ana_chart) = app.add_user("lang-clinic", Role::Patient).await;
    let (ben, ben_chart) = app.add_user("lang-clinic", Role::Patient).await;
    let (ana_chart, ben_chart) = (ana_chart.unwrap(), ben_chart.unwrap());

    // The patient sets it themself; a malformed tag is refused and changes nothing.
    let refused = set_language(&app, &ana, ana_chart, "español").await;
    assert_eq!(
        refused["userErrors"][0]["code"], "INVALID_LANGUAGE",
        "{refused}"
    );
    assert_eq!(refused["userErrors"][0]["field"], "preferredLanguage");
    let set = set_language(&app, &ana, ana_chart, "es-MX").await;
    assert_eq!(set["patient"]["preferredLanguage"], "es-MX", "{set}");
    let set = set_language(&app, &ben, ben_chart, "en-US").await;
    assert_eq!(set["patient"]["preferredLanguage"], "en-US", "{set}");

    for (who, chart) in [(&ana, ana_chart), (&ben, ben_chart)] {
        let id = thread_id(&start(&app, who, chart, &c.pool, "About my visit").await);
        let posted = post(&app, &c.nurse, &id, "We have your results", false).await;
        assert!(
            posted["data"]["postMessage"]["message"].is_object(),
            "{posted}"
        );
    }

    let spanish = app.wait_for_email_to(&ana.email).await;
    assert!(
        spanish.contains("Subject: Un mensaje nuevo de"),
        "{spanish}"
    );
    assert!(
        spanish.contains("Tiene un mensaje nuevo de su equipo de atención"),
        "{spanish}"
    );
    assert!(spanish.contains("<html lang=\"es\">"), "{spanish}");
    assert!(spanish.contains("Inicie sesión en el portal"), "{spanish}");
    assert!(!spanish.contains("A new message"), "{spanish}");
    assert!(!spanish.contains("results"), "{spanish}");

    let english = app.wait_for_email_to(&ben.email).await;
    assert!(english.contains("Subject: A new message from"), "{english}");
    assert!(english.contains("<html lang=\"en\">"), "{english}");
    assert!(!english.contains("Tiene un mensaje"), "{english}");

    // The password-reset email too.
    let asked = app
        .gql(
            Some("lang-clinic"),
            "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { accepted } }",
            json!({ "e": ana.email }),
        )
        .await;
    assert_eq!(
        asked["data"]["requestPasswordReset"]["accepted"], true,
        "{asked}"
    );
    let reset = wait_for_email_with(&app, &ana.email, "Subject: Cambie su contraseña").await;
    assert!(reset.contains("Elija una nueva en los próximos"), "{reset}");
    assert!(reset.contains("/reset-password#token="), "{reset}");
}

#[tokio::test]
async fn the_activation_email_follows_the_charts_language() {
    let app = spawn_app().await;
    let admin = app.practice_admin("lang-enrol").await;
    for (email, tag, subject) in [
        (
            "rosa@example.org",
            Some("es"),
            "Subject: Su portal para pacientes de",
        ),
        ("ruth@example.org", Some("de"), "Subject: Your "),
        ("rita@example.org", None, "Subject: Your "),
    ] {
        let (_, created) = app
            .gql_as(
                "lang-enrol",
                &admin.access,
                "mutation($email: String) { createPatient(input: { givenName: \"Rosa\",
                    familyName: \"Diaz\", birthDate: \"1975-09-30\", gender: \"female\",
                    email: $email }) { patient { id } } }",
                json!({ "email": email }),
            )
            .await;
        let chart = created["data"]["createPatient"]["patient"]["id"].clone();
        if let Some(tag) = tag {
            let (_, updated) = app
                .gql_as(
                    "lang-enrol",
                    &admin.access,
                    UPDATE,
                    json!({ "input": { "patientId": chart, "preferredLanguage": tag } }),
                )
                .await;
            assert_eq!(
                updated["data"]["updateContactDetails"]["patient"]["preferredLanguage"], tag,
                "{updated}"
            );
        }
        let (_, issued) = app
            .gql_as(
                "lang-enrol",
                &admin.access,
                "mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) { code } }",
                json!({ "id": chart }),
            )
            .await;
        let code = issued["data"]["issueActivationCode"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{issued}"));
        let mail = app.wait_for_email_to(email).await;
        assert!(mail.contains(subject), "{email}: {mail}");
        assert!(mail.contains(code), "{mail}");
        if tag == Some("es") {
            assert!(mail.contains("junto con su fecha de nacimiento"), "{mail}");
        } else {
            assert!(mail.contains("with your date of birth"), "{mail}");
        }
    }
}

/// The newest email to `address` that contains `text`, waiting for it.
async fn wait_for_email_with(app: &TestApp, address: &str, text: &str) -> String {
    wait_until(
        &format!("an email to {address} with {text:?}"),
        std::time::Duration::from_secs(30),
        async || app.last_email_to(address).filter(|m| m.contains(text)),
    )
    .await
}
