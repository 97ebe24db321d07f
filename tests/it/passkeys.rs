//! Passkeys: registering several per account, listing and removing them, and signing in with
//! one alone (cookie mode too), with single-use, expiring challenges held server-side, the
//! relying party taken only from an allowed `Origin`, and no passkey crossing practices,
//! hosts or accounts. The authenticator is a software one (`portico_tests::soft_passkey`).

use portico_core::identity::Role;
use portico_tests::{TestApp, error_code, soft_passkey::SoftPasskey, spawn_app};
use serde_json::{Value, json};

use crate::support::uuid_of;

/// Portico's public URL in tests: RP ID `localhost`.
const PUBLIC: &str = "http://localhost:8080";

const BEGIN_REGISTRATION: &str = "mutation { beginPasskeyRegistration {
    registrationId options userErrors { field code } } }";
const FINISH_REGISTRATION: &str = "mutation($input: FinishPasskeyRegistrationInput!) {
    finishPasskeyRegistration(input: $input) {
        passkey { id name createdAt lastUsedAt } userErrors { field code message } } }";
const BEGIN_SIGN_IN: &str =
    "mutation { beginPasskeySignIn { signInId options userErrors { field code } } }";
const FINISH_SIGN_IN: &str = "mutation($input: FinishPasskeySignInInput!) {
    finishPasskeySignIn(input: $input) {
        session { accessToken refreshToken } userErrors { field code } } }";
const MY_PASSKEYS: &str = "{ myPasskeys { id name createdAt lastUsedAt } }";

struct Answer {
    set_cookies: Vec<String>,
    body: Value,
}

/// One POST as a page at `origin` sends it.
async fn post(
    app: &TestApp,
    slug: &str,
    origin: Option<&str>,
    bearer: Option<&str>,
    cookie_mode: bool,
    query: &str,
    variables: Value,
) -> Answer {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", slug)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(origin) = origin {
        req = req.header("Origin", origin);
    }
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    if cookie_mode {
        req = req.header("X-Portico-Session", "cookie");
    }
    let res = req.send().await.unwrap();
    let set_cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    Answer {
        set_cookies,
        body: res.json().await.unwrap(),
    }
}

/// Registers a passkey named `name` for the holder of `access`, on a page at `origin`.
async fn register(
    app: &TestApp,
    slug: &str,
    access: &str,
    origin: &str,
    name: &str,
) -> (SoftPasskey, Value) {
    let begun = post(
        app,
        slug,
        Some(origin),
        Some(access),
        false,
        BEGIN_REGISTRATION,
        json!({}),
    )
    .await;
    let begun = &begun.body["data"]["beginPasskeyRegistration"];
    assert_eq!(begun["userErrors"], json!([]), "{begun}");
    let (passkey, credential) = SoftPasskey::create(&begun["options"], origin);
    let finished = post(
        app,
        slug,
        Some(origin),
        Some(access),
        false,
        FINISH_REGISTRATION,
        json!({ "input": {
            "registrationId": begun["registrationId"],
            "name": name,
            "credential": credential,
        }}),
    )
    .await;
    let finished = &finished.body["data"]["finishPasskeyRegistration"];
    assert_eq!(finished["userErrors"], json!([]), "{finished}");
    (passkey, finished["passkey"].clone())
}

/// Begins a passkey sign-in at `slug` from a page at `origin`; returns the id and options.
async fn begin_sign_in(app: &TestApp, slug: &str, origin: &str) -> (Value, Value) {
    let begun = post(
        app,
        slug,
        Some(origin),
        None,
        false,
        BEGIN_SIGN_IN,
        json!({}),
    )
    .await;
    let begun = &begun.body["data"]["beginPasskeySignIn"];
    assert_eq!(begun["userErrors"], json!([]), "{begun}");
    (begun["signInId"].clone(), begun["options"].clone())
}

