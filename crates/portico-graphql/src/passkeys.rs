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
    CoreError, accounts,
    audit::{self, Access as AuditAccess},
    entities::passkey,
    identity::MfaState,
    passkeys::{self, Ceremony},
    ports::{PasskeyError, RelyingParty},
    sign_in::{self, PasskeyAttempt, PasskeyVerdict},
    tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    identity::{Session, device_of, interactive_principal, start_session},
    run::{Need, OutcomeExt, Payload, Run, refusable},
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

refusable!(
    BeginPasskeyRegistrationPayload,
    FinishPasskeyRegistrationPayload,
    RemovePasskeyPayload,
    BeginPasskeySignInPayload,
    FinishPasskeySignInPayload
);

fn user_error(field: &str, code: &str, message: &str) -> Vec<UserError> {
    vec![UserError::new(field, code, message)]
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
            .map_err(|e| ctx.fail(CoreError::adapter(e)))?;
        if let portico_core::ports::RateDecision::Limited { retry_after } = decision {
            return Err(ApiError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            });
        }
    }
    Ok(())
}

/// A ceremony's failure that is Portico's, not the browser's.
fn adapter(e: PasskeyError) -> CoreError {
    CoreError::adapter(e)
}

/// The signed-in person may manage their passkeys (not an API key, nor a staff member who
/// has yet to set up two-step verification).
fn passkey_owner(ctx: &Context<'_>) -> Result<(), ApiError> {
    if interactive_principal(ctx)?.mfa == MfaState::EnrolmentRequired {
        return Err(ApiError::MfaEnrolmentRequired);
    }
    Ok(())
}

#[derive(Default)]
pub struct PasskeysQuery;

#[Object]
impl PasskeysQuery {
    /// The signed-in person's passkeys, oldest first.
    async fn my_passkeys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Passkey>> {
        interactive_principal(ctx)?;
        let found = ctx
            .run(Need::signed_in(), Access::Read, async |tx, caller| {
                passkeys::of_user(tx, caller.principal.user_id).await
            })
            .await?;
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
        passkey_owner(ctx)?;
        let ceremonies = ctx.services()?.passkeys.as_ref();
        let Some(rp) = relying_party(ctx)? else {
            return Ok(BeginPasskeyRegistrationPayload::refused(
                origin_not_allowed(),
            ));
        };
        let begun = ctx
            .run(Need::signed_in(), Access::Write, async |tx, caller| {
                let me = caller.principal.user_id;
                let Some(user) = accounts::find_by_id(tx, me).await? else {
                    return Ok(None);
                };
                let exclude: Vec<String> = passkeys::of_user(tx, me)
                    .await?
                    .into_iter()
                    .filter(|p| p.rp_id == rp.id)
                    .map(|p| p.credential_id)
                    .collect();
                let challenge = match ceremonies.begin_registration(
                    &rp,
                    user.id,
                    &user.email,
                    &user.display_name,
                    &exclude,
                ) {
                    Ok(c) => c,
                    Err(PasskeyError::Origin) => return Ok(Some(Err(origin_not_allowed()))),
                    Err(e) => return Err(adapter(e)),
                };
                let state = challenge.state;
                let id =
                    passkeys::save_challenge(tx, Ceremony::Register, Some(me), &rp, state).await?;
                Ok(Some(Ok((id, challenge.options))))
            })
            .await?;
        let begun = begun.ok_or(ApiError::Unauthenticated)?;
        Ok(
            begun.payload(|(id, options)| BeginPasskeyRegistrationPayload {
                registration_id: Some(crate::global_id::encode("PasskeyRegistration", id)),
                options: Some(Json(options)),
                user_errors: Vec::new(),
            }),
        )
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
        interactive_principal(ctx)?;
        let ceremonies = ctx.services()?.passkeys.as_ref();
        let registration = crate::global_id::parse(
            "PasskeyRegistration",
            "registrationId",
            &input.registration_id,
        )?;
        if let Err(e) = passkeys::normalize_name(&input.name) {
            return Ok(FinishPasskeyRegistrationPayload::refused(
                UserError::of_input(e).map_err(|e| ctx.fail(e))?,
            ));
        }
        let practice_name = &ctx.tenant()?.tenant.display_name;
        // Refusals are kept (committed): the registration is spent either way.
        let added = ctx
            .run(Need::signed_in(), Access::Write, async |tx, caller| {
                let me = caller.principal.user_id;
                let taken =
                    passkeys::take_challenge(tx, registration, Ceremony::Register, Some(me))
                        .await?;
                let Some(challenge) = taken else {
                    return Ok(Err(challenge_expired("registrationId")));
                };
                let rp = passkeys::relying_party(&challenge, practice_name);
                let credential = &input.credential.0;
                let registered =
                    match ceremonies.finish_registration(&rp, &challenge.state, credential) {
                        Ok(r) => r,
                        Err(PasskeyError::Port(e)) => return Err(adapter(e.into())),
                        Err(_) => return Ok(Err(passkey_rejected())),
                    };
                let added = match passkeys::add(tx, me, &input.name, &rp.id, registered).await {
                    Ok(p) => p,
                    Err(e @ CoreError::Invalid { .. }) => {
                        return Ok(Err(UserError::of_input(e)?));
                    }
                    Err(e) => return Err(e),
                };
                let event = AuditAccess {
                    action: "auth.passkey_added",
                    resource_type: "Passkey",
                    resource_id: Some(added.id),
                    patient_id: None,
                };
                audit::record(tx, &caller.actor, event).await?;
                Ok(Ok(added))
            })
            .await?;
        Ok(added.payload(|added| FinishPasskeyRegistrationPayload {
            passkey: Some(Passkey::from(added)),
            user_errors: Vec::new(),
        }))
    }

