//! Signing up a practice, signing in and out, refreshing sessions, and `me`.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, TimeZone, Utc};
use portico_core::{
    CoreError, UserId,
    accounts::{self, PracticeSignUp},
    audit::{self, Access as AuditAccess, Actor},
    entities::user,
    identity::{MfaState, Role, SessionClaims},
    ports::ThrottlePolicy,
    sessions::{self, RefreshError},
    tenancy::Access,
};
use sha2::{Digest, Sha256};

use crate::{
    ApiError,
    context::{ContextExt, Services},
    tenants::TenantBranding,
    user_error::UserError,
};

/// Five wrong attempts within 15 minutes lock an account for a minute, then 2, 4, ... up to
/// an hour while the attempts go on.
pub(crate) const ACCOUNT_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 5,
    window: std::time::Duration::from_secs(15 * 60),
    base_lock: std::time::Duration::from_secs(60),
    max_lock: std::time::Duration::from_secs(3600),
};

/// One address may fail more often (a practice behind one NAT), but not without limit.
pub(crate) const IP_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 50,
    window: std::time::Duration::from_secs(15 * 60),
    base_lock: std::time::Duration::from_secs(60),
    max_lock: std::time::Duration::from_secs(3600),
};

/// The tokens of a signed-in session.
#[derive(SimpleObject)]
pub struct Session {
    /// Send as `Authorization: Bearer ...`; short-lived.
    access_token: String,
    access_token_expires_at: DateTime<Utc>,
    /// Exchange for new tokens with `refreshSession`; single use. Empty when the session is
    /// kept in a cookie (the request sent `X-Portico-Session: cookie`): the token is then in
    /// the HttpOnly `portico_refresh_{slug}` cookie, out of reach of script.
    refresh_token: String,
    /// Unused past this instant, the session ends (automatic log-off).
    refresh_token_expires_at: DateTime<Utc>,
    /// True while a staff member still has to set up two-step verification.
    mfa_enrolment_required: bool,
}

impl Session {
    /// The session as the client asked to receive it: in browser mode the refresh token goes
    /// into the practice's cookie (`slug`) instead of the body. Call it once the session is
    /// committed, so no cookie names a session that was rolled back.
    pub(crate) fn deliver(mut self, ctx: &Context<'_>, slug: &str) -> Self {
        self.refresh_token = crate::browser_session::keep_refresh_token(
            ctx,
            slug,
            self.refresh_token,
            self.refresh_token_expires_at,
        );
        self
    }
}

#[derive(InputObject)]
pub struct SignUpPracticeInput {
    practice_name: String,
    /// Becomes `{slug}.portico.health`: 3 to 40 lower-case letters, digits and hyphens.
    slug: String,
    /// IANA time zone, e.g. `America/Chicago`.
    time_zone: String,
    admin_name: String,
    admin_email: String,
    admin_password: String,
}

