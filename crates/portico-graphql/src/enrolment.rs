//! Patient enrolment (activation codes) and password reset.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreError, PatientId, UserId, accounts,
    activation::{self, Outcome},
    identity::Role,
    notify::{self, Language},
    ports::Email,
    resets,
    tenancy::Access,
};

use crate::{
    ApiError, activation_throttle,
    context::ContextExt,
    global_id,
    identity::{Session, start_session},
    scalars::Date,
    user_error::{UserError, settle},
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
        let principal = ctx.authorize("patients", "write").await?.clone();
        ctx.require_active_tenant()?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let id = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let issued = activation::issue(
            &tx,
            &ctx.actor(&principal),
            PatientId::from_uuid(id),
            services.activation_ttl,
        )
        .await;
        let issued = match settle(tx, issued, &request_id).await? {
            Ok(i) => i,
            Err(user_errors) => {
                return Ok(IssueActivationCodePayload {
                    user_errors,
                    ..Default::default()
                });
            }
        };
        if let Some(to) = issued.patient.email.clone() {
            let tenant = ctx.tenant()?;
            let mail = notify::templates::activation_email(
                Language::of(issued.patient.preferred_language.as_deref()),
                &tenant.tenant.display_name,
                &format!("{}/t/{}/activate", services.public_url, tenant.tenant.slug),
                &issued.code,
                &issued.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            services
                .mailer
                .send(Email {
                    to,
                    subject: mail.subject,
                    text: mail.text,
                    html: None,
                    message_id: None,
                })
                .await
                .map_err(|e| core(CoreError::adapter(e)))?;
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
        let request_id = ctx.request()?.request_id.clone();
        let client_ip = ctx.request()?.client_ip;
        let tenant_id = ctx.tenant()?.id();
        let core = |e| ApiError::from_core(e, &request_id);
        activation_throttle::check(services, tenant_id, client_ip, &request_id).await?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let outcome = activation::activate(
            &tx,
            services.passwords.as_ref(),
            &input.code,
            input.birth_date.0,
            &input.email,
            &input.password,
        )
        .await;
        let user = match outcome {
            Ok(Outcome::Activated(user)) => *user,
            // A wrong date of birth counts against the code: keep that.
            Ok(Outcome::Refused(e)) => {
                tx.commit().await.map_err(core)?;
                activation_throttle::record_refusal(services, tenant_id, client_ip, &request_id)
                    .await?;
                return Ok(ActivatePatientAccountPayload {
                    session: None,
                    user_errors: UserError::from_core(e, &request_id)?,
                });
            }
            Err(e) => {
                tx.rollback().await.map_err(core)?;
                return Ok(ActivatePatientAccountPayload {
                    session: None,
                    user_errors: UserError::from_core(e, &request_id)?,
                });
            }
        };
        let session = start_session(
            services,
            &ctx.tenant()?.tenant,
            &tx,
            &user,
            Role::Patient,
            &request_id,
            crate::identity::device_of(ctx),
        )
        .await?;
        tx.commit().await.map_err(core)?;
        let session = session.deliver(ctx, &ctx.tenant()?.tenant.slug);
        Ok(ActivatePatientAccountPayload {
            session: Some(session),
            user_errors: Vec::new(),
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
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tenant = ctx.tenant()?.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let Some(user) = accounts::find_by_email(&tx, &input.email)
            .await
            .map_err(core)?
        else {
            tx.rollback().await.map_err(core)?;
            return Ok(RequestPasswordResetPayload { accepted: true });
        };
        let token = resets::request(&tx, &user, services.password_reset_ttl)
            .await
            .map_err(core)?;
        let language = notify::language_of_account(&tx, UserId::from_uuid(user.id))
            .await
            .map_err(core)?;
        tx.commit().await.map_err(core)?;
        let mail = notify::templates::password_reset_email(
            language,
            &tenant.tenant.display_name,
            services.password_reset_ttl.as_secs() / 60,
            &format!(
                "{}/t/{}/reset-password#token={token}",
                services.public_url, tenant.tenant.slug
            ),
        );
        let email = Email {
            to: user.email,
            subject: mail.subject,
            text: mail.text,
            html: None,
            message_id: None,
        };
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
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let reset = resets::reset(
            &tx,
            services.passwords.as_ref(),
            &input.token,
            &input.password,
        )
        .await;
        Ok(match settle(tx, reset, &request_id).await? {
            Ok(families) => {
                for family in families {
                    let _ = services
                        .revocations
                        .revoke(family, services.tokens.access_ttl())
                        .await;
                }
                ResetPasswordPayload {
                    reset: true,
                    user_errors: Vec::new(),
                }
            }
            Err(user_errors) => ResetPasswordPayload {
                reset: false,
                user_errors,
            },
        })
    }
}