async fn finish_sign_in(
    app: &TestApp,
    slug: &str,
    origin: &str,
    sign_in_id: &Value,
    credential: Value,
    cookie_mode: bool,
) -> Answer {
    post(
        app,
        slug,
        Some(origin),
        None,
        cookie_mode,
        FINISH_SIGN_IN,
        json!({ "input": { "signInId": sign_in_id, "credential": credential } }),
    )
    .await
}

/// A whole sign-in with `passkey` at `slug`; returns the payload.
async fn sign_in_with(app: &TestApp, slug: &str, origin: &str, passkey: &mut SoftPasskey) -> Value {
    let (id, options) = begin_sign_in(app, slug, origin).await;
    let credential = passkey.get(&options, origin);
    finish_sign_in(app, slug, origin, &id, credential, false)
        .await
        .body["data"]["finishPasskeySignIn"]
        .clone()
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn my_passkeys(app: &TestApp, slug: &str, access: &str) -> Vec<Value> {
    let (_, body) = app.gql_as(slug, access, MY_PASSKEYS, json!({})).await;
    body["data"]["myPasskeys"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

/// The uuid inside a global id (to backdate its row).
#[tokio::test]
async fn a_patient_registers_two_passkeys_and_signs_in_with_one_alone() {
    let app = spawn_app().await;
    let admin = app.enrol_totp(&app.sign_up("pk-clinic").await).await;
    let (patient, _) = app.add_user("pk-clinic", Role::Patient).await;

    // The options ask for a discoverable, user-verified passkey for RP ID `localhost`.
    let begun = post(
        &app,
        "pk-clinic",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        BEGIN_REGISTRATION,
        json!({}),
    )
    .await;
    let options = &begun.body["data"]["beginPasskeyRegistration"]["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost", "{}", begun.body);
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["requireResidentKey"],
        true
    );
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(options["user"]["name"], patient.email);

    let (mut phone, phone_row) =
        register(&app, "pk-clinic", &patient.access, PUBLIC, "  Phone ").await;
    let (_laptop, laptop_row) =
        register(&app, "pk-clinic", &patient.access, PUBLIC, "Laptop").await;
    assert_eq!(phone_row["name"], "Phone");
    assert_eq!(phone_row["lastUsedAt"], Value::Null);

    let listed = my_passkeys(&app, "pk-clinic", &patient.access).await;
    let names: Vec<&str> = listed.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Phone", "Laptop"]);

    // The second registration excluded the first credential.
    let begun = post(
        &app,
        "pk-clinic",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        BEGIN_REGISTRATION,
        json!({}),
    )
    .await;
    let excluded = begun.body["data"]["beginPasskeyRegistration"]["options"]["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(excluded, 2);

    // Signing in: no account named, the passkey alone.
    let (id, options) = begin_sign_in(&app, "pk-clinic", PUBLIC).await;
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        json!([]),
        "{options}"
    );
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    let credential = phone.get(&options, PUBLIC);
    let signed = finish_sign_in(&app, "pk-clinic", PUBLIC, &id, credential, false).await;
    let payload = &signed.body["data"]["finishPasskeySignIn"];
    assert_eq!(payload["userErrors"], json!([]), "{}", signed.body);
    let access = payload["session"]["accessToken"].as_str().unwrap();
    assert!(
        !payload["session"]["refreshToken"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let (_, me) = app
        .gql_as("pk-clinic", access, "{ me { email role } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], patient.email, "{me}");
    assert_eq!(me["data"]["me"]["role"], "patient");

    // Only the passkey used shows a last use.
    let listed = my_passkeys(&app, "pk-clinic", &patient.access).await;
    let phone_now = listed.iter().find(|p| p["id"] == phone_row["id"]).unwrap();
    let laptop_now = listed.iter().find(|p| p["id"] == laptop_row["id"]).unwrap();
    assert!(phone_now["lastUsedAt"].is_string(), "{phone_now}");
    assert_eq!(laptop_now["lastUsedAt"], Value::Null);

    // Its signature counter was stored, and the next sign-in (counter 2) works.
    let again = sign_in_with(&app, "pk-clinic", PUBLIC, &mut phone).await;
    assert!(again["session"]["accessToken"].is_string(), "{again}");

    // The audit log has the passkeys added and the sign-ins, in the patient's name.
    let (_, events) = app
        .gql_as(
            "pk-clinic",
            &admin.access,
            "{ auditEvents { action actorId } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"))
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "auth.passkey_added")
            .count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "auth.passkey_sign_in")
            .count(),
        2,
        "{actions:?}"
    );
}

#[tokio::test]
async fn passkey_sign_in_in_cookie_mode_puts_the_refresh_token_in_the_cookie() {
    let app = spawn_app().await;
    app.sign_up("pk-cookie").await;
    let (patient, _) = app.add_user("pk-cookie", Role::Patient).await;
    let (mut passkey, _) = register(&app, "pk-cookie", &patient.access, PUBLIC, "Phone").await;

    let (id, options) = begin_sign_in(&app, "pk-cookie", PUBLIC).await;
    let credential = passkey.get(&options, PUBLIC);
    let answer = finish_sign_in(&app, "pk-cookie", PUBLIC, &id, credential, true).await;
    let session = &answer.body["data"]["finishPasskeySignIn"]["session"];
    assert_eq!(session["refreshToken"], "", "{}", answer.body);
    let cookie = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("portico_refresh_pk-cookie="))
        .unwrap_or_else(|| panic!("no refresh cookie: {:?}", answer.set_cookies));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(value.starts_with("prt_"), "{cookie}");
}

