//! Patient enrolment (activation codes) and password reset.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreError, PatientId, UserId, account_mail, accounts,
    activation::{self, Outcome},
    identity::Role,
    notify, resets,
    tenancy::Access,
};

use crate::{
    activation_throttle,
    context::ContextExt,
    global_id,
    identity::{Session, device_of, revoke_ended, start_session},
    run::{Need, Payload, Run, refusable},
    scalars::Date,
    user_error::UserError,
};

#[derive(InputObject)]
pub struct IssueActivationCodeInput {
    patient_id: ID,
}

#[derive(SimpleObject, Default)]
pub struct IssueActivationCodePayload {
    /// Give this to the patient (it is also emailed when the chart has an email address).
    code: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ActivatePatientAccountInput {
    code: String,
    /// Must match the chart: the second factor of activation.
    birth_date: Date,
    email: String,
    password: String,
}

#[derive(SimpleObject, Default)]
pub struct ActivatePatientAccountPayload {
    /// Signed in. Two-step verification is offered (`beginTotpEnrolment`), not required.
    session: Option<Session>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    email: String,
}

#[derive(SimpleObject)]
pub struct RequestPasswordResetPayload {
    /// Always true: the answer never tells whether the address has an account.
    accepted: bool,
}

#[derive(InputObject)]
pub struct ResetPasswordInput {
    token: String,
    password: String,
}

#[derive(SimpleObject, Default)]
pub struct ResetPasswordPayload {
    /// True when the password was changed; every session of the account has ended.
    reset: bool,
    user_errors: Vec<UserError>,
}

refusable!(
    IssueActivationCodePayload,
    ActivatePatientAccountPayload,
    ResetPasswordPayload
);

#[derive(Default)]
pub struct EnrolmentMutation;

#[Object]
impl EnrolmentMutation {
    /// Issues a single-use activation code for a chart (staff). Earlier codes stop working.
    async fn issue_activation_code(
        &self,
        ctx: &Context<'_>,
        input: IssueActivationCodeInput,
    ) -> async_graphql::Result<IssueActivationCodePayload> {
        let need = Need::to("patients", "write").new_work();
        ctx.caller(need).await?;
        let services = ctx.services()?;
        let id = PatientId::from_uuid(global_id::parse("Patient", "patientId", &input.patient_id)?);
        let ttl = services.activation_ttl;
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                activation::issue(tx, &caller.actor, id, ttl).await
            })
            .await?;
        let issued = match outcome {
            Ok(issued) => issued,
            Err(user_errors) => return Ok(IssueActivationCodePayload::refused(user_errors)),
        };
        let practice = &ctx.tenant()?.tenant;
        if let Some(email) = account_mail::activation(&issued, practice, &services.public_url) {
            services
                .mailer
                .send(email)
                .await
                .map_err(|e| ctx.fail(CoreError::adapter(e)))?;
        }
        Ok(IssueActivationCodePayload {
            code: Some(issued.code),
            expires_at: Some(issued.expires_at),
            user_errors: Vec::new(),
        })
    }

    /// A patient creates their portal account with the practice's code and their date of
    /// birth (public: the code is the credential).
    async fn activate_patient_account(
        &self,
        ctx: &Context<'_>,
        input: ActivatePatientAccountInput,
    ) -> async_graphql::Result<ActivatePatientAccountPayload> {
        let services = ctx.services()?;
        let request = ctx.request()?;
        let (client_ip, request_id) = (request.client_ip, request.request_id.as_str());
        let practice = ctx.tenant()?;
        activation_throttle::check(services, practice.id(), client_ip, request_id).await?;
        let device = device_of(ctx);
        let outcome = ctx
            .mutate_public(async |tx, _| {
                let activated = activation::activate(
                    tx,
                    services.passwords.as_ref(),
                    &input.code,
                    input.birth_date.0,
                    &input.email,
                    &input.password,
                )
                .await?;
                match activated {
                    Outcome::Activated(user) => {
                        let role = Role::Patient;
                        let session =
                            start_session(services, &practice.tenant, tx, &user, role, &device)
                                .await?;
                        Ok(Ok(session))
                    }
                    // A wrong date of birth counts against the code: kept (committed).
                    Outcome::Refused(e) => Ok(Err(e)),
                }
            })
            .await?;
        Ok(match outcome {
            Ok(Ok(session)) => ActivatePatientAccountPayload {
                session: Some(session.deliver(ctx, &practice.tenant.slug)),
                user_errors: Vec::new(),
            },
            Ok(Err(refused)) => {
                activation_throttle::record_refusal(services, practice.id(), client_ip, request_id)
                    .await?;
                ActivatePatientAccountPayload::refused(
                    UserError::of_input(refused).map_err(|e| ctx.fail(e))?,
                )
            }
            Err(user_errors) => ActivatePatientAccountPayload::refused(user_errors),
        })
    }

    /// Emails a reset link when the address has an account at this practice. The answer is
    /// the same either way.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> async_graphql::Result<RequestPasswordResetPayload> {
        let services = ctx.services()?;
        let ttl = services.password_reset_ttl;
        let requested = ctx
            .run_public(Access::Write, async |tx, _| {
                let Some(user) = accounts::find_by_email(tx, &input.email).await? else {
                    return Ok(None);
                };
                let token = resets::request(tx, &user, ttl).await?;
                let language = notify::language_of_account(tx, UserId::from_uuid(user.id)).await?;
                Ok(Some((user.email, language, token)))
            })
            .await?;
        let Some((to, language, token)) = requested else {
            return Ok(RequestPasswordResetPayload { accepted: true });
        };
        let practice = &ctx.tenant()?.tenant;
        let email =
            account_mail::password_reset(to, language, practice, &services.public_url, ttl, &token);
        // Sent in the background: the answer takes no longer for an existing account than
        // for an unknown one, and says nothing if the mail server fails (the person can ask
        // again).
        let mailer = std::sync::Arc::clone(&services.mailer);
        tokio::spawn(async move {
            if let Err(e) = mailer.send(email).await {
                tracing::error!(error = %e, "password-reset email not sent");
            }
        });
        Ok(RequestPasswordResetPayload { accepted: true })
    }

    /// Sets a new password from an emailed link and signs the account out everywhere.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> async_graphql::Result<ResetPasswordPayload> {
        let services = ctx.services()?;
        let credentials = services.passwords.as_ref();
        let outcome = ctx
            .mutate_public(async |tx, _| {
                resets::reset(tx, credentials, &input.token, &input.password).await
            })
            .await?;
        let ended = match outcome {
            Ok(ended) => ended,
            Err(user_errors) => return Ok(ResetPasswordPayload::refused(user_errors)),
        };
        revoke_ended(services, "password_reset", ended).await;
        Ok(ResetPasswordPayload {
            reset: true,
            user_errors: Vec::new(),
        })
    }
}
