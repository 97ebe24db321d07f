//! Configuration: one validated struct, loaded once. Defaults are embedded here, then an
//! optional TOML file (`PORTICO_CONFIG`), then `PORTICO_*` environment variables, then
//! command-line flags; `validate` names the setting that is wrong.

use std::{net::SocketAddr, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable in development, JSON in production.
    Auto,
    Pretty,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub env: Environment,
    pub listen: SocketAddr,
    /// `sqlite://FILE` (embedded profile) or `postgres://...` (production profile). On
    /// PostgreSQL this is the application role, which owns no table.
    pub database_url: SecretString,
    /// The owner role that runs migrations; defaults to `database_url`.
    pub migration_database_url: Option<SecretString>,
    pub database_max_connections: u32,
    /// Longest wait between attempts to reach the database at start-up.
    pub database_retry_max_secs: u64,
    /// How long a worker holds an outbox message it is delivering; a worker that dies lets
    /// it go after this (and the message is sent again).
    pub outbox_claim_secs: u64,
    /// On SIGTERM: how long in-flight requests and running jobs may take before the process
    /// exits anyway (keep it below the orchestrator's grace period).
    pub shutdown_grace_secs: u64,
    /// Set: jobs, pub/sub and rate limits go through Redis.
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key and channel, so deployments (and tests) can share a server.
    pub redis_prefix: String,
    /// `{slug}.{base_domain}` hosts name a practice.
    pub base_domain: String,
    pub log: String,
    pub log_format: LogFormat,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub graphql_max_aliases: usize,
    pub graphql_max_batch: usize,
    /// Unset: on in development, off in production.
    pub graphql_introspection: Option<bool>,
    /// Unset: on in development, off in production.
    pub graphql_suggestions: Option<bool>,
    /// A `Server-Timing` header on GraphQL answers with the database statements the request
    /// sent and their time. Unset: on in development, off in production.
    pub server_timing: Option<bool>,
    /// Browser origins allowed to call the API cross-origin, comma-separated; empty means
    /// same-origin only.
    pub cors_origins: String,
    /// Load balancers and ingresses (addresses or CIDR blocks, comma-separated) whose
    /// `X-Forwarded-For` names the client; empty means the TCP peer is the client.
    pub trusted_proxies: String,
    /// `iss` of access tokens.
    pub jwt_issuer: String,
    /// Access-token lifetime; at most 900 (15 minutes).
    pub access_token_ttl_secs: u64,
    /// Automatic log-off after this long without activity, for staff and for patients.
    pub session_staff_idle_secs: u64,
    pub session_patient_idle_secs: u64,
    /// Longest a session lasts, however active.
    pub session_absolute_secs: u64,
    /// argon2id cost (OWASP minimum by default: 19 MiB, 2 passes, 1 lane).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub password_min_length: usize,
    /// Where people open Portico, for links in emails.
    pub public_url: String,
    /// Without an SMTP server, emails are written here as files.
    pub outbox_dir: String,
    /// Message attachments are kept in this folder, unless an S3 bucket is set.
    pub attachments_dir: String,
    /// Set: the console (`/console/`) is served from this folder (a Vite build of
    /// `admin-ui`) instead of the copy built into the binary.
    pub console_dir: Option<String>,
    /// Set: the patient portal (`/t/{slug}/`, `/` on a practice's host, files under
    /// `/portal/`) is served from this folder (a Vite build of `portal-ui`).
    pub portal_dir: Option<String>,
    /// Set: attachments go to this S3-compatible bucket. Unset settings below come from the
    /// standard `AWS_*` variables.
    pub attachments_s3_bucket: Option<String>,
    /// An S3-compatible endpoint (MinIO and the like); https, or http on loopback only.
    pub attachments_s3_endpoint: Option<String>,
    pub attachments_s3_region: Option<String>,
    pub attachments_s3_access_key_id: Option<String>,
    pub attachments_s3_secret_access_key: Option<SecretString>,
    /// How long a signed attachment download link works.
    pub attachment_link_secs: u64,
    /// Set: emails go to this SMTP server (`smtps://user:pass@host:465`,
    /// `smtp://host:587?tls=required`, or `smtp://host:25` on a trusted network).
    pub smtp_url: Option<SecretString>,
    /// The sender of Portico's emails.
    pub mail_from: String,
    /// A Twilio-style SMS API (`https://api.twilio.com`, or a provider with the same API).
    /// With an account id set, text messages go there; otherwise to the outbox folder.
    pub sms_api_url: String,
    pub sms_account_sid: Option<String>,
    pub sms_auth_token: Option<SecretString>,
    /// The number (E.164) or sender id text messages come from.
    pub sms_from: Option<String>,
    pub invitation_ttl_hours: u64,
    /// How long a patient's activation code works.
    pub activation_ttl_hours: u64,
    /// How long a password-reset link works.
    pub password_reset_ttl_minutes: u64,
    /// Requests per minute one API key may make (`RATE_LIMITED` beyond).
    pub api_key_rate_per_minute: u32,
    /// Refused activation codes within 15 minutes that lock the activation step for one
    /// client address, and for one practice (`RATE_LIMITED` until the lock ends).
    pub activation_failures_per_address: u32,
    pub activation_failures_per_practice: u32,
    /// Set (seconds, above 0): every response carries `Strict-Transport-Security`; only for
    /// deployments served over TLS. 0: off.
    pub hsts_max_age_secs: u64,
    /// How long a break-glass access to a restricted chart stays open.
    pub break_glass_minutes: u64,
    /// The key secrets in the database are sealed with (32 bytes, base64; `portico
    /// secrets-key` makes one). Required in production; in development a key file is made.
    pub secrets_key: Option<SecretString>,
    /// Where development keeps its generated secrets key.
    pub secrets_key_file: String,
    /// Plain http to a loopback EHR (local sandboxes and tests); https only otherwise.
    pub ehr_allow_loopback_http: bool,
    /// How long one request to an EHR may take.
    pub ehr_request_timeout_secs: u64,
    /// Resources asked for per page of an EHR pull.
    pub ehr_page_size: u32,
    /// Set: billing is on, through Stripe. Unset: every practice is on the unlimited
    /// self-hosted plan.
    pub stripe_secret_key: Option<SecretString>,
    /// The signing secret of the `/webhooks/stripe` endpoint (`whsec_...`); required with
    /// the key.
    pub stripe_webhook_secret: Option<SecretString>,
    /// Stripe's API (https, or http on loopback for a local stand-in).
    pub stripe_api_base: String,
    /// The plans practices choose from, each a base price, a per-provider seat price and a
    /// metered price per monthly active patient (Stripe price ids).
    pub billing_plans: Vec<portico_core::billing::plans::Plan>,
    /// A new practice's trial.
    pub billing_trial_days: u32,
    /// How long a practice whose payment failed keeps working before it is suspended.
    pub billing_grace_days: u32,
    /// How long a cancelled practice's data is kept for export.
    pub billing_retention_days: u32,
    /// The Stripe meter that monthly active patients are reported to.
    pub billing_meter_event: String,
}

