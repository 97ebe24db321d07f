//! Patient enrolment by activation code, TOTP recovery codes and password reset.

use portico_tests::{error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{token_in, user_error};

const CREATE: &str = "mutation($email: String) { createPatient(input: { givenName: \"Rosa\",
    familyName: \"Diaz\", birthDate: \"1975-09-30\", gender: \"female\", email: $email }) {
    patient { id } } }";
const ISSUE: &str = "mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) {
    code expiresAt userErrors { code } } }";
const ACTIVATE: &str = "mutation($code: String!, $dob: Date!, $email: String!, $password: String!) {
    activatePatientAccount(input: { code: $code, birthDate: $dob, email: $email, password: $password }) {
        session { accessToken mfaEnrolmentRequired } userErrors { field code } } }";

fn activate_vars(code: &str, dob: &str, email: &str) -> Value {
    json!({ "code": code, "dob": dob, "email": email, "password": "saffron window meadow" })
}

#[tokio::test]
async fn a_patient_activates_with_the_code_and_date_of_birth_once() {
    let app = spawn_app().await;
    let admin = app.practice_admin("fern").await;
    let (_, created) = app
        .gql_as(
            "fern",
            &admin.access,
            CREATE,
            json!({ "email": "rosa@example.org" }),
        )
        .await;
    let chart = created["data"]["createPatient"]["patient"]["id"].clone();
    let (_, issued) = app
        .gql_as("fern", &admin.access, ISSUE, json!({ "id": chart }))
        .await;
    let code = issued["data"]["issueActivationCode"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_owned();
    let email = app
        .last_email_to("rosa@example.org")
        .expect("the code is emailed");
    assert!(
        email.contains(&code) && !email.contains("1975"),
        "no PHI in the email: {email}"
    );

    // A wrong date of birth and an unknown code look the same.
    let (_, wrong_dob) = app
        .gql_status(
            Some("fern"),
            ACTIVATE,
            activate_vars(&code, "1975-09-29", "rosa@example.org"),
        )
        .await;
    let (_, wrong_code) = app
        .gql_status(
            Some("fern"),
            ACTIVATE,
            activate_vars("AAAAA-BBBBB", "1975-09-30", "rosa@example.org"),
        )
        .await;
    assert_eq!(
        user_error(&wrong_dob, "activatePatientAccount"),
        Some("ACTIVATION_INVALID")
    );
    assert_eq!(
        user_error(&wrong_code, "activatePatientAccount"),
        Some("ACTIVATION_INVALID")
    );

    let (_, bad_email) = app
        .gql_status(
            Some("fern"),
            ACTIVATE,
            activate_vars(&code, "1975-09-30", "rosa-at-example"),
        )
        .await;
    assert_eq!(
        user_error(&bad_email, "activatePatientAccount"),
        Some("INVALID_EMAIL"),
        "{bad_email}"
    );

    let typed = code.to_lowercase().replace('-', " ");
    let (_, ok) = app
        .gql_status(
            Some("fern"),
            ACTIVATE,
            activate_vars(&typed, "1975-09-30", "rosa@example.org"),
        )
        .await;
    let session = &ok["data"]["activatePatientAccount"]["session"];
    assert_eq!(
        session["mfaEnrolmentRequired"], false,
        "TOTP is offered, not required: {ok}"
    );
    let token = session["accessToken"].as_str().unwrap();
    let (_, own) = app
        .gql_as(
            "fern",
            token,
            &format!("{{ patient(id: {chart}) {{ givenName }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(own["data"]["patient"]["givenName"], "Rosa", "{own}");

    let (_, again) = app
        .gql_status(
            Some("fern"),
            ACTIVATE,
            activate_vars(&code, "1975-09-30", "other@example.org"),
        )
        .await;
    assert_eq!(
        user_error(&again, "activatePatientAccount"),
        Some("ACTIVATION_INVALID")
    );
    let (_, reissue) = app
        .gql_as("fern", &admin.access, ISSUE, json!({ "id": chart }))
        .await;
    assert_eq!(
        reissue["data"]["issueActivationCode"]["userErrors"][0]["code"],
        "ALREADY_ACTIVATED"
    );
}

#[tokio::test]
async fn a_code_dies_after_repeated_wrong_dates_of_birth() {
    let app = spawn_app().await;
    let admin = app.practice_admin("moss").await;
    let (_, created) = app.gql_as("moss", &admin.access, CREATE, json!({})).await;
    let chart = created["data"]["createPatient"]["patient"]["id"].clone();
    let (_, issued) = app
        .gql_as("moss", &admin.access, ISSUE, json!({ "id": chart }))
        .await;
    let code = issued["data"]["issueActivationCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        app.gql_status(
            Some("moss"),
            ACTIVATE,
            activate_vars(&code, "2000-01-01", "r@example.org"),
        )
        .await;
    }
    let (_, right) = app
        .gql_status(
            Some("moss"),
            ACTIVATE,
            activate_vars(&code, "1975-09-30", "r@example.org"),
        )
        .await;
    assert_eq!(
        user_error(&right, "activatePatientAccount"),
        Some("ACTIVATION_INVALID"),
        "{right}"
    );
}

#[tokio::test]
async fn recovery_codes_stand_in_for_the_app_once_each() {
    let app = spawn_app().await;
    let signed = app.sign_up("lichen").await;
    let (_, begun) = app
        .gql_as(
            "lichen",
            &signed.access,
            "mutation { beginTotpEnrolment { enrolment { secret } } }",
            json!({}),
        )
        .await;
    let secret = begun["data"]["beginTotpEnrolment"]["enrolment"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = portico_auth::totp::current(&secret).unwrap();
    let (_, confirmed) = app
        .gql_as(
            "lichen",
            &signed.access,
            "mutation($c: String!) { confirmTotpEnrolment(input: { code: $c }) { recoveryCodes } }",
            json!({ "c": code }),
        )
        .await;
    let codes: Vec<String> = confirmed["data"]["confirmTotpEnrolment"]["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{confirmed}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);

    let sign_in = |recovery: String| {
        let app = &app;
        let signed = &signed;
        async move {
            let (_, body) = app
                .gql_status(
                    Some("lichen"),
                    portico_tests::SIGN_IN,
                    json!({ "input": { "email": signed.email, "password": signed.password, "recoveryCode": recovery } }),
                )
                .await;
            body
        }
    };
    let ok = sign_in(codes[0].clone()).await;
    assert!(ok["data"]["signIn"]["session"].is_object(), "{ok}");
    let reused = sign_in(codes[0].clone()).await;
    assert_eq!(error_code(&reused), Some("INVALID_CREDENTIALS"));
    let other = sign_in(codes[1].to_lowercase()).await;
    assert!(other["data"]["signIn"]["session"].is_object(), "{other}");
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_every_session() {
    let app = spawn_app().await;
    let admin = app.sign_up("sedge").await;
    let request =
        "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { accepted } }";
    let (_, unknown) = app
        .gql_status(
            Some("sedge"),
            request,
            json!({ "e": "nobody@sedge.example.com" }),
        )
        .await;
    assert_eq!(unknown["data"]["requestPasswordReset"]["accepted"], true);
    assert!(
        app.outbox().is_empty(),
        "nothing is sent for an unknown address"
    );

    let (_, known) = app
        .gql_status(Some("sedge"), request, json!({ "e": admin.email }))
        .await;
    assert_eq!(known["data"]["requestPasswordReset"]["accepted"], true);
    let email = app.wait_for_email_to(&admin.email).await;
    assert_eq!(app.outbox().len(), 1, "only the known address got an email");
    let token = token_in(&email);
    let reset =
        "mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, password: $p }) {
        reset userErrors { code } } }";
    let (_, weak) = app
        .gql_status(
            Some("sedge"),
            reset,
            json!({ "t": token, "p": "password1234" }),
        )
        .await;
    assert_eq!(
        weak["data"]["resetPassword"]["userErrors"][0]["code"],
        "PASSWORD_TOO_COMMON"
    );
    let (_, done) = app
        .gql_status(
            Some("sedge"),
            reset,
            json!({ "t": token, "p": "quiet harbour sextant" }),
        )
        .await;
    assert_eq!(done["data"]["resetPassword"]["reset"], true, "{done}");
    let (status, _) = app
        .gql_as("sedge", &admin.access, "{ me { role } }", json!({}))
        .await;
    assert_eq!(status, 401, "the old session ended");
    let (_, again) = app
        .gql_status(
            Some("sedge"),
            reset,
            json!({ "t": token, "p": "another fine phrase" }),
        )
        .await;
    assert_eq!(
        again["data"]["resetPassword"]["userErrors"][0]["code"],
        "RESET_USED"
    );
    let old = app
        .sign_in("sedge", &admin.email, &admin.password, None)
        .await;
    assert_eq!(error_code(&old), Some("INVALID_CREDENTIALS"));
    let new = app
        .sign_in("sedge", &admin.email, "quiet harbour sextant", None)
        .await;
    assert!(new["data"]["signIn"]["session"].is_object(), "{new}");
}
