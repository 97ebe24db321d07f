//! A person's own sessions: `mySessions` lists each sign-in still running with a coarse
//! device name and which one is asking; `endSession` ends another (its refresh token and
//! access token stop at once); nobody can end someone else's.

use portico_core::identity::Role;
use portico_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::REFRESH;

const SESSIONS: &str = "{ mySessions { id startedAt lastActiveAt device current } }";
const END: &str = "mutation($id: ID!) { endSession(input: { sessionId: $id }) {
    endedSessionId userErrors { code } } }";
const FIREFOX_ON_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// Signs in from a browser with `user_agent`; returns (access, refresh).
async fn sign_in_from(
    app: &TestApp,
    slug: &str,
    email: &str,
    password: &str,
    user_agent: &str,
) -> (String, String) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", slug)
        .header("User-Agent", user_agent)
        .json(&json!({
            "query": portico_tests::SIGN_IN,
            "variables": { "input": { "email": email, "password": password } },
        }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let session = &body["data"]["signIn"]["session"];
    (
        session["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned(),
        session["refreshToken"].as_str().unwrap().to_owned(),
    )
}

async fn sessions(app: &TestApp, slug: &str, access: &str) -> Vec<Value> {
    let (_, body) = app.gql_as(slug, access, SESSIONS, json!({})).await;
    body["data"]["mySessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

#[tokio::test]
async fn a_person_sees_their_sessions_and_ends_another() {
    let app = spawn_app().await;
    app.sign_up("sess-clinic").await;
    let (patient, _) = app.add_user("sess-clinic", Role::Patient).await;
    // add_user signed in once already, with no User-Agent.
    let (laptop, laptop_refresh) = sign_in_from(
        &app,
        "sess-clinic",
        &patient.email,
        &patient.password,
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    )
    .await;
    let (phone, phone_refresh) = sign_in_from(
        &app,
        "sess-clinic",
        &patient.email,
        &patient.password,
        FIREFOX_ON_WINDOWS,
    )
    .await;

    let listed = sessions(&app, "sess-clinic", &laptop).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{listed:?}");
    assert_eq!(current[0]["device"], "Chrome · Linux");
    let other = listed
        .iter()
        .find(|s| s["device"] == "Firefox · Windows")
        .unwrap_or_else(|| panic!("{listed:?}"));
    assert_eq!(other["current"], false);
    assert!(other["startedAt"].is_string() && other["lastActiveAt"].is_string());
    // No address, no full User-Agent anywhere in the list.
    let text = serde_json::to_string(&listed).unwrap();
    assert!(
        !text.contains("127.0.0.1") && !text.contains("Gecko"),
        "{text}"
    );

    // End the Firefox session from the laptop: its tokens stop at once.
    let (_, ended) = app
        .gql_as("sess-clinic", &laptop, END, json!({ "id": other["id"] }))
        .await;
    assert_eq!(
        ended["data"]["endSession"]["endedSessionId"], other["id"],
        "{ended}"
    );
    let (_, me) = app
        .gql_as("sess-clinic", &phone, "{ me { email } }", json!({}))
        .await;
    assert_eq!(error_code(&me), Some("UNAUTHENTICATED"), "{me}");
    let refreshed = app
        .gql(Some("sess-clinic"), REFRESH, json!({ "t": phone_refresh }))
        .await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );

    // The laptop goes on, and the list no longer shows the ended session.
    let listed = sessions(&app, "sess-clinic", &laptop).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|s| s["id"] != other["id"]));
    let refreshed = app
        .gql(Some("sess-clinic"), REFRESH, json!({ "t": laptop_refresh }))
        .await;
    assert!(
        refreshed["data"]["refreshSession"]["session"]["accessToken"].is_string(),
        "{refreshed}"
    );

    // Ending it again: not found.
    let (_, again) = app
        .gql_as("sess-clinic", &laptop, END, json!({ "id": other["id"] }))
        .await;
    assert_eq!(error_code(&again), Some("NOT_FOUND"), "{again}");
}

#[tokio::test]
async fn nobody_can_end_someone_elses_session() {
    let app = spawn_app().await;
    app.sign_up("sess-own").await;
    let other_admin = app.practice_admin("sess-other").await;
    let (owner, _) = app.add_user("sess-own", Role::Patient).await;
    let (neighbour, _) = app.add_user("sess-own", Role::Patient).await;
    let (staff, _) = app.add_user("sess-own", Role::Staff).await;
    let owners = sessions(&app, "sess-own", &owner.access).await;
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0]["current"], true);
    let id = owners[0]["id"].clone();

    // Another person's list never shows it.
    let theirs = sessions(&app, "sess-own", &neighbour.access).await;
    assert!(theirs.iter().all(|s| s["id"] != id), "{theirs:?}");
    for (slug, access) in [
        ("sess-own", &neighbour.access),
        ("sess-own", &staff.access),
        ("sess-other", &other_admin.access),
    ] {
        let (_, body) = app.gql_as(slug, access, END, json!({ "id": id })).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{slug}: {body}");
    }
    let (_, me) = app
        .gql_as("sess-own", &owner.access, "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], owner.email, "{me}");
    let refreshed = app
        .gql(Some("sess-own"), REFRESH, json!({ "t": owner.refresh }))
        .await;
    assert!(
        refreshed["data"]["refreshSession"]["session"]["accessToken"].is_string(),
        "{refreshed}"
    );
}
