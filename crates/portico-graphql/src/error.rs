//! Errors a client may see, each with a stable `extensions.code`. Internal failures are
//! logged with the request id and reach the client only as `INTERNAL` with that id.

use async_graphql::{ErrorExtensions, ServerError};
use portico_core::{CoreError, error::chain};

/// The stable codes in `extensions.code`.
pub mod codes {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BREAK_GLASS_REQUIRED: &str = "BREAK_GLASS_REQUIRED";
    pub const TENANT_NOT_FOUND: &str = "TENANT_NOT_FOUND";
    pub const TENANT_SUSPENDED: &str = "TENANT_SUSPENDED";
    pub const MFA_ENROLMENT_REQUIRED: &str = "MFA_ENROLMENT_REQUIRED";
    pub const INVALID_CREDENTIALS: &str = "INVALID_CREDENTIALS";
    pub const MFA_REQUIRED: &str = "MFA_REQUIRED";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const INTERNAL: &str = "INTERNAL";
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const TOO_MANY_ALIASES: &str = "TOO_MANY_ALIASES";
    pub const TOO_MANY_DIRECTIVES: &str = "TOO_MANY_DIRECTIVES";
    pub const RECURSION_LIMIT_EXCEEDED: &str = "RECURSION_LIMIT_EXCEEDED";
    pub const BATCH_TOO_LARGE: &str = "BATCH_TOO_LARGE";
    pub const REQUEST_TOO_LARGE: &str = "REQUEST_TOO_LARGE";
    pub const TOO_MANY_FILES: &str = "TOO_MANY_FILES";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const CSRF_REJECTED: &str = "CSRF_REJECTED";
    pub const MUTATION_OVER_GET: &str = "MUTATION_OVER_GET";
    pub const PROXY_SCOPE_DENIED: &str = "PROXY_SCOPE_DENIED";
}

/// Deliberately not `Display`: that keeps async-graphql's blanket `From<T: Display>` away, so
/// `?` always goes through [`ErrorExtensions`] and every error carries its code.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    Forbidden,
    /// Staff must enrol a second factor before anything else.
    MfaEnrolmentRequired,
    /// Wrong email, password or code, or a locked account: one answer for all.
    InvalidCredentials,
    /// The password was right; a TOTP or recovery code is needed too.
    MfaRequired,
    TenantNotFound,
    /// The practice is suspended: new activity is refused.
    TenantSuspended,
    /// Too many attempts (activation codes); retry after this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    NotFound,
    /// A restricted chart: the user must break the glass (`breakGlass`) to open it.
    BreakGlassRequired,
    BadUserInput {
        field: &'static str,
        code: &'static str,
        message: String,
    },
    Unavailable,
    Internal {
        request_id: Option<String>,
    },
    /// A caregiver's grant on a chart they know does not include this (`scope`).
    ProxyScopeDenied {
        scope: &'static str,
    },
}

impl ApiError {
    /// Maps a domain error; internal failures are logged here, once, with the request id and
    /// their whole cause chain.
    pub fn from_core(err: CoreError, request_id: &str) -> Self {
        match err {
            CoreError::NotFound => Self::NotFound,
            CoreError::BreakGlassRequired => Self::BreakGlassRequired,
            CoreError::Invalid {
                field,
                code,
                message,
            } => Self::BadUserInput {
                field,
                code,
                message,
            },
            CoreError::Conflict { field } => Self::BadUserInput {
                field,
                code: "CONFLICT",
                message: format!("{field} is already taken"),
            },
            err @ (CoreError::Adapter { .. } | CoreError::ReadOnly | CoreError::Database(_)) => {
                // Adapter and database errors carry ids and library text, never request data.
                tracing::error!(request_id, error = %chain(&err), "internal error");
                Self::Internal {
                    request_id: Some(request_id.to_owned()),
                }
            }
            CoreError::ProxyScopeDenied { scope } => Self::ProxyScopeDenied { scope },
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "sign in to do this".to_owned(),
            Self::Forbidden => "you are not allowed to do this".to_owned(),
            Self::MfaEnrolmentRequired => {
                "set up two-step verification before continuing".to_owned()
            }
            Self::InvalidCredentials => "the email, password or code is not right".to_owned(),
            Self::MfaRequired => "enter the code from your authenticator app".to_owned(),
            Self::TenantNotFound => "no practice is known at this address".to_owned(),
            Self::TenantSuspended => {
                "this practice's account is suspended; its staff can see why in the console"
                    .to_owned()
            }
            Self::RateLimited { retry_after_secs } => {
                format!("too many attempts; try again in {retry_after_secs} s")
            }
            Self::NotFound => "not found".to_owned(),
            Self::BreakGlassRequired => {
                "this chart is restricted: open it with breakGlass and a stated reason".to_owned()
            }
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Unavailable => {
                "the service is starting or its database is unreachable; try again shortly"
                    .to_owned()
            }
            Self::Internal { .. } => "internal error".to_owned(),
            Self::ProxyScopeDenied { scope } => format!(
                "the access this patient gave you does not include {}; they can add it",
                match *scope {
                    "book" => "booking and changing visits",
                    "refills" => "asking for refills",
                    "message" => "messaging the care team",
                    _ => "reading the record",
                }
            ),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => codes::UNAUTHENTICATED,
            Self::Forbidden => codes::FORBIDDEN,
            Self::MfaEnrolmentRequired => codes::MFA_ENROLMENT_REQUIRED,
            Self::InvalidCredentials => codes::INVALID_CREDENTIALS,
            Self::MfaRequired => codes::MFA_REQUIRED,
            Self::TenantNotFound => codes::TENANT_NOT_FOUND,
            Self::TenantSuspended => codes::TENANT_SUSPENDED,
            Self::RateLimited { .. } => codes::RATE_LIMITED,
            Self::NotFound => codes::NOT_FOUND,
            Self::BreakGlassRequired => codes::BREAK_GLASS_REQUIRED,
            Self::BadUserInput { .. } => codes::BAD_USER_INPUT,
            Self::Unavailable => codes::UNAVAILABLE,
            Self::Internal { .. } => codes::INTERNAL,
            Self::ProxyScopeDenied { .. } => codes::PROXY_SCOPE_DENIED,
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, e| {
            e.set("code", self.code());
            match self {
                Self::BadUserInput { field, code, .. } => {
                    e.set("field", *field);
                    e.set("reason", *code);
                }
                Self::Internal {
                    request_id: Some(id),
                } => e.set("requestId", id.as_str()),
                Self::RateLimited { retry_after_secs } => e.set("retryAfter", *retry_after_secs),
                // The scope as the schema's `ProxyScope` enum spells it.
                Self::ProxyScopeDenied { scope } => e.set("scope", scope.to_ascii_uppercase()),
                _ => {}
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

/// A request-level error (before any resolver runs) carrying `code`.
pub fn server_error(message: impl Into<String>, code: &'static str) -> ServerError {
    let mut err = ServerError::new(message, None);
    set_code(&mut err, code);
    err
}

/// Sets `extensions.code` on an error produced by async-graphql itself.
pub(crate) fn set_code(err: &mut ServerError, code: &'static str) {
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
