//! Ports: the traits through which the domain reaches infrastructure whose implementation
//! depends on the profile (embedded or production). Implementations are chosen once, at
//! start-up, and passed in; nothing else branches on the profile.

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use std::time::Duration;

use crate::{
    TenantId,
    error::BoxError,
    identity::{SessionClaims, TokenError},
};

/// A failure of an adapter (queue, broker). The cause is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
#[error("{adapter}: {source}")]
pub struct PortError {
    pub adapter: &'static str,
    /// What failed: the library's error, or a sentence of Portico's own.
    #[source]
    pub source: BoxError,
    /// The receiving side refused for good (an address that does not exist, a number that
    /// cannot take texts): trying again cannot help.
    pub permanent: bool,
}

impl PortError {
    pub fn new(adapter: &'static str, err: impl Into<BoxError>) -> Self {
        Self {
            adapter,
            source: err.into(),
            permanent: false,
        }
    }

    /// A refusal for good: the message bounces and the address is marked.
    pub fn permanent(adapter: &'static str, err: impl Into<BoxError>) -> Self {
        Self {
            permanent: true,
            ..Self::new(adapter, err)
        }
    }
}

/// Background work. Each variant carries ids only, never PHI, because jobs are stored in the
/// queue's backend outside the database's row-level security.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Walk a tenant's audit hash chain and report a break.
    VerifyAuditChain { tenant_id: TenantId },
    /// Write a tenant's due appointment reminders, feedback surveys and invitation campaigns'
    /// steps to the outbox, then relay it.
    SendReminders { tenant_id: TenantId },
    /// Write a tenant's due preventive-care recall notices to the outbox, then relay it.
    SendRecalls { tenant_id: TenantId },
    /// Hand a tenant's pending outbox messages to the queue.
    RelayOutbox { tenant_id: TenantId },
    /// Deliver one outbox message (at most once per claim; a delivered message is skipped).
    /// The relay hands out [`Job::DeliverMessages`]; this one is still run for jobs queued
    /// by an earlier release.
    DeliverMessage {
        tenant_id: TenantId,
        message_id: uuid::Uuid,
    },
    /// Deliver a batch of one tenant's outbox messages: claimed together, sent side by side,
    /// marked delivered together (each at most once per claim, as [`Job::DeliverMessage`]).
    DeliverMessages {
        tenant_id: TenantId,
        message_ids: Vec<uuid::Uuid>,
    },
    /// Route one refill request to a prescriber, covering provider or pool (a routed one is
    /// left alone, so a duplicate delivery assigns it once).
    RouteRefill {
        tenant_id: TenantId,
        refill_id: uuid::Uuid,
    },
    /// Pull a practice's EHR changes since the last run; with `review_id`, pull everything of
    /// the EHR patient a staff member has just matched (the review's subject).
    SyncEhr {
        tenant_id: TenantId,
        review_id: Option<uuid::Uuid>,
        /// Asked for by an admin ("sync now") rather than the schedule.
        #[serde(default)]
        manual: bool,
    },
    /// Compute a practice's adoption rollup for `day` (its yesterday when unset), in place
    /// of the day's row.
    RollupAdoption {
        tenant_id: TenantId,
        day: Option<chrono::NaiveDate>,
    },
    /// Write one `ehr` outbox message back to the practice's EHR (a written one is skipped).
    WriteEhr {
        tenant_id: TenantId,
        message_id: uuid::Uuid,
    },
    /// Report a practice's monthly active patients for the month starting `period` (last
    /// month when unset) to the payment provider, once.
    ReportUsage {
        tenant_id: TenantId,
        period: Option<chrono::NaiveDate>,
    },
    /// Set the quantity of a practice's seat price to its active providers.
    SyncSeats { tenant_id: TenantId },
    /// Import a previewed CSV file of patients (claimed once: a second delivery does
    /// nothing).
    ImportPatients {
        tenant_id: TenantId,
        import_id: uuid::Uuid,
    },
    /// Attempt one webhook delivery (claimed once per attempt: a delivered or held one is
    /// skipped).
    DeliverWebhook {
        tenant_id: TenantId,
        delivery_id: uuid::Uuid,
    },
    /// Write a backend service's Bulk Data export (claimed once: a second delivery does
    /// nothing).
    ExportBulk {
        tenant_id: TenantId,
        export_id: uuid::Uuid,
    },
}

