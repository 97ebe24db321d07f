//! Passkeys (WebAuthn): registering them while signed in, listing and removing one's own,
//! and signing in with one alone (a user-verified, discoverable passkey is two factors).
//!
//! The relying party is the page's `Origin`, accepted only when it is Portico's public URL,
//! the practice's own host (`{slug}.{base_domain}`) or its custom domain; anything else is
//! `ORIGIN_NOT_ALLOWED`. The RP ID is that origin's host, and a passkey only ever works
//! there: one made at `http://localhost:8080/t/{slug}/` does not sign in at
//! `http://{slug}.localhost:8080`.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreError, UserId, accounts,
    audit::{self, Access as AuditAccess, Actor},
    entities::passkey,
    identity::{MfaState, Role},
    passkeys::{self, Ceremony},
    ports::{PasskeyError, PortError, RelyingParty},
    tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    identity::{
        ACCOUNT_THROTTLE, IP_THROTTLE, Session, account_throttle_key, interactive_principal,
        ip_throttle_key, start_session,
    },
    user_error::UserError,
};

/// A passkey of the signed-in person.
#[derive(SimpleObject)]
pub struct Passkey {
    /// A global `Passkey` id.
    id: ID,
    /// The name the person gave it ("Work laptop").
    name: String,
    created_at: DateTime<Utc>,
    /// The last sign-in with it (`null` until first used).
    last_used_at: Option<DateTime<Utc>>,
}

