//! Authorization with casbin: RBAC with domains, the domain being the tenant. The model and
//! the default policies live in `schema/`; a default policy has the domain `*` and applies
//! to every tenant. Anything no policy allows is denied.
//!
//! Every decision is kept (casbin evaluates its matcher in a script engine, about a tenth
//! of a dashboard request's CPU before the cache). A tenant without rules of its own is
//! decided by the defaults alone, so those tenants share one set of decisions, and reading
//! such a tenant's (empty) rules never takes the enforcer's write lock, which would stall
//! every other tenant's requests. A change of a tenant's own rules drops its decisions while
//! it holds the write lock, and a decision is stored under the read lock it was computed
//! with, so none computed on the old rules survives.
//!
//! The invariant the locks keep: whenever the write lock is free, the enforcer holds a
//! tenant's lines exactly when `loaded` marks that tenant `true`.

use std::collections::HashMap;
use std::sync::{
    PoisonError, RwLock as StdRwLock,
    atomic::{AtomicU64, Ordering},
};

use async_trait::async_trait;
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use portico_core::{
    TenantId,
    permissions::{Permission, Rule},
    ports::{Authorizer, PortError},
};
use tokio::sync::RwLock;

pub const MODEL: &str = include_str!("../../../schema/rbac_model.conf");
pub const DEFAULT_POLICY: &str = include_str!("../../../schema/rbac_policy.csv");

pub struct CasbinAuthorizer {
    enforcer: RwLock<Enforcer>,
    /// Tenants whose rules were read, and whether they have any of their own.
    loaded: StdRwLock<HashMap<TenantId, bool>>,
    /// `"role object action"` to the decision: per tenant with rules of its own
    /// (`Some(tenant)`), and once for every tenant without (`None`).
    decisions: StdRwLock<HashMap<Option<TenantId>, HashMap<String, bool>>>,
    /// Moves on every forget, under the `loaded` lock: rules read before it moved may be
    /// older than a change, and are not loaded.
    generation: AtomicU64,
}

/// Tenants whose decisions are kept; past it they are all dropped and recomputed on use
/// (a tenant has at most roles x objects x actions of them, a few hundred).
const DECISION_TENANTS: usize = 20_000;

fn port_err(e: casbin::Error) -> PortError {
    PortError::new("casbin", e)
}

/// A casbin failure that is not returned (a decision denied, a tenant's policies not
/// dropped): logged with the tenant's id and counted by `op`.
fn authz_failed(op: &'static str, tenant: TenantId, e: &casbin::Error) {
    metrics::counter!("portico_authz_failures_total", "op" => op).increment(1);
    tracing::warn!(%tenant, op, error = %e, "casbin failed");
}