#[tokio::test]
async fn a_removed_passkey_no_longer_signs_in() {
    let app = spawn_app().await;
    app.sign_up("pk-remove").await;
    let (patient, _) = app.add_user("pk-remove", Role::Patient).await;
    let (mut phone, phone_row) =
        register(&app, "pk-remove", &patient.access, PUBLIC, "Phone").await;
    let (mut laptop, _) = register(&app, "pk-remove", &patient.access, PUBLIC, "Laptop").await;

    let (_, removed) = app
        .gql_as(
            "pk-remove",
            &patient.access,
            "mutation($id: ID!) { removePasskey(input: { passkeyId: $id }) {
                removedPasskeyId userErrors { code } } }",
            json!({ "id": phone_row["id"] }),
        )
        .await;
    assert_eq!(
        removed["data"]["removePasskey"]["removedPasskeyId"], phone_row["id"],
        "{removed}"
    );
    let listed = my_passkeys(&app, "pk-remove", &patient.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "Laptop");

    let refused = sign_in_with(&app, "pk-remove", PUBLIC, &mut phone).await;
    assert_eq!(codes(&refused), ["PASSKEY_REJECTED"], "{refused}");
    assert_eq!(refused["session"], Value::Null);
    let kept = sign_in_with(&app, "pk-remove", PUBLIC, &mut laptop).await;
    assert!(kept["session"]["accessToken"].is_string(), "{kept}");

    // Removing it again: not found.
    let (_, again) = app
        .gql_as(
            "pk-remove",
            &patient.access,
            "mutation($id: ID!) { removePasskey(input: { passkeyId: $id }) { removedPasskeyId } }",
            json!({ "id": phone_row["id"] }),
        )
        .await;
    assert_eq!(error_code(&again), Some("NOT_FOUND"), "{again}");
}