impl Job {
    /// The queue the job runs on.
    pub fn queue(&self) -> Queue {
        match self {
            Self::DeliverMessage { .. }
            | Self::DeliverMessages { .. }
            | Self::RelayOutbox { .. } => Queue::Notifications,
            // Recalls are reminders of another kind: the same scan-and-write work.
            Self::SendReminders { .. } | Self::SendRecalls { .. } => Queue::Reminders,
            // Maintenance runs with the nightly rollups, off the paths people wait on.
            Self::VerifyAuditChain { .. }
            | Self::RollupAdoption { .. }
            | Self::ReportUsage { .. }
            | Self::SyncSeats { .. } => Queue::Rollups,
            Self::RouteRefill { .. } => Queue::RefillRouting,
            // Charts brought in from outside, like the EHR's: off the request path.
            Self::SyncEhr { .. } | Self::WriteEhr { .. } | Self::ImportPatients { .. } => {
                Queue::EhrSync
            }
            // Long and heavy: on their own, one at a time, so no EHR sync waits on them.
            Self::ExportBulk { .. } => Queue::Exports,
            // Practices' own receivers, some slow: their own queue, so a slow one holds up
            // no email.
            Self::DeliverWebhook { .. } => Queue::Webhooks,
        }
    }

    /// The job's kind, for logs and metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VerifyAuditChain { .. } => "verify_audit_chain",
            Self::SendReminders { .. } => "send_reminders",
            Self::SendRecalls { .. } => "send_recalls",
            Self::RelayOutbox { .. } => "relay_outbox",
            Self::DeliverMessage { .. } => "deliver_message",
            Self::DeliverMessages { .. } => "deliver_messages",
            Self::RouteRefill { .. } => "route_refill",
            Self::SyncEhr { .. } => "sync_ehr",
            Self::RollupAdoption { .. } => "rollup_adoption",
            Self::WriteEhr { .. } => "write_ehr",
            Self::ReportUsage { .. } => "report_usage",
            Self::SyncSeats { .. } => "sync_seats",
            Self::ImportPatients { .. } => "import_patients",
            Self::DeliverWebhook { .. } => "deliver_webhook",
            Self::ExportBulk { .. } => "export_bulk",
        }
    }
}

/// The queues background work is split over. Each has its own workers and concurrency, so a
/// flood of one kind (a morning's reminders, a long EHR pull) does not hold up another (a
/// password-reset email).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Outbox relay and delivery: email and SMS.
    Notifications,
    /// Writing due appointment reminders and recalls to the outbox.
    Reminders,
    /// Routing refill requests to a prescriber, covering provider or pool.
    RefillRouting,
    /// Pulls from and write-backs to each practice's EHR.
    EhrSync,
    /// Nightly rollups and maintenance (audit chain checks).
    Rollups,
    /// Webhook deliveries to practices' endpoints.
    Webhooks,
    /// Backend services' Bulk Data exports.
    Exports,
}

impl Queue {
    pub const ALL: [Self; 7] = [
        Self::Notifications,
        Self::Reminders,
        Self::RefillRouting,
        Self::EhrSync,
        Self::Rollups,
        Self::Webhooks,
        Self::Exports,
    ];

    /// The queue's name in the backend and in metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::Notifications => "notifications",
            Self::Reminders => "reminders",
            Self::RefillRouting => "refill-routing",
            Self::EhrSync => "ehr-sync",
            Self::Rollups => "rollups",
            Self::Webhooks => "webhooks",
            Self::Exports => "exports",
        }
    }
}

impl std::fmt::Display for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Adds `job` to its queue ([`Job::queue`]).
    async fn enqueue(&self, job: Job) -> Result<(), PortError>;
    /// Adds many jobs, each to its queue; an adapter writes them in as few round trips as
    /// it can (one transaction per queue on SQLite).
    async fn enqueue_all(&self, jobs: Vec<Job>) -> Result<(), PortError> {
        for job in jobs {
            self.enqueue(job).await?;
        }
        Ok(())
    }
    /// Jobs waiting to run on one queue, for `/metrics`.
    async fn queue_depth(&self, queue: Queue) -> Result<u64, PortError>;
    /// Jobs waiting to run on every queue.
    async fn depth(&self) -> Result<u64, PortError> {
        let mut total = 0;
        for queue in Queue::ALL {
            total += self.queue_depth(queue).await?;
        }
        Ok(total)
    }
    /// Whether the queue's backend answers, for `/readyz`.
    async fn ping(&self) -> Result<(), PortError>;
    /// `sqlite` or `redis`, for logs and metrics.
    fn backend(&self) -> &'static str;
}

