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

/// Every permission the default policy gives a practice role, as `(role, object, action)`.
fn policy_defaults() -> Vec<(String, String, String)> {
    include_str!("../../schema/rbac_policy.csv")
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            match fields.as_slice() {
                ["p", role, _, object, action, "allow"] => Some((
                    (*role).to_owned(),
                    (*object).to_owned(),
                    (*action).to_owned(),
                )),
                _ => None,
            }
        })
        .collect()
}

#[tokio::test]
async fn saving_a_roles_permissions_as_shown_changes_nothing_it_may_do() {
    // Every practice permission is offered on the page, but for those set by role alone.
    let by_role_alone = [
        ("chart_restrictions", "manage"),
        ("break_glass", "open"),
        ("break_glass", "review"),
        ("tenants", "manage"),
    ];
    for (role, object, action) in policy_defaults() {
        let pair = (object.as_str(), action.as_str());
        assert!(
            portico_core::permissions::GRANTABLE.contains(&pair) || by_role_alone.contains(&pair),
            "{role} holds {object}/{action}, which the permissions page cannot show"
        );
    }

    let app = spawn_app().await;
    let admin = app.practice_admin("keepall").await;
    let (staff, _) = app.add_user("keepall", Role::Staff).await;
    let (_, listed) = app
        .gql_as(
            "keepall",
            &admin.access,
            "{ rolePermissions { role permissions { object action } } }",
            json!({}),
        )
        .await;
    let shown = listed["data"]["rolePermissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .find(|r| r["role"] == "staff")
        .unwrap()["permissions"]
        .clone();
    assert!(
        shown
            .as_array()
            .unwrap()
            .contains(&json!({ "object": "forms", "action": "read" })),
        "{shown}"
    );
    // Saved back as shown (what the console does when one box changes and back).
    let (_, set) = app
        .gql_as(
            "keepall",
            &admin.access,
            SET,
            json!({ "role": "staff", "perms": shown }),
        )
        .await;
    assert_eq!(
        set["data"]["setRolePermissions"]["userErrors"],
        json!([]),
        "{set}"
    );
    // Forms, and breaking the glass (never on the page), are still the staff's.
    let (_, forms) = app
        .gql_as("keepall", &staff.access, "{ forms { id } }", json!({}))
        .await;
    assert!(forms["errors"].is_null(), "{forms}");
    let (_, glass) = app
        .gql_as(
            "keepall",
            &staff.access,
            "mutation($id: ID!) { breakGlass(input: { patientId: $id, reason: \"Covering the on-call provider tonight\" }) { userErrors { code } } }",
            json!({ "id": crate::support::gid("Patient", uuid::Uuid::now_v7()) }),
        )
        .await;
    assert_ne!(error_code(&glass), Some("FORBIDDEN"), "{glass}");
}