/// `p, role, domain, object, action, effect` lines, skipping blanks and comments.
pub fn parse_policy(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let parts: Vec<String> = l.split(',').map(|p| p.trim().to_owned()).collect();
            (parts.len() == 6 && parts[0] == "p").then(|| parts[1..].to_vec())
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
            loaded: StdRwLock::default(),
            decisions: StdRwLock::default(),
            generation: AtomicU64::new(0),
        })
    }

    /// Whether the enforcer holds lines of the tenant's own; read under the enforcer's lock.
    fn has_rules(&self, tenant: TenantId) -> bool {
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
        loaded.get(&tenant) == Some(&true)
    }

    fn decision(&self, key: Option<TenantId>, request: &str) -> Option<bool> {
        let decisions = self
            .decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        decisions.get(&key)?.get(request).copied()
    }

    /// Called with the enforcer's read lock held, so no change of rules runs meanwhile.
    fn keep_decision(&self, key: Option<TenantId>, request: String, decision: bool) {
        let mut decisions = self
            .decisions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if decisions.len() >= DECISION_TENANTS && !decisions.contains_key(&key) {
            decisions.clear();
        }
        decisions.entry(key).or_default().insert(request, decision);
    }

    /// Drops a tenant's own decisions; called with the enforcer's write lock held.
    fn forget_decisions(&self, tenant: TenantId) {
        self.decisions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&Some(tenant));
    }

    /// Marks a tenant as read and without rules of its own, unless the enforcer holds
    /// some (then they must be removed under the write lock) or rules were forgotten since
    /// `generation`. `Some(loaded)` when it decided, `None` for the write lock's path.
    fn mark_without_rules(&self, tenant: TenantId, generation: u64) -> Option<bool> {
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        if self.generation.load(Ordering::SeqCst) != generation {
            return Some(false);
        }
        if loaded.get(&tenant) == Some(&true) {
            return None;
        }
        loaded.insert(tenant, false);
        Some(true)
    }

    /// Forgets what `loaded` says of `tenant` (of every tenant for `None`) and moves the
    /// generation, both under its lock; returns the tenants that had rules of their own.
    fn unmark(&self, tenant: Option<TenantId>) -> Vec<TenantId> {
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::SeqCst);
        match tenant {
            Some(tenant) => loaded
                .remove(&tenant)
                .filter(|has_rules| *has_rules)
                .map(|_| tenant)
                .into_iter()
                .collect(),
            None => loaded
                .drain()
                .filter_map(|(tenant, has_rules)| has_rules.then_some(tenant))
                .collect(),
        }
    }

    /// Whether the tenant's rules are loaded.
    pub fn is_loaded(&self, tenant: TenantId) -> bool {
        self.loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&tenant)
    }

    /// The decision with the rules loaded now; a tenant not loaded gets the defaults.
    pub async fn allowed(&self, role: &str, tenant: TenantId, object: &str, action: &str) -> bool {
        let request = format!("{role} {object} {action}");
        let enforcer = self.enforcer.read().await;
        let key = self.has_rules(tenant).then_some(tenant);
        self.decide_loaded(&enforcer, key, request, (role, tenant, object, action))
    }

    fn decide_loaded(
        &self,
        enforcer: &Enforcer,
        key: Option<TenantId>,
        request: String,
        (role, tenant, object, action): (&str, TenantId, &str, &str),
    ) -> bool {
        if let Some(decision) = self.decision(key, &request) {
            return decision;
        }
        match enforcer.enforce((role, tenant.to_string().as_str(), object, action)) {
            Ok(decision) => {
                self.keep_decision(key, request, decision);
                decision
            }
            Err(e) => {
                authz_failed("enforce", tenant, &e);
                false
            }
        }
    }
}

#[async_trait]
impl Authorizer for CasbinAuthorizer {
    async fn decide(
        &self,
        role: &str,
        tenant: TenantId,
        object: &str,
        action: &str,
    ) -> Option<bool> {
        let request = format!("{role} {object} {action}");
        let enforcer = self.enforcer.read().await;
        let has_rules = *self
            .loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&tenant)?;
        let key = has_rules.then_some(tenant);
        Some(self.decide_loaded(&enforcer, key, request, (role, tenant, object, action)))
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    async fn defaults(&self, role: &str) -> Vec<Permission> {
        parse_policy(DEFAULT_POLICY)
            .into_iter()
            .filter(|p| p[0] == role && p[1] == "*" && p[4] == "allow")
            .map(|p| (p[2].clone(), p[3].clone()))
            .collect()
    }

    async fn load_tenant(
        &self,
        tenant: TenantId,
        rules: &[Rule],
        generation: u64,
    ) -> Result<bool, PortError> {
        if rules.is_empty()
            && let Some(loaded) = self.mark_without_rules(tenant, generation)
        {
            return Ok(loaded);
        }
        let domain = tenant.to_string();
        let lines: Vec<Vec<String>> = rules
            .iter()
            .map(|r| {
                vec![
                    r.role.clone(),
                    domain.clone(),
                    r.object.clone(),
                    r.action.clone(),
                    if r.allow { "allow" } else { "deny" }.to_owned(),
                ]
            })
            .collect();
        let mut enforcer = self.enforcer.write().await;
        if self.generation() != generation {
            return Ok(false);
        }
        self.forget_decisions(tenant);
        enforcer
            .remove_filtered_policy(1, vec![domain.clone()])
            .await
            .map_err(port_err)?;
        let has_rules = !lines.is_empty();
        if has_rules {
            enforcer.add_policies(lines).await.map_err(port_err)?;
        }
        // A forget without rules of its own to remove does not wait for the write lock:
        // if one ran meanwhile, what was just added may be stale, so it goes again.
        let kept = {
            let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
            let current = self.generation() == generation;
            if current {
                loaded.insert(tenant, has_rules);
            } else {
                loaded.remove(&tenant);
            }
            current
        };
        if !kept && has_rules {
            enforcer
                .remove_filtered_policy(1, vec![domain])
                .await
                .map_err(port_err)?;
        }
        Ok(kept)
    }