/// Seals secrets Portico keeps in the database (a practice's EHR credentials) with the
/// deployment's key. `context` binds a sealed value to where it belongs (the tenant), so a
/// value copied to another row does not open.
pub trait SecretSealer: Send + Sync {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, PortError>;
    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, PortError>;
}

/// Where message attachments are kept: a local directory embedded, an S3-compatible store in
/// production. Keys are made of ids only.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), PortError>;
    async fn get(&self, key: &str) -> Result<Vec<u8>, PortError>;
    async fn delete(&self, key: &str) -> Result<(), PortError>;
    fn backend(&self) -> &'static str;
}

/// A short-lived grant to download one attachment, carried in a signed link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadGrant {
    pub tenant_id: TenantId,
    pub attachment_id: uuid::Uuid,
    /// Who the link was made for (named in the audit log when it is used), with their role
    /// and session: a download re-checks that they may still read the thread and have not
    /// signed out.
    pub user_id: crate::UserId,
    pub role: crate::identity::Role,
    /// `None` for an API key.
    pub session_id: Option<uuid::Uuid>,
    pub expires_at: i64,
}

/// Fan-out of events between instances (GraphQL subscriptions, cache invalidation).
#[async_trait]
pub trait PubSub: Send + Sync {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), PortError>;
    /// A stream of every payload published on `topic` after the call returns.
    async fn subscribe(&self, topic: &str) -> Result<BoxStream<'static, Vec<u8>>, PortError>;
    async fn ping(&self) -> Result<(), PortError>;
    fn backend(&self) -> &'static str;
}

/// Why a new password is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("use at least {0} characters")]
    TooShort(usize),
    #[error("use at most {0} characters")]
    TooLong(usize),
    #[error("this password is too common")]
    Common,
    #[error("do not use your name or email in the password")]
    ContainsPersonalData,
}

impl PasswordPolicyError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort(_) => "PASSWORD_TOO_SHORT",
            Self::TooLong(_) => "PASSWORD_TOO_LONG",
            Self::Common => "PASSWORD_TOO_COMMON",
            Self::ContainsPersonalData => "PASSWORD_CONTAINS_PERSONAL_DATA",
        }
    }
}

/// Secrets people sign in with: passwords (argon2id) and TOTP codes.
pub trait Credentials: Send + Sync {
    fn hash(&self, password: &str) -> Result<String, PortError>;
    /// Whether `password` matches `stored`. With `None` (no such account) it does the same
    /// work and answers `false`, so timing does not tell whether an account exists.
    fn verify(&self, password: &str, stored: Option<&str>) -> bool;
    /// `context`: the user's name and email, which a password must not contain.
    fn check_policy(&self, password: &str, context: &[&str]) -> Result<(), PasswordPolicyError>;
    /// The fewest characters `check_policy` accepts.
    fn min_password_length(&self) -> usize;
    /// The most characters `check_policy` accepts.
    fn max_password_length(&self) -> usize;
    /// A new TOTP secret (base32).
    fn new_totp_secret(&self) -> String;
    /// The `otpauth://` URI for an authenticator app.
    fn totp_uri(&self, secret: &str, account: &str) -> Option<String>;
    /// The time step of `code` when it is valid now and later than `after_step` (the last
    /// step spent), so no code is accepted twice.
    fn verify_totp(&self, secret: &str, code: &str, after_step: Option<i64>) -> Option<i64>;
}

/// A signed access token and when it expires (Unix seconds).
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: i64,
}

/// Issues and verifies access tokens.
#[async_trait]
pub trait TokenService: Send + Sync {
    fn issue(&self, claims: &SessionClaims) -> Result<IssuedToken, PortError>;
    /// Verifies signature, algorithm, type, issuer, audience (`tenant`) and lifetime.
    async fn verify(&self, token: &str, tenant: TenantId) -> Result<SessionClaims, TokenError>;
    /// The public keys, as a JWK set.
    fn jwks(&self) -> serde_json::Value;
    /// Longest lifetime of an access token.
    fn access_ttl(&self) -> Duration;
    /// Signs a download link's grant (a token of its own type: never an access token).
    fn sign_download(&self, grant: &DownloadGrant) -> Result<String, PortError>;
    /// Verifies a download token for `tenant`.
    async fn verify_download(
        &self,
        token: &str,
        tenant: TenantId,
    ) -> Result<DownloadGrant, TokenError>;
}