impl From<passkey::Model> for Passkey {
    fn from(p: passkey::Model) -> Self {
        Self {
            id: crate::global_id::encode("Passkey", p.id),
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

#[derive(SimpleObject, Default)]
pub struct BeginPasskeyRegistrationPayload {
    /// Pass back to `finishPasskeyRegistration` within 5 minutes; answered once.
    registration_id: Option<ID>,
    /// The `CreationChallengeResponse` of webauthn-rs: `{"publicKey": {rp: {id, name},
    /// user: {id, name, displayName}, challenge, pubKeyCredParams: [{type, alg}], timeout,
    /// excludeCredentials?: [{type, id}], authenticatorSelection: {residentKey: "required",
    /// requireResidentKey: true, userVerification: "required"}, attestation: "none",
    /// extensions}}`. `user.id`, `challenge` and each `excludeCredentials[].id` are base64url
    /// (no padding): turn them into ArrayBuffers, then call
    /// `navigator.credentials.create({ publicKey })`.
    options: Option<Json<serde_json::Value>>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct FinishPasskeyRegistrationInput {
    registration_id: ID,
    /// What to call it, 1 to 64 characters ("Work laptop").
    name: String,
    /// The `PublicKeyCredential` that `create()` returned, as JSON with its binary fields
    /// base64url-encoded: `{id, rawId, type: "public-key", response: {clientDataJSON,
    /// attestationObject, transports?}, clientExtensionResults?}` (what
    /// `credential.toJSON()` gives).
    credential: Json<serde_json::Value>,
}

#[derive(SimpleObject, Default)]
pub struct FinishPasskeyRegistrationPayload {
    passkey: Option<Passkey>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemovePasskeyInput {
    passkey_id: ID,
}

#[derive(SimpleObject, Default)]
pub struct RemovePasskeyPayload {
    removed_passkey_id: Option<ID>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct BeginPasskeySignInPayload {
    /// Pass back to `finishPasskeySignIn` within 5 minutes; answered once.
    sign_in_id: Option<ID>,
    /// The `RequestChallengeResponse` of webauthn-rs: `{"publicKey": {challenge, timeout,
    /// rpId, allowCredentials: [], userVerification: "required", extensions?}}`.
    /// `challenge` is base64url: turn it into an ArrayBuffer, then call
    /// `navigator.credentials.get({ publicKey })` (add `mediation: "conditional"` for
    /// autofill). No account is named: the browser offers the passkeys it has for this site.
    options: Option<Json<serde_json::Value>>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct FinishPasskeySignInInput {
    sign_in_id: ID,
    /// The `PublicKeyCredential` that `get()` returned, as JSON with its binary fields
    /// base64url-encoded: `{id, rawId, type: "public-key", response: {clientDataJSON,
    /// authenticatorData, signature, userHandle}, clientExtensionResults?}` (what
    /// `credential.toJSON()` gives).
    credential: Json<serde_json::Value>,
}

#[derive(SimpleObject, Default)]
pub struct FinishPasskeySignInPayload {
    /// As `signIn` gives it (in browser mode the refresh token is in the cookie).
    session: Option<Session>,
    user_errors: Vec<UserError>,
}

fn user_error(field: &str, code: &str, message: &str) -> Vec<UserError> {
    vec![UserError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }]
}

fn origin_not_allowed() -> Vec<UserError> {
    user_error(
        "origin",
        "ORIGIN_NOT_ALLOWED",
        "passkeys work only on this practice's own pages",
    )
}

fn challenge_expired(field: &str) -> Vec<UserError> {
    user_error(
        field,
        "CHALLENGE_EXPIRED",
        "this passkey request has run out or was already used; start again",
    )
}

fn passkey_rejected() -> Vec<UserError> {
    user_error(
        "credential",
        "PASSKEY_REJECTED",
        "that passkey was not accepted here",
    )
}

/// The relying party for the request's `Origin`, when it is one of the practice's: Portico's
/// public URL, `{slug}.{base_domain}` with the public URL's scheme and port, or its custom
/// domain (https, or the public URL's scheme and port). `None` for any other origin.
fn relying_party(ctx: &Context<'_>) -> Result<Option<RelyingParty>, ApiError> {
    let services = ctx.services()?;
    let tenant = &ctx.tenant()?.tenant;
    let Some(origin) = ctx
        .request()?
        .origin
        .as_deref()
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
    else {
        return Ok(None);
    };
    let Ok(public) = url::Url::parse(&services.public_url) else {
        return Ok(None);
    };
    let port = public.port().map(|p| format!(":{p}")).unwrap_or_default();
    let scheme = public.scheme();
    let mut allowed = vec![
        format!("{scheme}://{}.{}{port}", tenant.slug, services.base_domain),
        services.public_url.clone(),
    ];
    if let Some(domain) = &tenant.custom_domain {
        allowed.push(format!("https://{domain}"));
        allowed.push(format!("{scheme}://{domain}{port}"));
    }
    let allowed: Vec<url::Origin> = allowed
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin())
        .collect();
    if !allowed.contains(&origin) {
        return Ok(None);
    }
    let url::Origin::Tuple(_, url::Host::Domain(host), _) = &origin else {
        // An address is never a relying party.
        return Ok(None);
    };
    Ok(Some(RelyingParty {
        id: host.clone(),
        origin: origin.ascii_serialization(),
        name: tenant.display_name.clone(),
    }))
}

/// Passkey sign-ins one address may start a minute, and one practice: each start stores a
/// challenge for five minutes, and no one signs in that often.
const SIGN_IN_STARTS_PER_ADDRESS: u32 = 30;
const SIGN_IN_STARTS_PER_PRACTICE: u32 = 600;

/// `RATE_LIMITED` past either limit of [`begin_passkey_sign_in`].
async fn limit_sign_in_starts(ctx: &Context<'_>) -> Result<(), ApiError> {
    let services = ctx.services()?;
    let request = ctx.request()?;
    let tenant = ctx.tenant()?.id();
    let mut keys = vec![(
        format!("passkey-start:{tenant}"),
        SIGN_IN_STARTS_PER_PRACTICE,
    )];
    if let Some(ip) = request.client_ip {
        keys.push((format!("passkey-start-ip:{ip}"), SIGN_IN_STARTS_PER_ADDRESS));
    }
    for (key, limit) in keys {
        let decision = services
            .rate_limiter
            .hit(&key, limit, std::time::Duration::from_secs(60))
            .await
            .map_err(|e| ApiError::from_core(CoreError::adapter(e), &request.request_id))?;
        if let portico_core::ports::RateDecision::Limited { retry_after } = decision {
            return Err(ApiError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            });
        }
    }
    Ok(())
}

fn adapter(e: PasskeyError, request_id: &str) -> ApiError {
    ApiError::from_core(CoreError::adapter(e), request_id)
}

#[derive(Default)]
pub struct PasskeysQuery;

#[Object]
impl PasskeysQuery {
    /// The signed-in person's passkeys, oldest first.
    async fn my_passkeys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Passkey>> {
        let principal = interactive_principal(ctx)?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tx = ctx.tenant_tx(Access::Read).await?;
        let found = passkeys::of_user(&tx, principal.user_id)
            .await
            .map_err(core)?;
        tx.rollback().await.map_err(core)?;
        Ok(found.into_iter().map(Passkey::from).collect())
    }
}

#[derive(Default)]
pub struct PasskeysMutation;

#[Object]
impl PasskeysMutation {
    /// Starts making a passkey for the signed-in person on this device (the page's origin
    /// must be the practice's: `ORIGIN_NOT_ALLOWED` otherwise).
    async fn begin_passkey_registration(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BeginPasskeyRegistrationPayload> {
        let principal = interactive_principal(ctx)?;
        if principal.mfa == MfaState::EnrolmentRequired {
            return Err(ApiError::MfaEnrolmentRequired.into());
        }
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let Some(rp) = relying_party(ctx)? else {
            return Ok(BeginPasskeyRegistrationPayload {
                user_errors: origin_not_allowed(),
                ..Default::default()
            });
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let user = accounts::find_by_id(&tx, principal.user_id)
            .await
            .map_err(core)?
            .ok_or(ApiError::Unauthenticated)?;
        let exclude: Vec<String> = passkeys::of_user(&tx, principal.user_id)
            .await
            .map_err(core)?
            .into_iter()
            .filter(|p| p.rp_id == rp.id)
            .map(|p| p.credential_id)
            .collect();
        let challenge = match services.passkeys.begin_registration(
            &rp,
            user.id,
            &user.email,
            &user.display_name,
            &exclude,
        ) {
            Ok(c) => c,
            Err(PasskeyError::Origin) => {
                tx.rollback().await.map_err(core)?;
                return Ok(BeginPasskeyRegistrationPayload {
                    user_errors: origin_not_allowed(),
                    ..Default::default()
                });
            }
            Err(e) => return Err(adapter(e, &request_id).into()),
        };
        let id = passkeys::save_challenge(
            &tx,
            Ceremony::Register,
            Some(principal.user_id),
            &rp,
            challenge.state,
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(BeginPasskeyRegistrationPayload {
            registration_id: Some(crate::global_id::encode("PasskeyRegistration", id)),
            options: Some(Json(challenge.options)),
            user_errors: Vec::new(),
        })
    }

    /// Checks the new passkey against its registration and keeps it under `name`.
    /// `NAME_REQUIRED` / `NAME_TOO_LONG` change nothing; `CHALLENGE_EXPIRED` when the
    /// registration ran out or was answered; `PASSKEY_REJECTED` when the browser's answer
    /// does not hold (the registration is then spent).
    async fn finish_passkey_registration(
        &self,
        ctx: &Context<'_>,
        input: FinishPasskeyRegistrationInput,
    ) -> async_graphql::Result<FinishPasskeyRegistrationPayload> {
        let principal = interactive_principal(ctx)?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let registration = crate::global_id::parse(
            "PasskeyRegistration",
            "registrationId",
            &input.registration_id,
        )?;
        if let Err(e) = passkeys::normalize_name(&input.name) {
            return Ok(FinishPasskeyRegistrationPayload {
                user_errors: UserError::from_core(e, &request_id)?,
                ..Default::default()
            });
        }
        let tx = ctx.tenant_tx(Access::Write).await?;
        let Some(challenge) = passkeys::take_challenge(
            &tx,
            registration,
            Ceremony::Register,
            Some(principal.user_id),
        )
        .await
        .map_err(core)?
        else {
            tx.commit().await.map_err(core)?;
            return Ok(FinishPasskeyRegistrationPayload {
                user_errors: challenge_expired("registrationId"),
                ..Default::default()
            });
        };
        let rp = passkeys::relying_party(&challenge, &ctx.tenant()?.tenant.display_name);
        let registered =
            match services
                .passkeys
                .finish_registration(&rp, &challenge.state, &input.credential.0)
            {
                Ok(r) => r,
                Err(PasskeyError::Port(e)) => return Err(adapter(e.into(), &request_id).into()),
                Err(_) => {
                    tx.commit().await.map_err(core)?;
                    return Ok(FinishPasskeyRegistrationPayload {
                        user_errors: passkey_rejected(),
                        ..Default::default()
                    });
                }
            };
        let added = passkeys::add(&tx, principal.user_id, &input.name, &rp.id, registered).await;
        let added = match added {
            Ok(p) => p,
            Err(e @ CoreError::Invalid { .. }) => {
                tx.commit().await.map_err(core)?;
                return Ok(FinishPasskeyRegistrationPayload {
                    user_errors: UserError::from_core(e, &request_id)?,
                    ..Default::default()
                });
            }
            Err(e) => return Err(core(e).into()),
        };
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "auth.passkey_added",
                resource_type: "Passkey",
                resource_id: Some(added.id),
                patient_id: None,
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(FinishPasskeyRegistrationPayload {
            passkey: Some(Passkey::from(added)),
            user_errors: Vec::new(),
        })
    }

    /// Removes one of the signed-in person's passkeys; it no longer signs in. Someone else's
    /// (or an unknown one) is `NOT_FOUND`.
    async fn remove_passkey(
        &self,
        ctx: &Context<'_>,
        input: RemovePasskeyInput,
    ) -> async_graphql::Result<RemovePasskeyPayload> {
        let principal = interactive_principal(ctx)?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let id = crate::global_id::parse("Passkey", "passkeyId", &input.passkey_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        passkeys::remove(&tx, principal.user_id, id)
            .await
            .map_err(core)?;
        audit::record(
            &tx,
            &ctx.actor(&principal),
            AuditAccess {
                action: "auth.passkey_removed",
                resource_type: "Passkey",
                resource_id: Some(id),
                patient_id: None,
            },
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(RemovePasskeyPayload {
            removed_passkey_id: Some(input.passkey_id),
            user_errors: Vec::new(),
        })
    }

    /// Starts a sign-in with a passkey at the practice this request is addressed to; no
    /// account is named (the passkey names it). At most 30 a minute from one address and
    /// 600 at one practice (`RATE_LIMITED`).
    async fn begin_passkey_sign_in(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BeginPasskeySignInPayload> {
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        limit_sign_in_starts(ctx).await?;
        let Some(rp) = relying_party(ctx)? else {
            return Ok(BeginPasskeySignInPayload {
                user_errors: origin_not_allowed(),
                ..Default::default()
            });
        };
        let challenge = match services.passkeys.begin_sign_in(&rp) {
            Ok(c) => c,
            Err(PasskeyError::Origin) => {
                return Ok(BeginPasskeySignInPayload {
                    user_errors: origin_not_allowed(),
                    ..Default::default()
                });
            }
            Err(e) => return Err(adapter(e, &request_id).into()),
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let id = passkeys::save_challenge(&tx, Ceremony::SignIn, None, &rp, challenge.state)
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        Ok(BeginPasskeySignInPayload {
            sign_in_id: Some(crate::global_id::encode("PasskeySignIn", id)),
            options: Some(Json(challenge.options)),
            user_errors: Vec::new(),
        })
    }

    /// Signs in with the passkey the browser chose. Every refusal about the passkey or its
    /// account (unknown, removed, another practice's or another site's, a bad signature, an
    /// account locked after failed sign-ins) is the same `PASSKEY_REJECTED`; failures count
    /// towards the same lock-outs as `signIn`'s.
    async fn finish_passkey_sign_in(
        &self,
        ctx: &Context<'_>,
        input: FinishPasskeySignInInput,
    ) -> async_graphql::Result<FinishPasskeySignInPayload> {
        let services = ctx.services()?;
        let request = ctx.request()?;
        let request_id = request.request_id.clone();
        let tenant = ctx.tenant()?;
        let core = |e| ApiError::from_core(e, &request_id);
        let port = |e: PortError| ApiError::from_core(CoreError::adapter(e), &request_id);
        let sign_in = crate::global_id::parse("PasskeySignIn", "signInId", &input.sign_in_id)?;
        let ip_key = ip_throttle_key(request.client_ip);

        let tx = ctx.tenant_tx(Access::Write).await?;
        let Some(challenge) = passkeys::take_challenge(&tx, sign_in, Ceremony::SignIn, None)
            .await
            .map_err(core)?
        else {
            tx.commit().await.map_err(core)?;
            return Ok(FinishPasskeySignInPayload {
                user_errors: challenge_expired("signInId"),
                ..Default::default()
            });
        };
        let rp = passkeys::relying_party(&challenge, &tenant.tenant.display_name);
        let credential = &input.credential.0;
        let claimed = services.passkeys.identify(credential).ok();
        let found = match &claimed {
            Some(c) => passkeys::by_credential(&tx, &c.credential_id, &rp.id)
                .await
                .map_err(core)?
                .filter(|p| p.user_id == c.user_handle),
            None => None,
        };
        let user = match &found {
            Some(p) => accounts::find_by_id(&tx, UserId::from_uuid(p.user_id))
                .await
                .map_err(core)?
                .filter(|u| u.status == "active"),
            None => None,
        };
        let account_key = user
            .as_ref()
            .map(|u| account_throttle_key(tenant.id(), &u.email));
        let mut locked = false;
        for key in account_key.iter().chain(ip_key.iter()) {
            locked |= services
                .throttle
                .locked_for(key)
                .await
                .map_err(port)?
                .is_some();
        }
        let verified = match (&found, &user) {
            (Some(p), Some(_)) if !locked => {
                match services.passkeys.finish_sign_in(
                    &rp,
                    &challenge.state,
                    credential,
                    &p.credential,
                ) {
                    Ok(updated) => Some(updated),
                    Err(PasskeyError::Port(e)) => return Err(port(e).into()),
                    Err(_) => None,
                }
            }
            _ => None,
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
        let event = |action: &'static str| AuditAccess {
            action,
            resource_type: "User",
            resource_id: user.as_ref().map(|u| u.id),
            patient_id: None,
        };
        let (Some(updated), Some(passkey), Some(user)) = (verified, found, user.clone()) else {
            let mut action = if locked {
                "auth.sign_in_locked"
            } else {
                "auth.passkey_sign_in_failed"
            };
            if !locked {
                if let Some(key) = &account_key {
                    let lock = services
                        .throttle
                        .record_failure(key, &ACCOUNT_THROTTLE)
                        .await
                        .map_err(port)?;
                    if lock.is_some() {
                        action = "auth.lockout";
                    }
                }
                if let Some(key) = &ip_key {
                    services
                        .throttle
                        .record_failure(key, &IP_THROTTLE)
                        .await
                        .map_err(port)?;
                }
            }
            audit::record(&tx, &actor, event(action))
                .await
                .map_err(core)?;
            tx.commit().await.map_err(core)?;
            return Ok(FinishPasskeySignInPayload {
                user_errors: passkey_rejected(),
                ..Default::default()
            });
        };
        passkeys::record_use(&tx, passkey.id, updated)
            .await
            .map_err(core)?;
        if let Some(key) = &account_key {
            services.throttle.clear(key).await.map_err(port)?;
        }
        let role = Role::parse(&user.role).ok_or(ApiError::InvalidCredentials)?;
        let session = start_session(
            services,
            &tenant.tenant,
            &tx,
            &user,
            role,
            &request_id,
            crate::identity::device_of(ctx),
        )
        .await?;
        audit::record(&tx, &actor, event("auth.passkey_sign_in"))
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        let session = session.deliver(ctx, &tenant.tenant.slug);
        Ok(FinishPasskeySignInPayload {
            session: Some(session),
            user_errors: Vec::new(),
        })
    }
}