#[derive(SimpleObject, Default)]
pub struct SignUpPracticePayload {
    tenant: Option<TenantBranding>,
    session: Option<Session>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SignInInput {
    email: String,
    password: String,
    /// The 6-digit code, when two-step verification is on.
    totp_code: Option<String>,
    /// Instead of `totpCode`: one of the recovery codes (each works once).
    recovery_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    session: Session,
}

#[derive(InputObject)]
pub struct RefreshSessionInput {
    /// The refresh token. In browser mode (`X-Portico-Session: cookie`) leave it out (or
    /// empty) to use the one in the practice's cookie.
    refresh_token: Option<String>,
}

#[derive(SimpleObject)]
pub struct RefreshSessionPayload {
    session: Session,
}

#[derive(SimpleObject)]
pub struct SignOutPayload {
    signed_out: bool,
}

/// The signed-in user.
#[derive(SimpleObject)]
pub struct Me {
    /// The signed-in user's global `User` id, as every input naming a user takes it.
    user_id: async_graphql::ID,
    display_name: String,
    email: String,
    role: String,
    tenant: TenantBranding,
    mfa_enrolled: bool,
    /// When the current access token expires.
    session_expires_at: DateTime<Utc>,
    /// Why the practice is suspended, for its staff (`None` for patients or when active).
    tenant_status_reason: Option<String>,
    /// For staff, while billing needs attention: a trial ending, a payment failed, the
    /// practice suspended or cancelled (`None` for patients and when billing is off).
    billing_notice: Option<crate::billing::BillingNotice>,
    /// The charts this person may open as a patient: their own and those shared with them.
    /// Staff open the practice's charts through `patients` instead.
    charts: Vec<ChartAccess>,
}

/// A chart the signed-in person may open, and how.
#[derive(SimpleObject)]
pub struct ChartAccess {
    patient: crate::patients::Patient,
    /// `self` or `proxy`.
    relationship: String,
    /// For a proxy: what the grant allows.
    scopes: Vec<crate::proxies::ProxyScope>,
}

/// What an authenticator app needs to start producing codes.
#[derive(SimpleObject)]
pub struct TotpEnrolment {
    /// Base32 secret, for typing in by hand.
    secret: String,
    /// `otpauth://` URI, usually shown as a QR code.
    otpauth_uri: String,
}

#[derive(InputObject)]
pub struct BeginTotpEnrolmentInput {
    /// A current code of the app in use, when replacing it.
    current_code: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct BeginTotpEnrolmentPayload {
    enrolment: Option<TotpEnrolment>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ConfirmTotpEnrolmentInput {
    /// The current 6-digit code from the app.
    code: String,
}

#[derive(SimpleObject, Default)]
pub struct ConfirmTotpEnrolmentPayload {
    /// A new session with two-step verification satisfied.
    session: Option<Session>,
    /// Ten single-use codes for when the app is lost; shown this once.
    recovery_codes: Vec<String>,
    user_errors: Vec<UserError>,
}

/// One of the signed-in person's sessions (a sign-in on some device, until it is signed out
/// or idles out).
#[derive(SimpleObject)]
pub struct SignedInSession {
    /// A global `Session` id, for `endSession`.
    id: async_graphql::ID,
    started_at: DateTime<Utc>,
    /// When it last signed in or refreshed its tokens.
    last_active_at: DateTime<Utc>,
    /// Coarse, from the browser at sign-in, product names only: "Chrome · Linux",
    /// "Safari · iOS", "Firefox" (`null` when the browser did not say, or for a session older
    /// than this feature).
    device: Option<String>,
    /// The session making this request.
    current: bool,
}

#[derive(InputObject)]
pub struct EndSessionInput {
    session_id: async_graphql::ID,
}

#[derive(SimpleObject)]
pub struct EndSessionPayload {
    ended_session_id: async_graphql::ID,
    user_errors: Vec<UserError>,
}

/// What a new password must be, for forms to say before it is sent.
#[derive(SimpleObject)]
pub struct PasswordPolicy {
    /// The fewest characters (`PASSWORD_TOO_SHORT` below it).
    min_length: i32,
    /// The most characters (`PASSWORD_TOO_LONG` above it).
    max_length: i32,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    current_password: String,
    new_password: String,
}

#[derive(SimpleObject, Default)]
pub struct ChangePasswordPayload {
    changed: bool,
    /// How many other sessions were ended.
    ended_sessions: i32,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The rules a new password must meet (no sign-in needed). Besides its length, a password
    /// must not be a common one (`PASSWORD_TOO_COMMON`) nor contain the person's name or email
    /// (`PASSWORD_CONTAINS_PERSONAL_DATA`).
    async fn password_policy(&self, ctx: &Context<'_>) -> async_graphql::Result<PasswordPolicy> {
        let passwords = &ctx.services()?.passwords;
        Ok(PasswordPolicy {
            min_length: i32::try_from(passwords.min_password_length()).unwrap_or(i32::MAX),
            max_length: i32::try_from(passwords.max_password_length()).unwrap_or(i32::MAX),
        })
    }

    /// The signed-in person's sessions still running, the most recently active first.
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SignedInSession>> {
        let principal = interactive_principal(ctx)?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tx = ctx.tenant_tx(Access::Read).await?;
        let running = sessions::running_of(&tx, principal.user_id)
            .await
            .map_err(core)?;
        tx.rollback().await.map_err(core)?;
        Ok(running
            .into_iter()
            .map(|s| SignedInSession {
                id: crate::global_id::encode("Session", s.id),
                started_at: s.started_at,
                last_active_at: s.last_active_at,
                device: s.device.filter(|d| !d.is_empty()),
                current: s.id == principal.session_id,
            })
            .collect())
    }

    /// Who is signed in, at which practice.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let principal = ctx.authorize("me", "read").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let user = accounts::find_by_id(&tx, principal.user_id)
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?
            .ok_or(ApiError::Unauthenticated)?;
        let charts = if principal.role == Role::Patient {
            portico_core::patients::accessible_to(&tx, &ctx.actor(&principal), principal.user_id)
                .await
                .map_err(|e| ApiError::from_core(e, &request_id))?
        } else {
            Vec::new()
        };
        tx.commit()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        let charts = charts
            .into_iter()
            .map(|a| ChartAccess {
                relationship: if a.proxy_scopes.is_some() {
                    "proxy"
                } else {
                    "self"
                }
                .to_owned(),
                scopes: a
                    .proxy_scopes
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| crate::proxies::ProxyScope::parse(s))
                    .collect(),
                patient: crate::patients::Patient(a.chart),
            })
            .collect();
        Ok(Me {
            user_id: crate::global_id::encode("User", user.id),
            display_name: user.display_name,
            email: user.email,
            role: principal.role.as_str().to_owned(),
            tenant: TenantBranding::from(ctx.tenant()?),
            mfa_enrolled: user.totp_enabled_at.is_some(),
            session_expires_at: timestamp(principal.expires_at),
            tenant_status_reason: (principal.role != Role::Patient)
                .then(|| ctx.tenant().ok()?.tenant.status_reason.clone())
                .flatten(),
            billing_notice: if principal.role == Role::Patient {
                None
            } else {
                crate::billing::notice_for(ctx).await?
            },
            charts,
        })
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates a practice (in trial) and its first practice admin, who is signed in and must
    /// then set up two-step verification.
    async fn sign_up_practice(
        &self,
        ctx: &Context<'_>,
        input: SignUpPracticeInput,
    ) -> async_graphql::Result<SignUpPracticePayload> {
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let result = accounts::sign_up_practice(
            &services.db,
            services.passwords.as_ref(),
            PracticeSignUp {
                practice_name: input.practice_name,
                slug: input.slug,
                time_zone: input.time_zone,
                admin_name: input.admin_name,
                admin_email: input.admin_email,
                admin_password: input.admin_password,
            },
        )
        .await;
        let (tenant, admin) = match result {
            Ok(created) => created,
            Err(e) => {
                return UserError::from_core(e, &request_id).map(|user_errors| {
                    SignUpPracticePayload {
                        user_errors,
                        ..Default::default()
                    }
                });
            }
        };
        let tx = portico_core::TenantTx::begin(&services.db, &tenant.scope(), Access::Write)
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        let session = start_session(
            services,
            &tenant.tenant,
            &tx,
            &admin,
            Role::PracticeAdmin,
            &request_id,
            crate::identity::device_of(ctx),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        let session = session.deliver(ctx, &tenant.tenant.slug);
        Ok(SignUpPracticePayload {
            tenant: Some(TenantBranding::from(&tenant)),
            session: Some(session),
            user_errors: Vec::new(),
        })
    }

    /// Signs in to the practice this request is addressed to. Every failure (unknown email,
    /// wrong password or code, locked account) is the same `INVALID_CREDENTIALS`.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let services = ctx.services()?;
        let request = ctx.request()?;
        let request_id = request.request_id.clone();
        let tenant = ctx.tenant()?;
        let core = |e| ApiError::from_core(e, &request_id);
        let port = |e: portico_core::ports::PortError| {
            ApiError::from_core(CoreError::adapter(e), &request_id)
        };
        let email = input.email.trim().to_lowercase();
        let account_key = account_throttle_key(tenant.id(), &email);
        let ip_key = ip_throttle_key(request.client_ip);

        // Look the account up and verify the password before taking a writing transaction:
        // argon2 takes tens of milliseconds, and SQLite's write lock must not wait on it.
        let lookup = ctx.tenant_tx(Access::Read).await?;
        let user = accounts::find_by_email(&lookup, &email)
            .await
            .map_err(core)?;
        lookup.rollback().await.map_err(core)?;
        let mut locked = services
            .throttle
            .locked_for(&account_key)
            .await
            .map_err(port)?
            .is_some();
        if let Some(ip_key) = &ip_key {
            locked |= services
                .throttle
                .locked_for(ip_key)
                .await
                .map_err(port)?
                .is_some();
        }
        // Verify even when locked or unknown, so neither shows in the time taken.
        let hasher = Arc::clone(&services.passwords);
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let password = input.password;
        let password_ok =
            tokio::task::spawn_blocking(move || hasher.verify(&password, stored.as_deref()))
                .await
                .map_err(|e| port(portico_core::ports::PortError::new("argon2", e)))?;
        let tx = ctx.tenant_tx(Access::Write).await?;

        let user_id = user.as_ref().map(|u| u.id);
        let event = |action: &'static str| AuditAccess {
            action,
            resource_type: "User",
            resource_id: user_id,
            patient_id: None,
        };
        let actor = user
            .as_ref()
            .map_or_else(Actor::system, |u| {
                let actor = Actor::user(u.id);
                match Role::parse(&u.role) {
                    Some(role) => actor.with_role(role),
                    None => actor,
                }
            })
            .with_request(&request_id)
            .with_client(request.client_ip);

        let user = match user {
            Some(u) if password_ok && !locked => u,
            _ => {
                let mut action = if locked {
                    "auth.sign_in_locked"
                } else {
                    "auth.sign_in_failed"
                };
                if !locked {
                    let account_lock = services
                        .throttle
                        .record_failure(&account_key, &ACCOUNT_THROTTLE)
                        .await
                        .map_err(port)?;
                    if let Some(ip_key) = &ip_key {
                        services
                            .throttle
                            .record_failure(ip_key, &IP_THROTTLE)
                            .await
                            .map_err(port)?;
                    }
                    if account_lock.is_some() {
                        action = "auth.lockout";
                    }
                }
                audit::record(&tx, &actor, event(action))
                    .await
                    .map_err(core)?;
                tx.commit().await.map_err(core)?;
                return Err(ApiError::InvalidCredentials.into());
            }
        };
        if let Some(secret) = user
            .totp_secret
            .as_deref()
            .filter(|_| user.totp_enabled_at.is_some())
        {
            let offered = (input.totp_code.as_deref(), input.recovery_code.as_deref());
            let second_factor = match offered {
                (Some(code), _) => {
                    match services
                        .passwords
                        .verify_totp(secret, code, user.totp_last_step)
                    {
                        Some(step) => accounts::spend_totp_step(&tx, &user, step)
                            .await
                            .map_err(core)?,
                        None => false,
                    }
                }
                (None, Some(code)) => {
                    let used =
                        portico_core::recovery::consume(&tx, UserId::from_uuid(user.id), code)
                            .await
                            .map_err(core)?;
                    if used {
                        audit::record(&tx, &actor, event("auth.recovery_code_used"))
                            .await
                            .map_err(core)?;
                    }
                    used
                }
                (None, None) => {
                    tx.rollback().await.map_err(core)?;
                    return Err(ApiError::MfaRequired.into());
                }
            };
            if !second_factor {
                services
                    .throttle
                    .record_failure(&account_key, &ACCOUNT_THROTTLE)
                    .await
                    .map_err(port)?;
                audit::record(&tx, &actor, event("auth.sign_in_failed"))
                    .await
                    .map_err(core)?;
                tx.commit().await.map_err(core)?;
                return Err(ApiError::InvalidCredentials.into());
            }
        }
        services.throttle.clear(&account_key).await.map_err(port)?;
        let role = Role::parse(&user.role).ok_or(ApiError::InvalidCredentials)?;
        let session = start_session(
            services,
            &ctx.tenant()?.tenant,
            &tx,
            &user,
            role,
            &request_id,
            crate::identity::device_of(ctx),
        )
        .await?;
        audit::record(&tx, &actor, event("auth.sign_in"))
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        let session = session.deliver(ctx, &tenant.tenant.slug);
        Ok(SignInPayload { session })
    }