/// How a throttle key is limited: after `max_failures` within `window`, the key is locked,
/// first for `base_lock`, doubling with each further lock up to `max_lock`.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub base_lock: Duration,
    pub max_lock: Duration,
}

/// Failure counting with growing lock-outs (sign-in per account and per IP).
#[async_trait]
pub trait Throttle: Send + Sync {
    /// How long the key stays locked, if it is.
    async fn locked_for(&self, key: &str) -> Result<Option<Duration>, PortError>;
    /// Counts a failure; returns the lock it caused, if any.
    async fn record_failure(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
    ) -> Result<Option<Duration>, PortError>;
    /// Forgets the failures (after a success). Lock levels are kept until they expire.
    async fn clear(&self, key: &str) -> Result<(), PortError>;
}

/// Revoked sessions, checked on every authenticated request until their tokens expire.
#[async_trait]
pub trait Revocations: Send + Sync {
    async fn revoke(&self, session_id: uuid::Uuid, for_at_least: Duration)
    -> Result<(), PortError>;
    async fn is_revoked(&self, session_id: uuid::Uuid) -> Result<bool, PortError>;
}

/// Role-based permissions per tenant (casbin). A tenant's own rules are loaded on first
/// use and forgotten when they change (on every instance, through pub/sub).
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// The decision, or `None` while the tenant's rules are not loaded (load them, then
    /// ask again): what guards a request.
    async fn decide(
        &self,
        role: &str,
        tenant: TenantId,
        object: &str,
        action: &str,
    ) -> Option<bool>;
    /// Moves whenever rules are forgotten. Read it before reading a tenant's rules and
    /// pass it to `load_tenant`.
    fn generation(&self) -> u64;
    /// The permissions a role has by default (domain `*`).
    async fn defaults(&self, role: &str) -> Vec<crate::permissions::Permission>;
    /// Loads rules read after `generation` was read. `false`, with nothing loaded, when
    /// rules were forgotten since (what was read may predate a change: read them again).
    async fn load_tenant(
        &self,
        tenant: TenantId,
        rules: &[crate::permissions::Rule],
        generation: u64,
    ) -> Result<bool, PortError>;
    async fn forget_tenant(&self, tenant: TenantId);
    /// Forgets every tenant's rules (after missing change notices).
    async fn forget_all(&self);
}

/// An email. Bodies never carry PHI: they say that something is waiting and link to the
/// portal, where the reader signs in to see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The same message as branded HTML, sent as the alternative to `text`.
    #[serde(default)]
    pub html: Option<String>,
    /// One per effect (the outbox message's id): sending the same message again is the same
    /// email (the same file in the outbox folder; the same `Message-ID` over SMTP, which
    /// receivers use to drop a duplicate).
    #[serde(default)]
    pub message_id: Option<String>,
}

/// Sends email (SMTP in production, an outbox folder in the embedded profile).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: Email) -> Result<(), PortError>;
}

/// A text message. Like an email, it names the practice, says something is waiting and
/// links to the portal; nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sms {
    /// E.164 (`+15551234567`).
    pub to: String,
    pub text: String,
    /// One per effect (the outbox message's id), as for email.
    #[serde(default)]
    pub message_id: Option<String>,
}

/// Sends text messages (a Twilio-style HTTP API in production, the outbox folder in the
/// embedded profile).
#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, sms: Sms) -> Result<(), PortError>;
}

/// Whether a request fits its rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    /// Over the limit; try again after this long.
    Limited {
        retry_after: Duration,
    },
}

/// Fixed-window request limits (per API key).
/// One signed POST to a practice's webhook endpoint (Standard Webhooks): the adapter signs
/// `body` with every secret in `secrets` (two while a rotated one is still honoured) and
/// posts it with the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
pub struct WebhookPost<'a> {
    pub url: &'a str,
    /// `msg_...`, the same on every attempt at one message.
    pub message_id: &'a str,
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub body: &'a str,
    /// `whsec_...` secrets.
    pub secrets: &'a [String],
}