    /// Removes one of the signed-in person's passkeys; it no longer signs in. Someone else's
    /// (or an unknown one) is `NOT_FOUND`.
    async fn remove_passkey(
        &self,
        ctx: &Context<'_>,
        input: RemovePasskeyInput,
    ) -> async_graphql::Result<RemovePasskeyPayload> {
        interactive_principal(ctx)?;
        let id = crate::global_id::parse("Passkey", "passkeyId", &input.passkey_id)?;
        ctx.run(Need::signed_in(), Access::Write, async |tx, caller| {
            passkeys::remove(tx, caller.principal.user_id, id).await?;
            let event = AuditAccess {
                action: "auth.passkey_removed",
                resource_type: "Passkey",
                resource_id: Some(id),
                patient_id: None,
            };
            audit::record(tx, &caller.actor, event).await
        })
        .await?;
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
        let ceremonies = ctx.services()?.passkeys.as_ref();
        limit_sign_in_starts(ctx).await?;
        let Some(rp) = relying_party(ctx)? else {
            return Ok(BeginPasskeySignInPayload::refused(origin_not_allowed()));
        };
        let challenge = match ceremonies.begin_sign_in(&rp) {
            Ok(c) => c,
            Err(PasskeyError::Origin) => {
                return Ok(BeginPasskeySignInPayload::refused(origin_not_allowed()));
            }
            Err(e) => return Err(ctx.fail(adapter(e)).into()),
        };
        let state = challenge.state;
        let id = ctx
            .run_public(Access::Write, async |tx, _| {
                passkeys::save_challenge(tx, Ceremony::SignIn, None, &rp, state).await
            })
            .await?;
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
        let practice = ctx.tenant()?;
        let sign_in = crate::global_id::parse("PasskeySignIn", "signInId", &input.sign_in_id)?;
        let attempt = PasskeyAttempt {
            sign_in,
            credential: &input.credential.0,
            tenant: practice.id(),
            practice_name: &practice.tenant.display_name,
            client_ip: ctx.request()?.client_ip,
        };
        let device = device_of(ctx);
        let signed_in = ctx
            .run_public(Access::Write, async |tx, actor| {
                let throttle = services.throttle.as_ref();
                let ceremonies = services.passkeys.as_ref();
                Ok(
                    match sign_in::with_passkey(tx, throttle, ceremonies, attempt, actor).await? {
                        PasskeyVerdict::SignedIn { user, role } => Ok(Ok(start_session(
                            services,
                            &practice.tenant,
                            tx,
                            &user,
                            role,
                            &device,
                        )
                        .await?)),
                        PasskeyVerdict::ChallengeExpired => Ok(Err(challenge_expired("signInId"))),
                        PasskeyVerdict::Rejected => Ok(Err(passkey_rejected())),
                        PasskeyVerdict::UnknownRole => Err(ApiError::InvalidCredentials),
                    },
                )
            })
            .await?;
        Ok(signed_in?.payload(|session| FinishPasskeySignInPayload {
            session: Some(session.deliver(ctx, &practice.tenant.slug)),
            user_errors: Vec::new(),
        }))
    }
}