impl Default for Config {
    fn default() -> Self {
        let limits = portico_graphql::Limits::default();
        Self {
            env: Environment::Development,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: SecretString::from("sqlite://portico.db"),
            migration_database_url: None,
            database_max_connections: 10,
            database_retry_max_secs: 30,
            outbox_claim_secs: 120,
            shutdown_grace_secs: 20,
            redis_url: None,
            redis_prefix: "portico".to_owned(),
            base_domain: "localhost".to_owned(),
            log: "info".to_owned(),
            log_format: LogFormat::Auto,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            graphql_max_depth: limits.max_depth,
            graphql_max_complexity: limits.max_complexity,
            graphql_max_aliases: limits.max_aliases,
            graphql_max_batch: limits.max_batch,
            graphql_introspection: None,
            graphql_suggestions: None,
            server_timing: None,
            cors_origins: String::new(),
            trusted_proxies: String::new(),
            jwt_issuer: "portico".to_owned(),
            access_token_ttl_secs: 900,
            session_staff_idle_secs: 15 * 60,
            session_patient_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            password_min_length: 12,
            public_url: "http://localhost:8080".to_owned(),
            outbox_dir: "outbox".to_owned(),
            attachments_dir: "attachments".to_owned(),
            console_dir: None,
            portal_dir: None,
            attachments_s3_bucket: None,
            attachments_s3_endpoint: None,
            attachments_s3_region: None,
            attachments_s3_access_key_id: None,
            attachments_s3_secret_access_key: None,
            attachment_link_secs: 300,
            smtp_url: None,
            mail_from: "Portico <no-reply@portico.localhost>".to_owned(),
            sms_api_url: "https://api.twilio.com".to_owned(),
            sms_account_sid: None,
            sms_auth_token: None,
            sms_from: None,
            invitation_ttl_hours: 72,
            activation_ttl_hours: 7 * 24,
            password_reset_ttl_minutes: 60,
            api_key_rate_per_minute: 600,
            activation_failures_per_address: 10,
            activation_failures_per_practice: 100,
            hsts_max_age_secs: 0,
            break_glass_minutes: 60,
            secrets_key: None,
            secrets_key_file: "portico-secrets.key".to_owned(),
            ehr_allow_loopback_http: false,
            ehr_request_timeout_secs: 30,
            ehr_page_size: 100,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: "https://api.stripe.com/".to_owned(),
            billing_plans: Vec::new(),
            billing_trial_days: 30,
            billing_grace_days: 14,
            billing_retention_days: 90,
            billing_meter_event: "portico_monthly_active_patients".to_owned(),
        }
    }
}

