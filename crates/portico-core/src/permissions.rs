//! What each role may do in a practice: the defaults (in `schema/`) changed by the practice's
//! own allow and deny rules, which a practice admin edits.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::role_permission,
    identity::Role,
};

/// A permission: an action on an area of the API.
pub type Permission = (String, String);

/// A practice's change to a role's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub role: String,
    pub object: String,
    pub action: String,
    pub allow: bool,
}

/// Every permission a practice may hand out. `tenants/manage` is the platform's own;
/// restricting charts and breaking the glass are set by role and never changed here (and
/// saving a role's permissions leaves them as they are).
pub const GRANTABLE: &[(&str, &str)] = &[
    ("me", "read"),
    ("own_chart", "read"),
    ("own_chart", "write"),
    ("own_chart", "share"),
    ("patients", "read"),
    ("patients", "write"),
    ("staff", "manage"),
    ("api_keys", "manage"),
    ("permissions", "manage"),
    ("audit", "read"),
    ("settings", "manage"),
    ("branding", "write"),
    ("notifications", "manage"),
    ("scheduling", "read"),
    ("scheduling", "manage"),
    ("appointments", "read"),
    ("appointments", "write"),
    ("own_appointments", "read"),
    ("own_appointments", "write"),
    ("recalls", "read"),
    ("recalls", "manage"),
    ("messages", "read"),
    ("messages", "write"),
    ("own_messages", "read"),
    ("own_messages", "write"),
    ("pools", "manage"),
    ("refills", "read"),
    ("refills", "decide"),
    ("own_refills", "read"),
    ("own_refills", "write"),
    ("readings", "read"),
    ("readings", "acknowledge"),
    ("readings", "manage"),
    ("own_readings", "read"),
    ("own_readings", "write"),
    ("forms", "read"),
    ("forms", "send"),
    ("forms", "manage"),
    ("own_forms", "read"),
    ("own_forms", "write"),
    ("education", "read"),
    ("education", "manage"),
    ("own_education", "read"),
    ("feedback", "read"),
    ("feedback", "manage"),
    ("own_feedback", "write"),
    ("campaigns", "read"),
    ("campaigns", "manage"),
    ("ehr", "manage"),
    ("ehr", "review"),
    ("adoption", "read"),
    ("billing", "manage"),
];

/// What a patient role may ever hold: never other people's charts.
const PATIENT_GRANTABLE: &[(&str, &str)] = &[
    ("me", "read"),
    ("own_chart", "read"),
    ("own_chart", "write"),
    ("own_chart", "share"),
    ("scheduling", "read"),
    ("own_appointments", "read"),
    ("own_appointments", "write"),
    ("own_messages", "read"),
    ("own_messages", "write"),
    ("own_refills", "read"),
    ("own_refills", "write"),
    ("own_readings", "read"),
    ("own_readings", "write"),
    ("own_forms", "read"),
    ("own_forms", "write"),
    ("own_education", "read"),
    ("own_feedback", "write"),
];

/// Roles whose permissions a practice may change.
pub const EDITABLE_ROLES: [Role; 4] = [
    Role::PracticeAdmin,
    Role::Provider,
    Role::Staff,
    Role::Patient,
];

pub async fn rules(tx: &TenantTx) -> CoreResult<Vec<Rule>> {
    Ok(tx
        .find::<role_permission::Entity>()
        .order_by_asc(role_permission::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|r| Rule {
            allow: r.effect == "allow",
            role: r.role,
            object: r.object,
            action: r.action,
        })
        .collect())
}

/// Makes `wanted` the role's permissions in this practice, stored as the difference from
/// `defaults`. Returns the rules now in force for the role.
pub async fn set_role(
    tx: &TenantTx,
    actor: &Actor,
    role: Role,
    wanted: &[Permission],
    defaults: &[Permission],
) -> CoreResult<Vec<Rule>> {
    if !EDITABLE_ROLES.contains(&role) {
        return Err(CoreError::invalid(
            "role",
            "INVALID_ROLE",
            "a practice can change practice_admin, provider, staff and patient",
        ));
    }
    let allowed: &[(&str, &str)] = if role == Role::Patient {
        PATIENT_GRANTABLE
    } else {
        GRANTABLE
    };
    let wanted: BTreeSet<Permission> = wanted.iter().cloned().collect();
    for (object, action) in &wanted {
        if !allowed.contains(&(object.as_str(), action.as_str())) {
            return Err(CoreError::invalid(
                "permissions",
                "INVALID_PERMISSION",
                format!("{object}/{action} cannot be given to {}", role.as_str()),
            ));
        }
    }
    if role == Role::PracticeAdmin
        && !wanted.contains(&("permissions".to_owned(), "manage".to_owned()))
    {
        return Err(CoreError::invalid(
            "permissions",
            "LOCKOUT",
            "practice admins must keep permissions/manage, or nobody could change them back",
        ));
    }
    let defaults: BTreeSet<Permission> = defaults.iter().cloned().collect();
    tx.delete::<role_permission::Entity>()
        .filter(role_permission::Column::Role.eq(role.as_str()))
        .exec(tx.conn())
        .await?;
    let additions = wanted.difference(&defaults).map(|p| (p, true));
    // Only what the page could have offered is taken away: a default it cannot show (break
    // glass, say) is kept, not denied because it was not in the list.
    let removals = defaults
        .difference(&wanted)
        .filter(|(object, action)| allowed.contains(&(object.as_str(), action.as_str())))
        .map(|p| (p, false));
    let mut rules = Vec::new();
    for ((object, action), allow) in additions.chain(removals) {
        role_permission::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            role: Set(role.as_str().to_owned()),
            object: Set(object.clone()),
            action: Set(action.clone()),
            effect: Set(if allow { "allow" } else { "deny" }.to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(tx.conn())
        .await?;
        rules.push(Rule {
            role: role.as_str().to_owned(),
            object: object.clone(),
            action: action.clone(),
            allow,
        });
    }
    audit::record(
        tx,
        actor,
        Access {
            action: "permissions.change",
            resource_type: "Role",
            resource_id: None,
            patient_id: None,
        },
    )
    .await?;
    Ok(rules)
}