    /// Exchanges a refresh token for new tokens. A token used twice ends the session
    /// everywhere (it was copied), except a browser's retry with its cookie within 10 s of
    /// the first use while the token issued then is unused (a reload lost the answer).
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        input: RefreshSessionInput,
    ) -> async_graphql::Result<RefreshSessionPayload> {
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        // In browser mode the token may come from the practice's cookie instead; only such a
        // token gets the retry grace (a reload that lost the answer's cookie).
        let from_body = input.refresh_token.filter(|t| !t.is_empty());
        let retry_grace = from_body.is_none().then_some(sessions::BROWSER_RETRY_GRACE);
        let presented = from_body
            .or_else(|| crate::browser_session::of(ctx)?.refresh_cookie.clone())
            .ok_or(ApiError::Unauthenticated)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let rotated = sessions::rotate(&tx, &presented, retry_grace).await;
        let (user_id, next) = match rotated {
            Ok((user_id, next, rotation)) => {
                if rotation == sessions::Rotation::Retried {
                    audit::record(
                        &tx,
                        &Actor::system().with_request(&request_id),
                        AuditAccess {
                            action: "auth.refresh_retried",
                            resource_type: "Session",
                            resource_id: Some(next.family_id),
                            patient_id: None,
                        },
                    )
                    .await
                    .map_err(core)?;
                }
                (user_id, next)
            }
            Err(RefreshError::Reused { family_id }) => {
                let _ = services
                    .revocations
                    .revoke(family_id, services.tokens.access_ttl())
                    .await;
                audit::record(
                    &tx,
                    &Actor::system().with_request(&request_id),
                    AuditAccess {
                        action: "auth.refresh_reused",
                        resource_type: "Session",
                        resource_id: Some(family_id),
                        patient_id: None,
                    },
                )
                .await
                .map_err(core)?;
                tx.commit().await.map_err(core)?;
                crate::browser_session::clear_cookie(ctx);
                return Err(ApiError::Unauthenticated.into());
            }
            Err(RefreshError::Invalid | RefreshError::Expired) => {
                crate::browser_session::clear_cookie(ctx);
                return Err(ApiError::Unauthenticated.into());
            }
            Err(RefreshError::Core(e)) => return Err(core(e).into()),
        };
        let user = accounts::find_by_id(&tx, user_id)
            .await
            .map_err(core)?
            .ok_or(ApiError::Unauthenticated)?;
        let role = Role::parse(&user.role).ok_or(ApiError::Unauthenticated)?;
        let session = issue(
            services,
            &ctx.tenant()?.tenant,
            &tx,
            &user,
            role,
            next,
            &request_id,
        )?;
        tx.commit().await.map_err(core)?;
        let session = session.deliver(ctx, &ctx.tenant()?.tenant.slug);
        Ok(RefreshSessionPayload { session })
    }

