//! A practice admin changes what a role may do; the change applies on every instance.

use portico_core::identity::Role;
use portico_tests::{TestApp, error_code, spawn_app, wait_until};
use serde_json::{Value, json};

use crate::support::records::CREATE_PATIENT;

const SET: &str = "mutation($role: String!, $perms: [PermissionInput!]!) {
    setRolePermissions(input: { role: $role, permissions: $perms }) {
        rolePermissions { role customized permissions { object action } }
        userErrors { field code } } }";

fn perms(list: &[(&str, &str)]) -> Value {
    json!(
        list.iter()
            .map(|(o, a)| json!({ "object": o, "action": a }))
            .collect::<Vec<_>>()
    )
}

const STAFF_READ_ONLY: &[(&str, &str)] = &[("me", "read"), ("patients", "read")];

async fn can_create(app: &TestApp, slug: &str, token: &str) -> Result<(), String> {
    let (_, body) = app.gql_as(slug, token, CREATE_PATIENT, json!({})).await;
    match error_code(&body) {
        None => Ok(()),
        Some(code) => Err(code.to_owned()),
    }
}

#[tokio::test]
async fn an_admin_takes_a_permission_from_a_role_in_their_practice_only() {
    let app = spawn_app().await;
    let admin = app.practice_admin("tide").await;
    let (staff, _) = app.add_user("tide", Role::Staff).await;
    app.practice_admin("other").await;
    let (other_staff, _) = app.add_user("other", Role::Staff).await;
    assert_eq!(can_create(&app, "tide", &staff.access).await, Ok(()));

    let (_, set) = app
        .gql_as(
            "tide",
            &admin.access,
            SET,
            json!({ "role": "staff", "perms": perms(STAFF_READ_ONLY) }),
        )
        .await;
    let result = &set["data"]["setRolePermissions"]["rolePermissions"];
    assert_eq!(result["customized"], true, "{set}");
    assert_eq!(result["permissions"].as_array().unwrap().len(), 2, "{set}");

    assert_eq!(
        can_create(&app, "tide", &staff.access).await,
        Err("FORBIDDEN".to_owned())
    );
    let (_, list) = app
        .gql_as(
            "tide",
            &staff.access,
            "{ patients { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(list["errors"].is_null(), "reading stays allowed: {list}");
    assert_eq!(
        can_create(&app, "other", &other_staff.access).await,
        Ok(()),
        "other practice"
    );

    let (_, listed) = app
        .gql_as(
            "tide",
            &admin.access,
            "{ rolePermissions { role customized } }",
            json!({}),
        )
        .await;
    let staff_row = listed["data"]["rolePermissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "staff")
        .cloned()
        .unwrap();
    assert_eq!(staff_row["customized"], true);
}

#[tokio::test]
async fn changes_that_would_lock_out_or_overreach_are_refused() {
    let app = spawn_app().await;
    let admin = app.practice_admin("guard").await;
    let cases = [
        ("practice_admin", vec![("me", "read")], "LOCKOUT"),
        ("patient", vec![("patients", "read")], "INVALID_PERMISSION"),
        ("staff", vec![("tenants", "manage")], "INVALID_PERMISSION"),
        ("operator", vec![("me", "read")], "INVALID_ROLE"),
    ];
    for (role, list, code) in cases {
        let (_, body) = app
            .gql_as(
                "guard",
                &admin.access,
                SET,
                json!({ "role": role, "perms": perms(&list) }),
            )
            .await;
        assert_eq!(
            body["data"]["setRolePermissions"]["userErrors"][0]["code"], code,
            "{role}: {body}"
        );
    }
    let (staff, _) = app.add_user("guard", Role::Staff).await;
    let (_, denied) = app
        .gql_as(
            "guard",
            &staff.access,
            SET,
            json!({ "role": "staff", "perms": perms(&[("audit", "read")]) }),
        )
        .await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_policy_change_on_one_instance_applies_on_another() {
    let first = spawn_app().await;
    if !first.database.is_postgres() {
        return; // The embedded profile is one process.
    }
    let second = first.second_instance().await;
    let admin = first.practice_admin("relay").await;
    let (staff, _) = first.add_user("relay", Role::Staff).await;
    // The second instance has loaded the practice's policies (and cached them).
    assert_eq!(can_create(&second, "relay", &staff.access).await, Ok(()));

    let (_, set) = first
        .gql_as(
            "relay",
            &admin.access,
            SET,
            json!({ "role": "staff", "perms": perms(STAFF_READ_ONLY) }),
        )
        .await;
    assert!(
        set["data"]["setRolePermissions"]["rolePermissions"].is_object(),
        "{set}"
    );

    // Pub/sub delivery is asynchronous: wait for the second instance to drop its cache.
    let refused = wait_until(
        "the second instance to refuse",
        std::time::Duration::from_secs(5),
        async || match can_create(&second, "relay", &staff.access).await {
            Ok(()) => Err("still allowed"),
            Err(code) => Ok(code),
        },
    )
    .await;
    assert_eq!(refused, "FORBIDDEN");
}