/// A setting that is missing or wrong; displayed as one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    fn new(setting: &str, problem: impl Into<String>) -> Self {
        Self {
            setting: setting.to_owned(),
            problem: problem.into(),
        }
    }
}

/// Variables with the `PORTICO_` prefix that are not settings of the server.
const NOT_SETTINGS: &[&str] = &["config", "test_database_url", "test_redis_url"];

/// The attachment bucket's settings, when one is configured.
pub struct S3Settings<'a> {
    pub bucket: &'a str,
    pub endpoint: Option<&'a str>,
    pub region: Option<&'a str>,
    pub access_key_id: Option<&'a str>,
    pub secret_access_key: Option<&'a str>,
}

/// Plain http to this machine, for development and tests: the host itself is loopback
/// (`http://localhost.example.com` is not).
pub fn is_loopback_http(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    parsed.scheme() == "http"
        && match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// The SMS provider's settings, when one is configured.
pub struct SmsProvider<'a> {
    pub api_url: &'a str,
    pub account_sid: &'a str,
    pub auth_token: &'a str,
    pub from: &'a str,
}

impl Config {
    /// Where attachments go when a bucket is set.
    pub fn attachments_s3(&self) -> Option<S3Settings<'_>> {
        Some(S3Settings {
            bucket: self.attachments_s3_bucket.as_deref()?,
            endpoint: self.attachments_s3_endpoint.as_deref(),
            region: self.attachments_s3_region.as_deref(),
            access_key_id: self.attachments_s3_access_key_id.as_deref(),
            secret_access_key: self
                .attachments_s3_secret_access_key
                .as_ref()
                .map(|s| s.expose_secret()),
        })
    }

    pub fn sms_provider(&self) -> Option<SmsProvider<'_>> {
        Some(SmsProvider {
            api_url: &self.sms_api_url,
            account_sid: self.sms_account_sid.as_deref()?,
            auth_token: self.sms_auth_token.as_ref()?.expose_secret(),
            from: self.sms_from.as_deref()?,
        })
    }

    /// Loads defaults, the optional file named by `PORTICO_CONFIG`, and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Ok(path) = std::env::var("PORTICO_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(ConfigError::new(
                    "PORTICO_CONFIG",
                    format!("no file at {path}"),
                ));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("PORTICO_").ignore(NOT_SETTINGS));
        figment.extract::<Self>().map_err(|e| {
            let setting = e
                .path
                .first()
                .map(|p| format!("PORTICO_{}", p.to_ascii_uppercase()))
                .unwrap_or_else(|| match &e.kind {
                    figment::error::Kind::UnknownField(field, _) => {
                        format!("PORTICO_{}", field.to_ascii_uppercase())
                    }
                    _ => "configuration".to_owned(),
                });
            let problem = match &e.kind {
                figment::error::Kind::UnknownField(..) => "not a Portico setting".to_owned(),
                kind => kind.to_string(),
            };
            ConfigError::new(&setting, problem)
        })
    }

    /// Everything, for the commands that run the API or workers.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_without_queue()?;
        if self.is_postgres() && self.redis_url.is_none() {
            return Err(ConfigError::new(
                "PORTICO_REDIS_URL",
                "is required with PostgreSQL (the job queue and pub/sub run on Redis)",
            ));
        }
        Ok(())
    }

    /// Everything but the need for Redis with PostgreSQL: for the commands that use the
    /// database alone (`migrate`, `demo`, `operator`, `audit`, `keys`).
    pub fn validate_without_queue(&self) -> Result<(), ConfigError> {
        let db = self.database_url.expose_secret();
        if !(db.starts_with("sqlite:") || is_postgres(db)) {
            return Err(ConfigError::new(
                "PORTICO_DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        if let Some(m) = &self.migration_database_url
            && (is_postgres(m.expose_secret()) != is_postgres(db))
        {
            return Err(ConfigError::new(
                "PORTICO_MIGRATION_DATABASE_URL",
                "must name the same kind of database as PORTICO_DATABASE_URL",
            ));
        }
        if let Some(r) = &self.redis_url {
            let r = r.expose_secret();
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(ConfigError::new(
                    "PORTICO_REDIS_URL",
                    "must start with redis:// or rediss://",
                ));
            }
        }
        if self.redis_prefix.is_empty()
            || !self
                .redis_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConfigError::new(
                "PORTICO_REDIS_PREFIX",
                "use letters, digits, '-' and '_'",
            ));
        }
        if self.base_domain.is_empty() || self.base_domain.contains(['/', ':', ' ']) {
            return Err(ConfigError::new(
                "PORTICO_BASE_DOMAIN",
                "must be a host name such as portico.health",
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            return Err(ConfigError::new(
                "PORTICO_LOG",
                "must be a log filter such as info or portico=debug",
            ));
        }
        for (name, value) in [
            (
                "PORTICO_DATABASE_MAX_CONNECTIONS",
                self.database_max_connections as usize,
            ),
            ("PORTICO_MAX_BODY_BYTES", self.max_body_bytes),
            (
                "PORTICO_REQUEST_TIMEOUT_SECS",
                self.request_timeout_secs as usize,
            ),
            ("PORTICO_GRAPHQL_MAX_DEPTH", self.graphql_max_depth),
            (
                "PORTICO_GRAPHQL_MAX_COMPLEXITY",
                self.graphql_max_complexity,
            ),
            ("PORTICO_GRAPHQL_MAX_BATCH", self.graphql_max_batch),
            (
                "PORTICO_API_KEY_RATE_PER_MINUTE",
                self.api_key_rate_per_minute as usize,
            ),
            (
                "PORTICO_ACTIVATION_FAILURES_PER_ADDRESS",
                self.activation_failures_per_address as usize,
            ),
            (
                "PORTICO_ACTIVATION_FAILURES_PER_PRACTICE",
                self.activation_failures_per_practice as usize,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::new(name, "must be greater than 0"));
            }
        }
        self.trusted_proxy_nets()?;
        if self.shutdown_grace_secs == 0 || self.shutdown_grace_secs > 600 {
            return Err(ConfigError::new(
                "PORTICO_SHUTDOWN_GRACE_SECS",
                "must be between 1 and 600",
            ));
        }
        if self.access_token_ttl_secs == 0 || self.access_token_ttl_secs > 900 {
            return Err(ConfigError::new(
                "PORTICO_ACCESS_TOKEN_TTL_SECS",
                "must be between 1 and 900 (15 minutes)",
            ));
        }
        for (name, value) in [
            (
                "PORTICO_SESSION_STAFF_IDLE_SECS",
                self.session_staff_idle_secs,
            ),
            (
                "PORTICO_SESSION_PATIENT_IDLE_SECS",
                self.session_patient_idle_secs,
            ),
            ("PORTICO_SESSION_ABSOLUTE_SECS", self.session_absolute_secs),
        ] {
            if value < 60 {
                return Err(ConfigError::new(name, "must be at least 60 seconds"));
            }
        }
        if self.argon2_memory_kib < 8 * u32::max(self.argon2_parallelism, 1)
            || self.argon2_iterations == 0
            || self.argon2_parallelism == 0
        {
            return Err(ConfigError::new(
                "PORTICO_ARGON2_MEMORY_KIB",
                "argon2 needs at least 8 KiB per lane, 1 pass and 1 lane",
            ));
        }
        if self.password_min_length < 8 {
            return Err(ConfigError::new(
                "PORTICO_PASSWORD_MIN_LENGTH",
                "must be at least 8",
            ));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://"))
            || self.public_url.ends_with('/')
        {
            return Err(ConfigError::new(
                "PORTICO_PUBLIC_URL",
                "must be an origin such as https://portico.example.com (no trailing slash)",
            ));
        }
        if let Some(url) = &self.smtp_url {
            let url = url.expose_secret();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::new(
                    "PORTICO_SMTP_URL",
                    "must start with smtp:// or smtps://",
                ));
            }
        }
        if !self.mail_from.contains('@') {
            return Err(ConfigError::new(
                "PORTICO_MAIL_FROM",
                "must be an address such as Portico <no-reply@example.com>",
            ));
        }
        if let Some(sid) = &self.sms_account_sid {
            if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ConfigError::new(
                    "PORTICO_SMS_ACCOUNT_SID",
                    "must be the provider's account id (letters and digits)",
                ));
            }
            if self.sms_auth_token.is_none() || self.sms_from.is_none() {
                return Err(ConfigError::new(
                    "PORTICO_SMS_AUTH_TOKEN",
                    "PORTICO_SMS_AUTH_TOKEN and PORTICO_SMS_FROM are needed with PORTICO_SMS_ACCOUNT_SID",
                ));
            }
            let url = &self.sms_api_url;
            if !(url.starts_with("https://") || is_loopback_http(url)) || url.ends_with('/') {
                return Err(ConfigError::new(
                    "PORTICO_SMS_API_URL",
                    "must be https (plain http only to loopback, for tests), without a trailing slash",
                ));
            }
        }
        if self.attachments_s3_bucket.is_none() && self.attachments_dir.trim().is_empty() {
            return Err(ConfigError::new(
                "PORTICO_ATTACHMENTS_DIR",
                "must name a folder (or set PORTICO_ATTACHMENTS_S3_BUCKET)",
            ));
        }
        if let Some(endpoint) = &self.attachments_s3_endpoint
            && !endpoint.starts_with("https://")
            && !is_loopback_http(endpoint)
        {
            return Err(ConfigError::new(
                "PORTICO_ATTACHMENTS_S3_ENDPOINT",
                "must be https (plain http only to 127.0.0.1 or localhost)",
            ));
        }
        if !(10..=3600).contains(&self.attachment_link_secs) {
            return Err(ConfigError::new(
                "PORTICO_ATTACHMENT_LINK_SECS",
                "must be 10 to 3600 seconds",
            ));
        }
        if self.outbox_dir.trim().is_empty() {
            return Err(ConfigError::new("PORTICO_OUTBOX_DIR", "must name a folder"));
        }
        if !(1..=24 * 30).contains(&self.invitation_ttl_hours) {
            return Err(ConfigError::new(
                "PORTICO_INVITATION_TTL_HOURS",
                "must be between 1 and 720",
            ));
        }
        if !(1..=24 * 90).contains(&self.activation_ttl_hours) {
            return Err(ConfigError::new(
                "PORTICO_ACTIVATION_TTL_HOURS",
                "must be between 1 and 2160",
            ));
        }
        if !(5..=24 * 60).contains(&self.password_reset_ttl_minutes) {
            return Err(ConfigError::new(
                "PORTICO_PASSWORD_RESET_TTL_MINUTES",
                "must be between 5 and 1440",
            ));
        }
        if !(1..=24 * 60).contains(&self.break_glass_minutes) {
            return Err(ConfigError::new(
                "PORTICO_BREAK_GLASS_MINUTES",
                "must be between 1 and 1440",
            ));
        }
        if let Some(key) = &self.secrets_key
            && let Err(problem) = portico_auth::sealing::Sealer::from_base64(key.expose_secret())
        {
            return Err(ConfigError::new("PORTICO_SECRETS_KEY", problem));
        }
        if self.env == Environment::Production && self.secrets_key.is_none() {
            return Err(ConfigError::new(
                "PORTICO_SECRETS_KEY",
                "is required in production (`portico secrets-key` makes one)",
            ));
        }
        if !(1..=300).contains(&self.ehr_request_timeout_secs) {
            return Err(ConfigError::new(
                "PORTICO_EHR_REQUEST_TIMEOUT_SECS",
                "must be between 1 and 300",
            ));
        }
        if !(10..=1000).contains(&self.ehr_page_size) {
            return Err(ConfigError::new(
                "PORTICO_EHR_PAGE_SIZE",
                "must be between 10 and 1000",
            ));
        }
        self.validate_billing()?;
        for origin in self.cors_origin_list() {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                return Err(ConfigError::new(
                    "PORTICO_CORS_ORIGINS",
                    format!("{origin} is not an origin such as https://app.example.com"),
                ));
            }
        }
        Ok(())
    }

    fn validate_billing(&self) -> Result<(), ConfigError> {
        if self.stripe_secret_key.is_none() {
            return Ok(());
        }
        if self.stripe_webhook_secret.is_none() {
            return Err(ConfigError::new(
                "PORTICO_STRIPE_WEBHOOK_SECRET",
                "is required with PORTICO_STRIPE_SECRET_KEY",
            ));
        }
        if !(self.stripe_api_base.starts_with("https://")
            || is_loopback_http(&self.stripe_api_base))
        {
            return Err(ConfigError::new(
                "PORTICO_STRIPE_API_BASE",
                "must be https (or http on this machine)",
            ));
        }
        if self.billing_plans.is_empty() {
            return Err(ConfigError::new(
                "PORTICO_BILLING_PLANS",
                "at least one plan is needed when billing is on",
            ));
        }
        let mut codes = std::collections::HashSet::new();
        for plan in &self.billing_plans {
            let code_ok = !plan.code.is_empty()
                && plan.code.len() <= 64
                && plan
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !code_ok || !codes.insert(plan.code.as_str()) {
                return Err(ConfigError::new(
                    "PORTICO_BILLING_PLANS",
                    format!(
                        "plan code {:?} must be unique, lower case letters, digits and _",
                        plan.code
                    ),
                ));
            }
        }
        // A subscription names prices, and its base price names its plan.
        let mut bases = std::collections::HashSet::new();
        if let Some(shared) = self
            .billing_plans
            .iter()
            .find(|plan| plan.base_price.is_empty() || !bases.insert(plan.base_price.as_str()))
        {
            return Err(ConfigError::new(
                "PORTICO_BILLING_PLANS",
                format!("plan {:?} needs a base price of its own", shared.code),
            ));
        }
        for (setting, days) in [
            ("PORTICO_BILLING_TRIAL_DAYS", self.billing_trial_days),
            ("PORTICO_BILLING_GRACE_DAYS", self.billing_grace_days),
            (
                "PORTICO_BILLING_RETENTION_DAYS",
                self.billing_retention_days,
            ),
        ] {
            if days > 3650 {
                return Err(ConfigError::new(setting, "must be at most 3650"));
            }
        }
        Ok(())
    }

    /// Billing's settings (used when a Stripe key is set).
    pub fn billing_settings(&self) -> portico_core::billing::settings::BillingSettings {
        let days = |d: u32| chrono::Duration::days(i64::from(d));
        portico_core::billing::settings::BillingSettings {
            catalogue: portico_core::billing::plans::Catalogue {
                plans: self.billing_plans.clone(),
            },
            trial: days(self.billing_trial_days),
            grace: days(self.billing_grace_days),
            retention: days(self.billing_retention_days),
            meter_event_name: self.billing_meter_event.clone(),
        }
    }

    /// Whether GraphQL answers carry a `Server-Timing` header.
    pub fn server_timing(&self) -> bool {
        self.server_timing.unwrap_or(self.is_development())
    }

    pub fn is_development(&self) -> bool {
        self.env == Environment::Development
    }

    pub fn is_postgres(&self) -> bool {
        is_postgres(self.database_url.expose_secret())
    }

    /// `PORTICO_TRUSTED_PROXIES` as networks (an address alone is a network of one).
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::new(
                            "PORTICO_TRUSTED_PROXIES",
                            "must be addresses or CIDR blocks, comma-separated (10.0.0.0/8, 192.0.2.7)",
                        )
                    })
            })
            .collect()
    }

    pub fn cors_origin_list(&self) -> impl Iterator<Item = &str> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    pub fn session_settings(&self) -> portico_graphql::SessionSettings {
        portico_graphql::SessionSettings {
            staff_idle: Duration::from_secs(self.session_staff_idle_secs),
            patient_idle: Duration::from_secs(self.session_patient_idle_secs),
            absolute: Duration::from_secs(self.session_absolute_secs),
        }
    }

    pub fn argon2_params(&self) -> portico_auth::password::Argon2Params {
        portico_auth::password::Argon2Params {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }

    pub fn graphql_limits(&self) -> portico_graphql::Limits {
        portico_graphql::Limits {
            max_depth: self.graphql_max_depth,
            max_complexity: self.graphql_max_complexity,
            max_aliases: self.graphql_max_aliases,
            max_batch: self.graphql_max_batch,
            introspection: self.graphql_introspection.unwrap_or(self.is_development()),
            suggestions: self.graphql_suggestions.unwrap_or(self.is_development()),
            ..portico_graphql::Limits::default()
        }
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_host_may_take_plain_http() {
        assert!(is_loopback_http("http://127.0.0.1:9000"));
        assert!(is_loopback_http("http://localhost:9000/x"));
        assert!(is_loopback_http("http://[::1]:9000"));
        for remote in [
            "http://localhost.evil.example",
            "http://127.0.0.1.example.com",
            "http://example.com",
            "https://127.0.0.1",
            "not a url",
        ] {
            assert!(!is_loopback_http(remote), "{remote}");
        }
    }

    #[test]
    fn defaults_are_valid_and_embedded() {
        let c = Config::default();
        c.validate().unwrap();
        assert!(!c.is_postgres());
        assert!(c.graphql_limits().introspection);
    }

    #[test]
    fn postgres_without_redis_names_the_redis_setting() {
        let c = Config {
            database_url: SecretString::from("postgres://app@localhost/portico"),
            ..Config::default()
        };
        let err = c.validate().unwrap_err();
        assert_eq!(err.setting, "PORTICO_REDIS_URL");
    }

    #[test]
    fn commands_without_workers_accept_postgres_without_redis() {
        let c = Config {
            database_url: SecretString::from("postgres://app@localhost/portico"),
            ..Config::default()
        };
        c.validate_without_queue().unwrap();
    }

    #[test]
    fn production_turns_introspection_off_unless_asked() {
        let c = Config {
            env: Environment::Production,
            ..Config::default()
        };
        assert!(!c.graphql_limits().introspection);
        assert!(!c.graphql_limits().suggestions);
    }

    #[test]
    fn debug_never_prints_database_credentials() {
        let c = Config {
            database_url: SecretString::from("postgres://app:hunter2@db/portico"),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