    /// Starts setting up two-step verification: returns a new secret for an authenticator
    /// app. The secret in force (if any) keeps working until `confirmTotpEnrolment`; changing
    /// it needs a current code. Not available to API keys.
    async fn begin_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        input: Option<BeginTotpEnrolmentInput>,
    ) -> async_graphql::Result<BeginTotpEnrolmentPayload> {
        let principal = interactive_principal(ctx)?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tx = ctx.tenant_tx(Access::Write).await?;
        let user = accounts::find_by_id(&tx, principal.user_id)
            .await
            .map_err(core)?
            .ok_or(ApiError::Unauthenticated)?;
        if let (Some(secret), Some(_)) = (user.totp_secret.as_deref(), user.totp_enabled_at) {
            let code = input.and_then(|i| i.current_code).unwrap_or_default();
            let step = services
                .passwords
                .verify_totp(secret, &code, user.totp_last_step);
            let spent = match step {
                Some(step) => accounts::spend_totp_step(&tx, &user, step)
                    .await
                    .map_err(core)?,
                None => false,
            };
            if !spent {
                tx.rollback().await.map_err(core)?;
                return Ok(BeginTotpEnrolmentPayload {
                    enrolment: None,
                    user_errors: vec![UserError {
                        field: "currentCode".to_owned(),
                        code: "INVALID_TOTP_CODE".to_owned(),
                        message: "enter a current code from your app to replace it".to_owned(),
                    }],
                });
            }
        }
        let secret = services.passwords.new_totp_secret();
        let uri = services
            .passwords
            .totp_uri(&secret, &user.email)
            .ok_or_else(|| core(CoreError::adapter("TOTP URI")))?;
        accounts::begin_totp(&tx, &user, &secret)
            .await
            .map_err(core)?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "auth.mfa_enrolment_started",
                resource_type: "User",
                resource_id: Some(user.id),
                patient_id: None,
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(BeginTotpEnrolmentPayload {
            enrolment: Some(TotpEnrolment {
                secret,
                otpauth_uri: uri,
            }),
            user_errors: Vec::new(),
        })
    }

    /// Confirms the app works by checking one code; from then on sign-in asks for a code.
    /// Every other session of the account ends.
    async fn confirm_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        input: ConfirmTotpEnrolmentInput,
    ) -> async_graphql::Result<ConfirmTotpEnrolmentPayload> {
        let principal = interactive_principal(ctx)?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tx = ctx.tenant_tx(Access::Write).await?;
        let user = accounts::find_by_id(&tx, principal.user_id)
            .await
            .map_err(core)?
            .ok_or(ApiError::Unauthenticated)?;
        let Some(secret) = user.totp_pending_secret.clone() else {
            return Ok(ConfirmTotpEnrolmentPayload {
                user_errors: vec![UserError {
                    field: "code".to_owned(),
                    code: "TOTP_NOT_STARTED".to_owned(),
                    message: "start with beginTotpEnrolment".to_owned(),
                }],
                ..Default::default()
            });
        };
        let step = services
            .passwords
            .verify_totp(&secret, &input.code, user.totp_last_step);
        let spent = match step {
            Some(step) => accounts::spend_totp_step(&tx, &user, step)
                .await
                .map_err(core)?,
            None => false,
        };
        if !spent {
            tx.rollback().await.map_err(core)?;
            return Ok(ConfirmTotpEnrolmentPayload {
                user_errors: vec![UserError {
                    field: "code".to_owned(),
                    code: "INVALID_TOTP_CODE".to_owned(),
                    message: "that code is not right; check the app's clock and try again"
                        .to_owned(),
                }],
                ..Default::default()
            });
        }
        let user = accounts::enable_totp(&tx, &user).await.map_err(core)?;
        let recovery_codes = portico_core::recovery::regenerate(&tx, UserId::from_uuid(user.id))
            .await
            .map_err(core)?;
        // Sessions that began without this factor (or with the old one) end, everywhere.
        let families = sessions::families_of(&tx, principal.user_id)
            .await
            .map_err(core)?;
        for family in &families {
            sessions::revoke_family(&tx, *family).await.map_err(core)?;
        }
        let session = start_session(
            services,
            &ctx.tenant()?.tenant,
            &tx,
            &user,
            principal.role,
            &request_id,
            crate::identity::device_of(ctx),
        )
        .await?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "auth.mfa_enabled",
                resource_type: "User",
                resource_id: Some(user.id),
                patient_id: None,
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        for family in families {
            let _ = services
                .revocations
                .revoke(family, services.tokens.access_ttl())
                .await;
        }
        let session = session.deliver(ctx, &ctx.tenant()?.tenant.slug);
        Ok(ConfirmTotpEnrolmentPayload {
            session: Some(session),
            recovery_codes,
            user_errors: Vec::new(),
        })
    }

    /// Ends one of the signed-in person's sessions (another device, or this one): its refresh
    /// tokens stop working at once, its access token too. Another person's session, or one
    /// already ended, is `NOT_FOUND`.
    async fn end_session(
        &self,
        ctx: &Context<'_>,
        input: EndSessionInput,
    ) -> async_graphql::Result<EndSessionPayload> {
        let principal = interactive_principal(ctx)?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let family = crate::global_id::parse("Session", "sessionId", &input.session_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        sessions::end_of(&tx, principal.user_id, family)
            .await
            .map_err(core)?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "auth.session_ended",
                resource_type: "Session",
                resource_id: Some(family),
                patient_id: None,
            },
        )
        .await
        .map_err(core)?;
        services
            .revocations
            .revoke(family, services.tokens.access_ttl())
            .await
            .map_err(|e| core(CoreError::adapter(e)))?;
        tx.commit().await.map_err(core)?;
        if family == principal.session_id {
            crate::browser_session::clear_cookie(ctx);
        }
        Ok(EndSessionPayload {
            ended_session_id: input.session_id,
            user_errors: Vec::new(),
        })
    }

    /// Changes the signed-in person's password. The current one is checked (wrong:
    /// `INVALID_CURRENT_PASSWORD`; failures count towards the same lock-out as `signIn`'s,
    /// and while locked it is `RATE_LIMITED`); the new one meets the same rules as
    /// `resetPassword` (`PASSWORD_TOO_SHORT`, ...). Every other session of the account ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<ChangePasswordPayload> {
        let principal = interactive_principal(ctx)?;
        let services = ctx.services()?;
        let request = ctx.request()?;
        let request_id = request.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let port = |e: portico_core::ports::PortError| {
            ApiError::from_core(CoreError::adapter(e), &request_id)
        };
        let refuse = |field: &str, code: &str, message: String| ChangePasswordPayload {
            user_errors: vec![UserError {
                field: field.to_owned(),
                code: code.to_owned(),
                message,
            }],
            ..Default::default()
        };
        let lookup = ctx.tenant_tx(Access::Read).await?;
        let user = accounts::find_by_id(&lookup, principal.user_id)
            .await
            .map_err(core)?
            .ok_or(ApiError::Unauthenticated)?;
        lookup.rollback().await.map_err(core)?;
        if let Err(e) = services
            .passwords
            .check_policy(&input.new_password, &[&user.email, &user.display_name])
        {
            return Ok(refuse("newPassword", e.code(), e.to_string()));
        }
        let account_key = account_throttle_key(principal.tenant_id, &user.email);
        let ip_key = ip_throttle_key(request.client_ip);
        for key in std::iter::once(&account_key).chain(ip_key.iter()) {
            if let Some(wait) = services.throttle.locked_for(key).await.map_err(port)? {
                return Err(ApiError::RateLimited {
                    retry_after_secs: wait.as_secs().max(1),
                }
                .into());
            }
        }
        // argon2 twice (verify, hash) outside any transaction: SQLite's write lock must not
        // wait on it.
        let hasher = Arc::clone(&services.passwords);
        let stored = user.password_hash.clone();
        let (current, new) = (input.current_password, input.new_password);
        let checked = tokio::task::spawn_blocking(move || {
            if hasher.verify(&current, stored.as_deref()) {
                hasher.hash(&new).map(Some)
            } else {
                Ok(None)
            }
        })
        .await
        .map_err(|e| port(portico_core::ports::PortError::new("argon2", e)))?
        .map_err(port)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let event = |action: &'static str| AuditAccess {
            action,
            resource_type: "User",
            resource_id: Some(user.id),
            patient_id: None,
        };
        let Some(hash) = checked else {
            services
                .throttle
                .record_failure(&account_key, &ACCOUNT_THROTTLE)
                .await
                .map_err(port)?;
            if let Some(ip_key) = &ip_key {
                services
                    .throttle
                    .record_failure(ip_key, &IP_THROTTLE)
                    .await
                    .map_err(port)?;
            }
            audit::record(
                &tx,
                &ctx.actor(&principal),
                event("auth.password_change_failed"),
            )
            .await
            .map_err(core)?;
            tx.commit().await.map_err(core)?;
            return Ok(refuse(
                "currentPassword",
                "INVALID_CURRENT_PASSWORD",
                "that is not your current password".to_owned(),
            ));
        };
        services.throttle.clear(&account_key).await.map_err(port)?;
        accounts::set_password_hash(&tx, &user, hash)
            .await
            .map_err(core)?;
        let others: Vec<uuid::Uuid> = sessions::families_of(&tx, principal.user_id)
            .await
            .map_err(core)?
            .into_iter()
            .filter(|f| *f != principal.session_id)
            .collect();
        for family in &others {
            sessions::revoke_family(&tx, *family).await.map_err(core)?;
            services
                .revocations
                .revoke(*family, services.tokens.access_ttl())
                .await
                .map_err(port)?;
        }
        audit::record(&tx, &ctx.actor(&principal), event("auth.password_changed"))
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(ChangePasswordPayload {
            changed: true,
            ended_sessions: i32::try_from(others.len()).unwrap_or(i32::MAX),
            user_errors: Vec::new(),
        })
    }

    /// Ends this session: its refresh tokens stop working at once, its access token too.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        let principal = ctx.principal()?.clone();
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tx = ctx.tenant_tx(Access::Write).await?;
        sessions::revoke_family(&tx, principal.session_id)
            .await
            .map_err(core)?;
        services
            .revocations
            .revoke(principal.session_id, services.tokens.access_ttl())
            .await
            .map_err(|e| core(CoreError::adapter(e)))?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "auth.sign_out",
                resource_type: "Session",
                resource_id: Some(principal.session_id),
                patient_id: None,
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        crate::browser_session::clear_cookie(ctx);
        Ok(SignOutPayload { signed_out: true })
    }
}