    async fn forget_all(&self) {
        let mut enforcer = self.enforcer.write().await;
        for tenant in self.unmark(None) {
            if let Err(e) = enforcer
                .remove_filtered_policy(1, vec![tenant.to_string()])
                .await
            {
                authz_failed("forget", tenant, &e);
            }
        }
        self.decisions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    async fn forget_tenant(&self, tenant: TenantId) {
        {
            // Nothing of its own in the enforcer: no write lock (a load in flight sees the
            // generation move and does not keep what it read).
            let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
            if loaded.get(&tenant) != Some(&true) {
                self.generation.fetch_add(1, Ordering::SeqCst);
                loaded.remove(&tenant);
                return;
            }
        }
        let mut enforcer = self.enforcer.write().await;
        self.unmark(Some(tenant));
        self.forget_decisions(tenant);
        if let Err(e) = enforcer
            .remove_filtered_policy(1, vec![tenant.to_string()])
            .await
        {
            authz_failed("forget", tenant, &e);
        }
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
        "settings",
        "branding",
    ];
    const ACTIONS: &[&str] = &["read", "write", "manage", "share", "delete"];

    /// What the policy file says, read without casbin.
    fn expected(role: &str, object: &str, action: &str) -> bool {
        parse_policy(DEFAULT_POLICY).iter().any(|p| {
            p[0] == role && p[1] == "*" && p[2] == object && p[3] == action && p[4] == "allow"
        })
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn authorizer() -> CasbinAuthorizer {
        block_on(CasbinAuthorizer::new()).unwrap()
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
            prop_assert_eq!(
                block_on(authz.allowed(role, tenant, object, action)),
                expected(role, object, action)
            );
        }

        #[test]
        fn unknown_words_are_denied(role in "[a-z_]{1,12}", object in "[a-z_]{1,12}") {
            let authz = authorizer();
            let known = expected(&role, &object, "read");
            prop_assert_eq!(block_on(authz.allowed(&role, TenantId::new(), &object, "read")), known);
        }
    }

    #[test]
    fn patients_reach_only_their_own_chart_by_policy() {
        let authz = authorizer();
        let t = TenantId::new();
        assert!(!block_on(authz.allowed("patient", t, "patients", "read")));
        assert!(block_on(authz.allowed("patient", t, "own_chart", "read")));
        assert!(block_on(authz.allowed("staff", t, "patients", "write")));
        assert!(!block_on(authz.allowed(
            "staff",
            t,
            "permissions",
            "manage"
        )));
    }

    #[test]
    fn a_tenants_rules_change_only_that_tenant() {
        let authz = authorizer();
        let (a, b) = (TenantId::new(), TenantId::new());
        let rules = [
            Rule {
                role: "staff".into(),
                object: "patients".into(),
                action: "write".into(),
                allow: false,
            },
            Rule {
                role: "staff".into(),
                object: "audit".into(),
                action: "read".into(),
                allow: true,
            },
        ];
        assert!(block_on(authz.load_tenant(a, &rules, authz.generation())).unwrap());
        assert!(
            !block_on(authz.allowed("staff", a, "patients", "write")),
            "denied in A"
        );
        assert!(
            block_on(authz.allowed("staff", a, "audit", "read")),
            "granted in A"
        );
        assert!(
            block_on(authz.allowed("staff", b, "patients", "write")),
            "B keeps the default"
        );
        assert!(!block_on(authz.allowed("staff", b, "audit", "read")));
        block_on(authz.forget_tenant(a));
        assert!(block_on(authz.allowed("staff", a, "patients", "write")));
        assert!(!authz.is_loaded(a));
    }

    /// Polls a future once: `Some` when it finished without waiting on anything.
    fn now_or_never<F: std::future::Future>(f: F) -> Option<F::Output> {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => Some(out),
            std::task::Poll::Pending => None,
        }
    }

