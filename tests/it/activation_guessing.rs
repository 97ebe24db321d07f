//! Guessing activation codes: every refusal looks the same, and guessing is throttled by
//! client address and by practice (`RATE_LIMITED` with `retryAfter`).

use std::net::IpAddr;

use portico_tests::{TestApp, error_code, spawn_app_with};
use serde_json::{Value, json};

const CREATE: &str =
    "mutation { createPatient(input: { givenName: \"Noor\", familyName: \"Haddad\",
    birthDate: \"1980-02-14\", gender: \"female\" }) { patient { id } } }";
const ISSUE: &str =
    "mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) { code } }";
const ACTIVATE: &str = "mutation($code: String!, $email: String!) {
    activatePatientAccount(input: { code: $code, birthDate: \"1980-02-14\", email: $email,
        password: \"saffron window meadow\" }) {
        session { accessToken } userErrors { field code message } } }";

/// Sends one activation attempt to `slug` from the loopback address `from` (127.0.0.x).
async fn attempt(app: &TestApp, from: &str, slug: &str, code: &str, email: &str) -> Value {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().ok())
        .build()
        .unwrap();
    send(client.post(app.url("/graphql")), slug, code, email).await
}

/// Sends an activation attempt on `request` (its client and headers chosen by the caller).
async fn send(request: reqwest::RequestBuilder, slug: &str, code: &str, email: &str) -> Value {
    request
        .header("X-Portico-Tenant", slug)
        .json(&json!({ "query": ACTIVATE, "variables": { "code": code, "email": email } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn refusal(body: &Value) -> (String, String) {
    let e = &body["data"]["activatePatientAccount"]["userErrors"][0];
    (
        e["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned(),
        e["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn assert_rate_limited(body: &Value) {
    assert_eq!(error_code(body), Some("RATE_LIMITED"), "{body}");
    let retry = body["errors"][0]["extensions"]["retryAfter"].as_u64();
    assert!(retry.is_some_and(|s| s > 0), "{body}");
    assert!(body["data"].is_null(), "{body}");
}

/// A practice with a chart and a fresh activation code for it.
async fn practice_with_code(app: &TestApp, slug: &str) -> String {
    let admin = app.practice_admin(slug).await;
    let (_, created) = app.gql_as(slug, &admin.access, CREATE, json!({})).await;
    let chart = created["data"]["createPatient"]["patient"]["id"].clone();
    let (_, issued) = app
        .gql_as(slug, &admin.access, ISSUE, json!({ "id": chart }))
        .await;
    issued["data"]["issueActivationCode"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_owned()
}

#[tokio::test]
async fn a_used_code_and_an_unknown_code_get_the_same_answer_and_one_address_is_throttled() {
    let app = spawn_app_with(|c| {
        c.auth.activation_failures_per_address = 5;
        c.auth.activation_failures_per_practice = 1000;
    })
    .await;
    let code = practice_with_code(&app, "cedar").await;
    let first = attempt(&app, "127.0.0.1", "cedar", &code, "noor@example.org").await;
    assert!(
        first["data"]["activatePatientAccount"]["session"]["accessToken"].is_string(),
        "{first}"
    );

    let used = attempt(&app, "127.0.0.1", "cedar", &code, "other@example.org").await;
    let unknown = attempt(&app, "127.0.0.1", "cedar", "ZZZZZ-ZZZZZ", "x@example.org").await;
    assert_eq!(refusal(&used), refusal(&unknown));
    assert_eq!(refusal(&used).0, "ACTIVATION_INVALID");

    // Three more guesses reach the limit of five refusals; the sixth attempt is refused
    // before the code is looked at.
    for guess in ["AAAAA-AAAAA", "BBBBB-BBBBB", "CCCCC-CCCCC"] {
        let body = attempt(&app, "127.0.0.1", "cedar", guess, "x@example.org").await;
        assert_eq!(refusal(&body).0, "ACTIVATION_INVALID", "{body}");
    }
    let second_code = practice_with_code(&app, "birch").await;
    let locked = attempt(&app, "127.0.0.1", "birch", &second_code, "b@example.org").await;
    assert_rate_limited(&locked);

    // The locked attempt changed nothing: the code still works from another address.
    let elsewhere = attempt(&app, "127.0.0.2", "birch", &second_code, "b@example.org").await;
    assert!(
        elsewhere["data"]["activatePatientAccount"]["session"]["accessToken"].is_string(),
        "{elsewhere}"
    );
}

#[tokio::test]
async fn guessing_one_practices_codes_from_many_addresses_is_throttled_for_that_practice() {
    let app = spawn_app_with(|c| {
        c.auth.activation_failures_per_address = 1000;
        c.auth.activation_failures_per_practice = 4;
    })
    .await;
    let code = practice_with_code(&app, "aspen").await;
    let other_code = practice_with_code(&app, "alder").await;
    for (n, from) in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
        .into_iter()
        .enumerate()
    {
        let guess = format!("DDDDD-DDDD{n}");
        let body = attempt(&app, from, "aspen", &guess, "x@example.org").await;
        assert_eq!(refusal(&body).0, "ACTIVATION_INVALID", "{body}");
    }
    // A fifth address, even with the genuine code, waits.
    let locked = attempt(&app, "127.0.0.6", "aspen", &code, "a@example.org").await;
    assert_rate_limited(&locked);
    // Another practice is not affected.
    let other = attempt(&app, "127.0.0.6", "alder", &other_code, "a@example.org").await;
    assert!(
        other["data"]["activatePatientAccount"]["session"]["accessToken"].is_string(),
        "{other}"
    );
}

/// One activation attempt through a load balancer at 127.0.0.1 that says the client is
/// `client` (`X-Forwarded-For`, with an entry the client itself wrote in front).
async fn attempt_via_proxy(app: &TestApp, client: &str, slug: &str) -> Value {
    let request = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("X-Forwarded-For", format!("192.0.2.1, {client}"));
    send(request, slug, "ZZZZZ-ZZZZZ", "guess@example.org").await
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own() {
    let app = spawn_app_with(|c| {
        c.auth.activation_failures_per_address = 3;
        c.auth.activation_failures_per_practice = 1000;
        c.http.trusted_proxies = "127.0.0.0/8".to_owned();
    })
    .await;
    practice_with_code(&app, "alder").await;
    for _ in 0..3 {
        let body = attempt_via_proxy(&app, "203.0.113.7", "alder").await;
        assert_eq!(refusal(&body).0, "ACTIVATION_INVALID", "{body}");
    }
    assert_rate_limited(&attempt_via_proxy(&app, "203.0.113.7", "alder").await);
    // Another patient behind the same load balancer is not locked out with the first.
    let other = attempt_via_proxy(&app, "198.51.100.20", "alder").await;
    assert_eq!(refusal(&other).0, "ACTIVATION_INVALID", "{other}");
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_address_is_not_believed() {
    let app = spawn_app_with(|c| {
        c.auth.activation_failures_per_address = 3;
        c.auth.activation_failures_per_practice = 1000;
    })
    .await;
    practice_with_code(&app, "hazel").await;
    // Each guess claims another address; all come from 127.0.0.1, which is what counts.
    for i in 0..3 {
        let body = attempt_via_proxy(&app, &format!("203.0.113.{i}"), "hazel").await;
        assert_eq!(refusal(&body).0, "ACTIVATION_INVALID", "{body}");
    }
    assert_rate_limited(&attempt_via_proxy(&app, "203.0.113.99", "hazel").await);
}