#[tokio::test]
async fn a_challenge_answers_once_and_runs_out() {
    let app = spawn_app().await;
    app.sign_up("pk-once").await;
    let (patient, _) = app.add_user("pk-once", Role::Patient).await;
    let (mut passkey, _) = register(&app, "pk-once", &patient.access, PUBLIC, "Phone").await;

    // Used twice: the second answer is refused, even with a fresh signature.
    let (id, options) = begin_sign_in(&app, "pk-once", PUBLIC).await;
    let first = passkey.get(&options, PUBLIC);
    let ok = finish_sign_in(&app, "pk-once", PUBLIC, &id, first, false).await;
    assert!(
        ok.body["data"]["finishPasskeySignIn"]["session"].is_object(),
        "{}",
        ok.body
    );
    let second = passkey.get(&options, PUBLIC);
    let replay = finish_sign_in(&app, "pk-once", PUBLIC, &id, second, false).await;
    let replay = &replay.body["data"]["finishPasskeySignIn"];
    assert_eq!(codes(replay), ["CHALLENGE_EXPIRED"], "{replay}");
    assert_eq!(replay["session"], Value::Null);

    // Expired: five minutes have passed.
    let (id, options) = begin_sign_in(&app, "pk-once", PUBLIC).await;
    app.backdate(
        "passkey_challenges",
        "expires_at",
        uuid_of(id.as_str().unwrap()),
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await;
    let late = passkey.get(&options, PUBLIC);
    let late = finish_sign_in(&app, "pk-once", PUBLIC, &id, late, false).await;
    assert_eq!(
        codes(&late.body["data"]["finishPasskeySignIn"]),
        ["CHALLENGE_EXPIRED"],
        "{}",
        late.body
    );

    // A registration too; a missing name is refused first without spending it.
    let begun = post(
        &app,
        "pk-once",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        BEGIN_REGISTRATION,
        json!({}),
    )
    .await;
    let begun = &begun.body["data"]["beginPasskeyRegistration"];
    let (_, credential) = SoftPasskey::create(&begun["options"], PUBLIC);
    let finish = |name: &'static str| {
        json!({ "input": {
            "registrationId": begun["registrationId"],
            "name": name,
            "credential": credential,
        }})
    };
    let unnamed = post(
        &app,
        "pk-once",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        FINISH_REGISTRATION,
        finish("   "),
    )
    .await;
    assert_eq!(
        codes(&unnamed.body["data"]["finishPasskeyRegistration"]),
        ["NAME_REQUIRED"],
        "{}",
        unnamed.body
    );
    let named = post(
        &app,
        "pk-once",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        FINISH_REGISTRATION,
        finish("Tablet"),
    )
    .await;
    assert_eq!(
        named.body["data"]["finishPasskeyRegistration"]["passkey"]["name"], "Tablet",
        "{}",
        named.body
    );
    let twice = post(
        &app,
        "pk-once",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        FINISH_REGISTRATION,
        finish("Tablet"),
    )
    .await;
    assert_eq!(
        codes(&twice.body["data"]["finishPasskeyRegistration"]),
        ["CHALLENGE_EXPIRED"],
        "{}",
        twice.body
    );
    assert_eq!(my_passkeys(&app, "pk-once", &patient.access).await.len(), 2);
}