/// The coarse device of the request ("Chrome · Linux"), kept with a session it starts.
pub(crate) fn device_of(ctx: &Context<'_>) -> String {
    sessions::describe_device(ctx.request().ok().and_then(|r| r.user_agent.as_deref()))
}

/// The throttle key of an account's sign-in failures (by its email, so an unknown address is
/// throttled like a known one).
pub(crate) fn account_throttle_key(tenant: portico_core::TenantId, email: &str) -> String {
    format!(
        "signin:{tenant}:{}",
        hex::encode(&Sha256::digest(email.trim().to_lowercase().as_bytes())[..16])
    )
}

/// The throttle key of one address's sign-in failures.
pub(crate) fn ip_throttle_key(ip: Option<std::net::IpAddr>) -> Option<String> {
    ip.map(|ip| format!("signin-ip:{ip}"))
}

/// The signed-in person, when they signed in themselves: an API key cannot change how its
/// creator signs in.
pub(crate) fn interactive_principal(ctx: &Context<'_>) -> Result<SessionClaims, ApiError> {
    let principal = ctx.principal()?.clone();
    if principal.api_key_id.is_some() {
        return Err(ApiError::Forbidden);
    }
    Ok(principal)
}

pub(crate) async fn start_session(
    services: &Services,
    tenant: &portico_core::entities::tenant::Model,
    tx: &portico_core::TenantTx,
    user: &user::Model,
    role: Role,
    request_id: &str,
    device: String,
) -> Result<Session, ApiError> {
    let refresh = sessions::start(
        tx,
        UserId::from_uuid(user.id),
        &services.sessions.policy(tenant, role),
        &device,
    )
    .await
    .map_err(|e| ApiError::from_core(e, request_id))?;
    issue(services, tenant, tx, user, role, refresh, request_id)
}

