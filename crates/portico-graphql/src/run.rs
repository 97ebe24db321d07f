//! The one way a resolver runs. A resolver parses its input, states who may call it (a
//! [`Need`]), hands its work to [`Run::run`] (queries, and changes whose failures are GraphQL
//! errors) or [`Run::mutate`] (changes whose validation failures are `userErrors`), and shapes
//! the answer. The runner checks the policy, opens the practice's transaction, maps every
//! failure once (logged with the request id), commits a success and rolls back a failure.
//! Business rules live in `portico-core`; a resolver never settles a transaction by hand.
//!
//! ```ignore
//! let outcome = ctx
//!     .mutate(Need::to("refills", "decide").new_work(), async |tx, caller| {
//!         decisions::decide(tx, &caller.actor, &caller.viewer(), id, decision).await
//!     })
//!     .await?;
//! Ok(outcome.payload(|model| RefillRequestPayload::of(model)))
//! ```

use async_graphql::Context;
use portico_core::{
    CoreError, CoreResult, TenantTx, audit::Actor, chart_access::Viewer, identity::Role,
    identity::SessionClaims, tenancy::Access,
};

use crate::{ApiError, context::ContextExt, user_error::UserError};

/// Who may call a resolver: the policy (casbin object and action) the signed-in principal
/// must pass, or nobody in particular.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Need {
    object: &'static str,
    /// The object patients are checked against instead (their own chart's records).
    own_object: Option<&'static str>,
    action: &'static str,
    /// Also refused in a suspended practice (`TENANT_SUSPENDED`): it starts new activity.
    new_work: bool,
    /// Any signed-in principal, whatever the policies (sign-out, enrolment).
    signed_in_only: bool,
}

impl Need {
    /// `action` on `object`, for whoever the practice's policies allow.
    pub const fn to(object: &'static str, action: &'static str) -> Self {
        Self {
            object,
            own_object: None,
            action,
            new_work: false,
            signed_in_only: false,
        }
    }

    /// Patients are checked against `own` (their own chart's records) instead.
    pub const fn or_own(mut self, own: &'static str) -> Self {
        self.own_object = Some(own);
        self
    }

    /// Refused in a suspended practice: the call starts new activity.
    pub const fn new_work(mut self) -> Self {
        self.new_work = true;
        self
    }

    /// Any signed-in principal, whatever the policies.
    pub const fn signed_in() -> Self {
        Self {
            signed_in_only: true,
            ..Self::to("me", "read")
        }
    }
}

/// The principal a resolver runs for, and how the audit log names them.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub principal: SessionClaims,
    pub actor: Actor,
}

impl Caller {
    /// The viewer chart access and listings are decided for.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.principal.user_id,
            role: self.principal.role,
        }
    }

    pub fn is_patient(&self) -> bool {
        self.principal.role == Role::Patient
    }
}

/// A mutation's result: its value, or the input's problems (`userErrors`).
pub(crate) type Outcome<T> = Result<T, Vec<UserError>>;

/// A mutation payload: what it carries when the input was refused.
pub(crate) trait Payload: Sized {
    fn refused(user_errors: Vec<UserError>) -> Self;
}

/// Implements [`Payload`] for payloads whose other fields default to empty.
macro_rules! refusable {
    ($($payload:ty),+ $(,)?) => {
        $(impl $crate::run::Payload for $payload {
            fn refused(user_errors: Vec<$crate::user_error::UserError>) -> Self {
                Self {
                    user_errors,
                    ..Default::default()
                }
            }
        })+
    };
}
pub(crate) use refusable;

/// Turns an [`Outcome`] into its payload.
pub(crate) trait OutcomeExt<T> {
    /// The payload built from the value, or the refusal's.
    fn payload<P: Payload>(self, done: impl FnOnce(T) -> P) -> P;
}

impl<T> OutcomeExt<T> for Outcome<T> {
    fn payload<P: Payload>(self, done: impl FnOnce(T) -> P) -> P {
        match self {
            Ok(value) => done(value),
            Err(user_errors) => P::refused(user_errors),
        }
    }
}

pub(crate) trait Run {
    /// The caller, once `need` is met.
    async fn caller(&self, need: Need) -> Result<Caller, ApiError>;

    /// A domain failure as the client sees it (logged here with the request id when it is
    /// internal).
    fn fail(&self, err: CoreError) -> ApiError;