/// What an attempt came to: the receiver's status, if it answered, and how long it took. A
/// 2xx status is a delivery; anything else is a failure with a stable `error` code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookAnswer {
    pub status: Option<u16>,
    pub duration_ms: u32,
    /// `None` for a 2xx answer; otherwise `HTTP_STATUS`, `REDIRECT_NOT_FOLLOWED`, `TIMEOUT`,
    /// `CONNECT_FAILED`, `ADDRESS_NOT_ALLOWED`, `URL_NOT_ALLOWED`, `SIGNING_FAILED`,
    /// `SECRET_UNREADABLE` (recorded without a request) or `REQUEST_FAILED`.
    pub error: Option<&'static str>,
}

/// Posts webhooks, and decides which endpoint addresses may be registered at all (https, no
/// address of the deployment's own networks).
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// The address as it will be stored, or why it is refused (a sentence naming the rule).
    fn check_url(&self, raw: &str) -> Result<String, String>;
    async fn post(&self, post: WebhookPost<'_>) -> WebhookAnswer;
    /// The longest an attempt takes (a worker's claim on a delivery outlasts it).
    fn timeout(&self) -> std::time::Duration;
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    async fn hit(&self, key: &str, limit: u32, window: Duration)
    -> Result<RateDecision, PortError>;
}

/// The relying party of a WebAuthn ceremony: the page's origin (`https://smith.portico.health`)
/// and its host, the RP ID a passkey is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub origin: String,
    /// Shown by the browser while making a passkey (the practice's name).
    pub name: String,
}

/// A ceremony begun: the options for the browser and the state to keep server-side.
#[derive(Clone, Debug)]
pub struct PasskeyChallenge {
    /// `CreationChallengeResponse` or `RequestChallengeResponse` as JSON.
    pub options: serde_json::Value,
    /// The ceremony state (challenge and policy), opaque to everything but the adapter.
    pub state: String,
}

/// A passkey that passed registration.
#[derive(Clone, Debug)]
pub struct RegisteredPasskey {
    /// base64url of the credential id.
    pub credential_id: String,
    /// The credential to store (public key, counter, backup state), opaque.
    pub credential: String,
}

/// What a sign-in assertion claims before it is verified: the account (the user handle the
/// passkey was made with) and which passkey.
#[derive(Clone, Debug)]
pub struct PasskeyAssertion {
    pub user_handle: uuid::Uuid,
    /// base64url of the credential id.
    pub credential_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The browser's answer is malformed, for another challenge or origin, or its signature
    /// or flags do not hold. Not shown to the client beyond a code.
    #[error("passkey rejected: {0}")]
    Rejected(String),
    /// The origin cannot be a relying party (no domain, a bad RP ID).
    #[error("origin not usable for passkeys")]
    Origin,
    #[error(transparent)]
    Port(#[from] PortError),
}

/// WebAuthn ceremonies: passkeys that are discoverable (resident) and user-verified.
pub trait PasskeyCeremonies: Send + Sync {
    /// `exclude`: base64url ids of the account's passkeys, so a device is not added twice.
    fn begin_registration(
        &self,
        rp: &RelyingParty,
        user_handle: uuid::Uuid,
        user_name: &str,
        display_name: &str,
        exclude: &[String],
    ) -> Result<PasskeyChallenge, PasskeyError>;
    fn finish_registration(
        &self,
        rp: &RelyingParty,
        state: &str,
        credential: &serde_json::Value,
    ) -> Result<RegisteredPasskey, PasskeyError>;
    /// A sign-in with no account named (discoverable credentials, empty `allowCredentials`).
    fn begin_sign_in(&self, rp: &RelyingParty) -> Result<PasskeyChallenge, PasskeyError>;
    /// Reads who and which passkey an assertion claims (nothing is verified yet).
    fn identify(&self, credential: &serde_json::Value) -> Result<PasskeyAssertion, PasskeyError>;
    /// Verifies the assertion against the stored passkey; returns the passkey to store back
    /// (counter and backup state updated).
    fn finish_sign_in(
        &self,
        rp: &RelyingParty,
        state: &str,
        credential: &serde_json::Value,
        stored: &str,
    ) -> Result<String, PasskeyError>;
}