#[tokio::test]
async fn only_the_practices_own_origins_may_use_passkeys() {
    let app = spawn_app().await;
    app.sign_up("pk-origin").await;
    let (patient, _) = app.add_user("pk-origin", Role::Patient).await;

    for origin in [
        Some("http://evil.example"),
        Some("http://localhost:9999"),
        Some("http://other.localhost:8080"),
        Some("null"),
        None,
    ] {
        let begun = post(
            &app,
            "pk-origin",
            origin,
            Some(&patient.access),
            false,
            BEGIN_REGISTRATION,
            json!({}),
        )
        .await;
        let payload = &begun.body["data"]["beginPasskeyRegistration"];
        assert_eq!(
            codes(payload),
            ["ORIGIN_NOT_ALLOWED"],
            "{origin:?}: {}",
            begun.body
        );
        assert_eq!(payload["options"], Value::Null);
        let begun = post(
            &app,
            "pk-origin",
            origin,
            None,
            false,
            BEGIN_SIGN_IN,
            json!({}),
        )
        .await;
        assert_eq!(
            codes(&begun.body["data"]["beginPasskeySignIn"]),
            ["ORIGIN_NOT_ALLOWED"],
            "{origin:?}"
        );
    }

    // The practice's own host is a relying party of its own: RP ID `pk-origin.localhost`.
    let own = "http://pk-origin.localhost:8080";
    let (mut on_own_host, _) = register(&app, "pk-origin", &patient.access, own, "Own host").await;
    assert_eq!(on_own_host.rp_id, "pk-origin.localhost");
    let (mut on_public, _) = register(&app, "pk-origin", &patient.access, PUBLIC, "Public").await;
    let ok = sign_in_with(&app, "pk-origin", own, &mut on_own_host).await;
    assert!(ok["session"]["accessToken"].is_string(), "{ok}");

    // A passkey made at /t/{slug}/ on localhost does not sign in on the practice's host.
    let refused = sign_in_with(&app, "pk-origin", own, &mut on_public).await;
    assert_eq!(codes(&refused), ["PASSKEY_REJECTED"], "{refused}");

    // An assertion made on another page than the challenge's is refused.
    let (id, options) = begin_sign_in(&app, "pk-origin", PUBLIC).await;
    let credential = on_public.get(&options, "http://evil.example");
    let refused = finish_sign_in(&app, "pk-origin", PUBLIC, &id, credential, false).await;
    assert_eq!(
        codes(&refused.body["data"]["finishPasskeySignIn"]),
        ["PASSKEY_REJECTED"],
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn a_passkey_of_one_practice_does_not_sign_in_at_another() {
    let app = spawn_app().await;
    app.sign_up("pk-alpha").await;
    app.sign_up("pk-beta").await;
    let (patient, _) = app.add_user("pk-alpha", Role::Patient).await;
    let (mut passkey, _) = register(&app, "pk-alpha", &patient.access, PUBLIC, "Phone").await;

    // Same RP ID (both practices at /t/{slug}/ on localhost): the browser would offer it.
    let refused = sign_in_with(&app, "pk-beta", PUBLIC, &mut passkey).await;
    assert_eq!(codes(&refused), ["PASSKEY_REJECTED"], "{refused}");
    assert_eq!(refused["session"], Value::Null);
    // A challenge of one practice is unknown at the other.
    let (id, options) = begin_sign_in(&app, "pk-alpha", PUBLIC).await;
    let credential = passkey.get(&options, PUBLIC);
    let crossed = finish_sign_in(&app, "pk-beta", PUBLIC, &id, credential, false).await;
    assert_eq!(
        codes(&crossed.body["data"]["finishPasskeySignIn"]),
        ["CHALLENGE_EXPIRED"],
        "{}",
        crossed.body
    );
    // At its own practice it still works.
    let ok = sign_in_with(&app, "pk-alpha", PUBLIC, &mut passkey).await;
    assert!(ok["session"]["accessToken"].is_string(), "{ok}");
}

#[tokio::test]
async fn nobody_else_may_see_or_remove_a_persons_passkeys() {
    let app = spawn_app().await;
    app.sign_up("pk-own").await;
    let other_admin = app.practice_admin("pk-other").await;
    let (owner, _) = app.add_user("pk-own", Role::Patient).await;
    let (neighbour, _) = app.add_user("pk-own", Role::Patient).await;
    let (staff, _) = app.add_user("pk-own", Role::Staff).await;
    let (_, row) = register(&app, "pk-own", &owner.access, PUBLIC, "Phone").await;
    const REMOVE: &str =
        "mutation($id: ID!) { removePasskey(input: { passkeyId: $id }) { removedPasskeyId } }";

    assert!(
        my_passkeys(&app, "pk-own", &neighbour.access)
            .await
            .is_empty()
    );
    for (slug, access) in [
        ("pk-own", &neighbour.access),
        ("pk-own", &staff.access),
        ("pk-other", &other_admin.access),
    ] {
        let (_, body) = app
            .gql_as(slug, access, REMOVE, json!({ "id": row["id"] }))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{slug}: {body}");
    }
    assert_eq!(my_passkeys(&app, "pk-own", &owner.access).await.len(), 1);

    // A staff member signs in with a passkey too.
    let (mut staff_key, _) = register(&app, "pk-own", &staff.access, PUBLIC, "Desk").await;
    let signed = sign_in_with(&app, "pk-own", PUBLIC, &mut staff_key).await;
    let access = signed["session"]["accessToken"].as_str().unwrap();
    let (_, me) = app
        .gql_as("pk-own", access, "{ me { role } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["role"], "staff", "{me}");
}

#[tokio::test]
async fn a_cloned_passkey_and_a_locked_account_are_refused() {
    let app = spawn_app().await;
    app.sign_up("pk-lock").await;
    let (patient, _) = app.add_user("pk-lock", Role::Patient).await;
    let (mut passkey, _) = register(&app, "pk-lock", &patient.access, PUBLIC, "Phone").await;
    for _ in 0..2 {
        let ok = sign_in_with(&app, "pk-lock", PUBLIC, &mut passkey).await;
        assert!(ok["session"]["accessToken"].is_string(), "{ok}");
    }
    // A signature counter that goes back means a copy of the key: refused.
    passkey.rewind_counter(1);
    let cloned = sign_in_with(&app, "pk-lock", PUBLIC, &mut passkey).await;
    assert_eq!(codes(&cloned), ["PASSKEY_REJECTED"], "{cloned}");
    let ahead = sign_in_with(&app, "pk-lock", PUBLIC, &mut passkey).await;
    assert!(ahead["session"]["accessToken"].is_string(), "{ahead}");

    // Five wrong passwords lock the account: its passkey is refused too until the lock ends.
    for _ in 0..5 {
        let wrong = app
            .sign_in("pk-lock", &patient.email, "not the password at all", None)
            .await;
        assert_eq!(error_code(&wrong), Some("INVALID_CREDENTIALS"), "{wrong}");
    }
    let locked = sign_in_with(&app, "pk-lock", PUBLIC, &mut passkey).await;
    assert_eq!(codes(&locked), ["PASSKEY_REJECTED"], "{locked}");
    assert_eq!(locked["session"], Value::Null);
}

#[tokio::test]
async fn starting_passkey_sign_ins_is_limited_per_address() {
    let app = spawn_app().await;
    app.sign_up("pk-flood").await;
    for _ in 0..30 {
        begin_sign_in(&app, "pk-flood", PUBLIC).await;
    }
    let limited = post(
        &app,
        "pk-flood",
        Some(PUBLIC),
        None,
        false,
        BEGIN_SIGN_IN,
        json!({}),
    )
    .await;
    assert_eq!(
        error_code(&limited.body),
        Some("RATE_LIMITED"),
        "{}",
        limited.body
    );
    assert_eq!(limited.body["data"], Value::Null);
}

#[tokio::test]
async fn a_ceremony_begun_on_one_instance_finishes_on_another() {
    let app = spawn_app().await;
    app.sign_up("pk-replicas").await;
    let (patient, _) = app.add_user("pk-replicas", Role::Patient).await;
    let other = app.second_instance().await;

    // Registration: begun here, finished there.
    let begun = post(
        &app,
        "pk-replicas",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        BEGIN_REGISTRATION,
        json!({}),
    )
    .await;
    let begun = &begun.body["data"]["beginPasskeyRegistration"];
    let (mut passkey, credential) = SoftPasskey::create(&begun["options"], PUBLIC);
    let finished = post(
        &other,
        "pk-replicas",
        Some(PUBLIC),
        Some(&patient.access),
        false,
        FINISH_REGISTRATION,
        json!({ "input": { "registrationId": begun["registrationId"], "name": "Phone", "credential": credential } }),
    )
    .await;
    assert_eq!(
        finished.body["data"]["finishPasskeyRegistration"]["passkey"]["name"], "Phone",
        "{}",
        finished.body
    );

    // Sign-in: begun there, finished here.
    let (id, options) = begin_sign_in(&other, "pk-replicas", PUBLIC).await;
    let credential = passkey.get(&options, PUBLIC);
    let signed = finish_sign_in(&app, "pk-replicas", PUBLIC, &id, credential, false).await;
    assert!(
        signed.body["data"]["finishPasskeySignIn"]["session"]["accessToken"].is_string(),
        "{}",
        signed.body
    );
}