fn issue(
    services: &Services,
    tenant: &portico_core::entities::tenant::Model,
    tx: &portico_core::TenantTx,
    user: &user::Model,
    role: Role,
    refresh: sessions::IssuedRefresh,
    request_id: &str,
) -> Result<Session, ApiError> {
    let now = Utc::now().timestamp();
    let ttl = services
        .tokens
        .access_ttl()
        .min(services.sessions.policy(tenant, role).idle_timeout);
    let mfa = if role.requires_mfa() && user.totp_enabled_at.is_none() {
        MfaState::EnrolmentRequired
    } else {
        MfaState::Satisfied
    };
    let claims = SessionClaims {
        tenant_id: tx.tenant_id(),
        user_id: UserId::from_uuid(user.id),
        session_id: refresh.family_id,
        role,
        mfa,
        issued_at: now,
        expires_at: now + i64::try_from(ttl.as_secs()).unwrap_or(900),
        api_key_id: None,
    };
    let access = services
        .tokens
        .issue(&claims)
        .map_err(|e| ApiError::from_core(CoreError::adapter(e), request_id))?;
    Ok(Session {
        access_token: access.token,
        access_token_expires_at: timestamp(access.expires_at),
        refresh_token: refresh.token,
        refresh_token_expires_at: refresh.idle_expires_at,
        mfa_enrolment_required: mfa == MfaState::EnrolmentRequired,
    })
}

fn timestamp(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}
