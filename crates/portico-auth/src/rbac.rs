//! Authorization with casbin: RBAC with domains, the domain being the tenant. The model and
//! the default policies live in `schema/`; a default policy has the domain `*` and applies
//! to every tenant. Anything no policy allows is denied.

use std::sync::RwLock;

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use portico_core::{TenantId, ports::Authorizer, ports::PortError};

pub const MODEL: &str = include_str!("../../../schema/rbac_model.conf");
pub const DEFAULT_POLICY: &str = include_str!("../../../schema/rbac_policy.csv");

pub struct CasbinAuthorizer {
    enforcer: RwLock<Enforcer>,
}

fn port_err(e: impl std::fmt::Display) -> PortError {
    PortError::new("casbin", e)
}

/// `p, role, domain, object, action` lines, skipping blanks and comments.
pub fn parse_policy(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let parts: Vec<String> = l.split(',').map(|p| p.trim().to_owned()).collect();
            (parts.len() == 5 && parts[0] == "p").then(|| parts[1..].to_vec())
        })
        .collect()
}

impl CasbinAuthorizer {
    /// The enforcer with the default policies.
    pub async fn new() -> Result<Self, PortError> {
        let model = DefaultModel::from_str(MODEL).await.map_err(port_err)?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
            .await
            .map_err(port_err)?;
        enforcer
            .add_policies(parse_policy(DEFAULT_POLICY))
            .await
            .map_err(port_err)?;
        Ok(Self {
            enforcer: RwLock::new(enforcer),
        })
    }
}

impl Authorizer for CasbinAuthorizer {
    fn allowed(&self, role: &str, tenant: TenantId, object: &str, action: &str) -> bool {
        let Ok(enforcer) = self.enforcer.read() else {
            return false;
        };
        enforcer
            .enforce((role, tenant.to_string().as_str(), object, action))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ROLES: &[&str] = &[
        "operator",
        "practice_admin",
        "provider",
        "staff",
        "patient",
        "intruder",
    ];
    const OBJECTS: &[&str] = &[
        "me",
        "patients",
        "own_chart",
        "staff",
        "api_keys",
        "permissions",
        "audit",
        "tenants",
        "billing",
    ];
    const ACTIONS: &[&str] = &["read", "write", "manage", "delete"];

    /// What the policy file says, read without casbin.
    fn expected(role: &str, object: &str, action: &str) -> bool {
        parse_policy(DEFAULT_POLICY)
            .iter()
            .any(|p| p[0] == role && p[1] == "*" && p[2] == object && p[3] == action)
    }

    fn authorizer() -> CasbinAuthorizer {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(CasbinAuthorizer::new())
            .unwrap()
    }

    proptest! {
        #[test]
        fn allowed_exactly_when_a_default_policy_says_so(
            role in proptest::sample::select(ROLES),
            object in proptest::sample::select(OBJECTS),
            action in proptest::sample::select(ACTIONS),
        ) {
            let authz = authorizer();
            let tenant = TenantId::new();
            prop_assert_eq!(authz.allowed(role, tenant, object, action), expected(role, object, action));
        }

        #[test]
        fn unknown_words_are_denied(role in "[a-z_]{1,12}", object in "[a-z_]{1,12}") {
            let authz = authorizer();
            let known = expected(&role, &object, "read");
            prop_assert_eq!(authz.allowed(&role, TenantId::new(), &object, "read"), known);
        }
    }

    #[test]
    fn patients_reach_only_their_own_chart_by_policy() {
        let authz = authorizer();
        let t = TenantId::new();
        assert!(!authz.allowed("patient", t, "patients", "read"));
        assert!(authz.allowed("patient", t, "own_chart", "read"));
        assert!(authz.allowed("staff", t, "patients", "write"));
        assert!(!authz.allowed("staff", t, "permissions", "manage"));
    }
}