    #[test]
    fn a_tenant_without_rules_loads_while_others_are_being_decided() {
        let authz = authorizer();
        let (quiet, ruled) = (TenantId::new(), TenantId::new());
        assert!(block_on(authz.allowed("staff", quiet, "patients", "write")));
        let deny = Rule {
            role: "staff".into(),
            object: "patients".into(),
            action: "write".into(),
            allow: false,
        };
        assert!(block_on(authz.load_tenant(ruled, &[deny], authz.generation())).unwrap());
        let reading = authz.enforcer.try_read().unwrap();
        assert!(
            matches!(
                now_or_never(authz.load_tenant(quiet, &[], authz.generation())),
                Some(Ok(true))
            ),
            "no write lock for a tenant without rules"
        );
        assert!(now_or_never(authz.forget_tenant(quiet)).is_some());
        assert!(
            now_or_never(authz.load_tenant(ruled, &[], authz.generation())).is_none(),
            "removing a tenant's own rules waits for the write lock"
        );
        drop(reading);
        assert!(block_on(authz.load_tenant(quiet, &[], authz.generation())).unwrap());
        assert!(authz.is_loaded(quiet));
        assert!(
            block_on(authz.allowed("staff", quiet, "patients", "write")),
            "the shared decision is the default"
        );
        assert!(!block_on(
            authz.allowed("staff", ruled, "patients", "write")
        ));
    }

    #[test]
    fn rules_read_before_a_change_are_not_loaded_and_nothing_is_decided_without_rules() {
        let authz = authorizer();
        let t = TenantId::new();
        assert_eq!(
            block_on(authz.decide("staff", t, "patients", "write")),
            None
        );
        let deny = Rule {
            role: "staff".into(),
            object: "patients".into(),
            action: "write".into(),
            allow: false,
        };
        // A request reads the practice's rules (none yet); an admin then adds a deny and
        // the change is announced before the request loads what it read.
        let read_at = authz.generation();
        block_on(authz.forget_tenant(t));
        assert!(!block_on(authz.load_tenant(t, &[], read_at)).unwrap());
        assert!(!authz.is_loaded(t));
        assert_eq!(
            block_on(authz.decide("staff", t, "patients", "write")),
            None
        );
        // The same with rules of its own being replaced.
        assert!(
            block_on(authz.load_tenant(t, std::slice::from_ref(&deny), authz.generation()))
                .unwrap()
        );
        let read_at = authz.generation();
        block_on(authz.forget_tenant(t));
        assert!(!block_on(authz.load_tenant(t, &[], read_at)).unwrap());
        // Read again after the change: loaded, and decided by it.
        assert!(block_on(authz.load_tenant(t, &[deny], authz.generation())).unwrap());
        assert_eq!(
            block_on(authz.decide("staff", t, "patients", "write")),
            Some(false)
        );
        assert_eq!(
            block_on(authz.decide("staff", TenantId::new(), "patients", "write")),
            None,
            "another practice is not loaded by it"
        );
    }

    #[test]
    fn a_decision_already_given_follows_the_rules_when_they_change() {
        let authz = authorizer();
        let t = TenantId::new();
        let deny = |allow| Rule {
            role: "staff".into(),
            object: "patients".into(),
            action: "write".into(),
            allow,
        };
        assert!(block_on(authz.allowed("staff", t, "patients", "write")));
        assert!(block_on(authz.load_tenant(t, &[deny(false)], authz.generation())).unwrap());
        assert!(
            !block_on(authz.allowed("staff", t, "patients", "write")),
            "the kept default is dropped when the tenant's rules load"
        );
        assert!(block_on(authz.load_tenant(t, &[deny(true)], authz.generation())).unwrap());
        assert!(block_on(authz.allowed("staff", t, "patients", "write")));
        assert!(block_on(authz.load_tenant(t, &[deny(false)], authz.generation())).unwrap());
        assert!(!block_on(authz.allowed("staff", t, "patients", "write")));
        block_on(authz.forget_all());
        assert!(
            block_on(authz.allowed("staff", t, "patients", "write")),
            "forgetting every tenant brings back the default"
        );
    }
}
