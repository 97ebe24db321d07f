//! A clinic with a nurse line (a care-team pool staffed by one nurse), and starting and
//! posting to message threads.

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp};
use serde_json::{Value, json};

use super::gid;

pub const CREATE_POOL: &str = "mutation($input: CreateCareTeamPoolInput!) {
    createCareTeamPool(input: $input) { pool { id name kind } userErrors { field code } } }";
pub const ADD_MEMBER: &str = "mutation($input: PoolMemberInput!) { addPoolMember(input: $input) {
    pool { id members { userId displayName } } userErrors { field code } } }";
pub const START: &str = "mutation($input: StartThreadInput!) { startThread(input: $input) {
    thread { id status unread subject pool { name } }
    message { id body internal authorKind attachments { id fileName contentType downloadUrl } }
    userErrors { field code message } } }";
pub const POST: &str = "mutation($input: PostMessageInput!) { postMessage(input: $input) {
    thread { id awaitingReplySince unread }
    message { id body internal attachments { id fileName contentType downloadUrl } }
    userErrors { field code message } } }";

/// A practice with a nurse line staffed by one staff member.
pub struct Clinic {
    pub admin: Signed,
    pub nurse: Signed,
    pub nurse_id: String,
    pub pool: String,
}

/// The signed-in user's global id, as `me` gives it.
pub async fn user_gid(app: &TestApp, slug: &str, who: &Signed) -> String {
    let (_, me) = app
        .gql_as(slug, &who.access, "{ me { userId } }", json!({}))
        .await;
    me["data"]["me"]["userId"]
        .as_str()
        .unwrap_or_else(|| panic!("{me}"))
        .to_owned()
}

pub async fn clinic(app: &TestApp, slug: &str) -> Clinic {
    clinic_for(app, app.practice_admin(slug).await).await
}

/// A nurse line staffed by one new staff member, in the practice `admin` runs.
pub async fn clinic_for(app: &TestApp, admin: Signed) -> Clinic {
    let slug = admin.slug.clone();
    let slug = slug.as_str();
    let (nurse, _) = app.add_user(slug, Role::Staff).await;
    let nurse_id = user_gid(app, slug, &nurse).await;
    let (_, created) = app
        .gql_as(
            slug,
            &admin.access,
            CREATE_POOL,
            json!({ "input": { "name": "Nurse line", "kind": "NURSE_LINE" } }),
        )
        .await;
    let pool = created["data"]["createCareTeamPool"]["pool"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no pool: {created}"))
        .to_owned();
    let (_, added) = app
        .gql_as(
            slug,
            &admin.access,
            ADD_MEMBER,
            json!({ "input": { "poolId": pool, "userId": nurse_id } }),
        )
        .await;
    assert_eq!(
        added["data"]["addPoolMember"]["pool"]["members"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{added}"
    );
    Clinic {
        admin,
        nurse,
        nurse_id,
        pool,
    }
}

pub async fn start(
    app: &TestApp,
    who: &Signed,
    chart: uuid::Uuid,
    pool: &str,
    body: &str,
) -> Value {
    let (_, started) = app
        .gql_as(
            &who.slug,
            &who.access,
            START,
            json!({ "input": { "patientId": gid("Patient", chart), "poolId": pool,
                "category": "MEDICAL_QUESTION", "subject": "Question about my dose", "body": body } }),
        )
        .await;
    started
}

pub fn thread_id(started: &Value) -> String {
    started["data"]["startThread"]["thread"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no thread: {started}"))
        .to_owned()
}

pub async fn post(app: &TestApp, who: &Signed, thread: &str, body: &str, internal: bool) -> Value {
    let (_, posted) = app
        .gql_as(
            &who.slug,
            &who.access,
            POST,
            json!({ "input": { "threadId": thread, "body": body, "internal": internal } }),
        )
        .await;
    posted
}