    /// Runs `work` for the caller allowed by `need` in a transaction of the request's
    /// practice: commits its success, rolls back its failure, which reaches the client as a
    /// GraphQL error.
    async fn run<T>(
        &self,
        need: Need,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx, &Caller) -> CoreResult<T>,
    ) -> async_graphql::Result<T>;

    /// Runs a change for the caller allowed by `need`, like [`Run::run`], except that a
    /// validation failure (invalid input, a conflict) is returned as `userErrors`.
    async fn mutate<T>(
        &self,
        need: Need,
        work: impl AsyncFnOnce(&TenantTx, &Caller) -> CoreResult<T>,
    ) -> async_graphql::Result<Outcome<T>>;

    /// Runs `work` for whoever calls (signing in, accepting an invitation), named in the
    /// audit log by the request; commits its success, rolls back its failure.
    async fn run_public<T>(
        &self,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx, &Actor) -> CoreResult<T>,
    ) -> async_graphql::Result<T>;

    /// A change for whoever calls, like [`Run::run_public`]; validation failures are
    /// `userErrors`.
    async fn mutate_public<T>(
        &self,
        work: impl AsyncFnOnce(&TenantTx, &Actor) -> CoreResult<T>,
    ) -> async_graphql::Result<Outcome<T>>;

    /// Runs `work` in a transaction of the request's practice and ends it: commit on
    /// success, roll back on failure. Only a failure to open or end the transaction is an
    /// `Err` here; the work's own result is returned as it is.
    async fn within<T>(
        &self,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx) -> CoreResult<T>,
    ) -> Result<CoreResult<T>, ApiError>;
}

impl Run for Context<'_> {
    async fn caller(&self, need: Need) -> Result<Caller, ApiError> {
        let principal = if need.signed_in_only {
            let principal = self.principal()?;
            // What any signed-in person may do to their own account is not a key's to do
            // once the key is limited to scopes.
            if principal.key_scopes.is_some() {
                return Err(ApiError::Forbidden);
            }
            principal
        } else {
            let object = match need.own_object {
                Some(own) if self.principal()?.role == Role::Patient => own,
                _ => need.object,
            };
            self.authorize(object, need.action).await?
        };
        if need.new_work {
            self.require_active_tenant()?;
        }
        Ok(Caller {
            actor: self.actor(principal),
            principal: principal.clone(),
        })
    }

    fn fail(&self, err: CoreError) -> ApiError {
        match self.request() {
            Ok(request) => ApiError::from_core(err, &request.request_id),
            Err(missing) => missing,
        }
    }

    async fn run<T>(
        &self,
        need: Need,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx, &Caller) -> CoreResult<T>,
    ) -> async_graphql::Result<T> {
        let caller = self.caller(need).await?;
        let done = self
            .within(access, async |tx| work(tx, &caller).await)
            .await?;
        Ok(done.map_err(|e| self.fail(e))?)
    }

    async fn mutate<T>(
        &self,
        need: Need,
        work: impl AsyncFnOnce(&TenantTx, &Caller) -> CoreResult<T>,
    ) -> async_graphql::Result<Outcome<T>> {
        let caller = self.caller(need).await?;
        // A change made under a read permission (marking a thread read, recomputing
        // figures) is still a change: a key limited to scopes makes only the changes they
        // name, all of which need a write permission.
        if need.action == "read" && caller.principal.key_scopes.is_some() {
            return Err(ApiError::Forbidden.into());
        }
        let done = self
            .within(Access::Write, async |tx| work(tx, &caller).await)
            .await?;
        refusals(self, done)
    }

    async fn run_public<T>(
        &self,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx, &Actor) -> CoreResult<T>,
    ) -> async_graphql::Result<T> {
        let actor = anonymous(self);
        let done = self
            .within(access, async |tx| work(tx, &actor).await)
            .await?;
        Ok(done.map_err(|e| self.fail(e))?)
    }

    async fn mutate_public<T>(
        &self,
        work: impl AsyncFnOnce(&TenantTx, &Actor) -> CoreResult<T>,
    ) -> async_graphql::Result<Outcome<T>> {
        let actor = anonymous(self);
        let done = self
            .within(Access::Write, async |tx| work(tx, &actor).await)
            .await?;
        refusals(self, done)
    }

    async fn within<T>(
        &self,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx) -> CoreResult<T>,
    ) -> Result<CoreResult<T>, ApiError> {
        let tx = self.tenant_tx(access).await?;
        let done = work(&tx).await;
        let webhooks = done.is_ok() && tx.has_queued_webhooks();
        let ended = if done.is_ok() {
            tx.commit().await
        } else {
            tx.rollback().await
        };
        ended.map_err(|e| self.fail(e))?;
        if webhooks {
            // Pushed now rather than at the next sweep (which still catches it if this fails).
            if let Err(e) = crate::scheduling::appointments::relay_outbox(self, 1).await {
                tracing::warn!(error = ?e.message, "webhook relay not queued; the sweep will relay it");
            }
        }
        Ok(done)
    }
}

/// Validation failures become `userErrors`; anything else is a GraphQL error.
fn refusals<T>(ctx: &Context<'_>, done: CoreResult<T>) -> async_graphql::Result<Outcome<T>> {
    match done {
        Ok(value) => Ok(Ok(value)),
        Err(err) => match UserError::of_input(err) {
            Ok(user_errors) => Ok(Err(user_errors)),
            Err(other) => Err(ctx.fail(other).into()),
        },
    }
}

/// Someone not signed in, named by the request and their address.
fn anonymous(ctx: &Context<'_>) -> Actor {
    let actor = Actor::system();
    match ctx.request() {
        Ok(request) => actor
            .with_request(&request.request_id)
            .with_client(request.client_ip),
        Err(_) => actor,
    }
}
