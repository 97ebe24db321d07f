//! Errors a client may see, each with a stable `extensions.code`. Internal failures are
//! logged with the request id and reach the client only as `INTERNAL` with that id.

use async_graphql::{ErrorExtensions, ServerError};
use portico_core::{CoreError, error::chain};

/// The stable codes in `extensions.code`: every error Portico answers with carries one.
// No field returns it: it is registered on the schema so the SDL lists every code, and the
// table in docs/api.md is checked against it.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No valid session or API key, or the session was signed out or revoked.
    Unauthenticated,
    /// Signed in, but the role may not do this.
    Forbidden,
    /// The object does not exist in this practice, or is not this user's to see.
    NotFound,
    /// A restricted chart: open it with `breakGlass` and a stated reason.
    BreakGlassRequired,
    /// No practice is known at this address or `X-Portico-Tenant` slug.
    TenantNotFound,
    /// The practice's account is suspended: new activity is refused.
    TenantSuspended,
    /// Staff must set up two-step verification before anything else.
    MfaEnrolmentRequired,
    /// Wrong email, password or code, or a locked account: one answer for all.
    InvalidCredentials,
    /// The password was right; a TOTP or recovery code is needed too.
    MfaRequired,
    /// Too many attempts; `extensions.retryAfter` says how many seconds to wait.
    RateLimited,
    /// An argument failed validation; `extensions.field` names it, `extensions.reason` says why.
    BadUserInput,
    /// Something failed inside Portico; quote `extensions.requestId` to support.
    Internal,
    /// The service is starting or its database is unreachable; try again shortly.
    Unavailable,
    /// The document is not valid GraphQL.
    GraphqlParseFailed,
    /// The document does not fit the schema.
    GraphqlValidationFailed,
    /// The query nests fields deeper than the limit.
    QueryTooDeep,
    /// The query asks for more than the complexity limit.
    QueryTooComplex,
    /// The document holds more aliases than the limit.
    TooManyAliases,
    /// The document holds more directives than the limit.
    TooManyDirectives,
    /// Brackets nested past 64 levels, refused before parsing.
    RecursionLimitExceeded,
    /// A batch holds more operations than the limit.
    BatchTooLarge,
    /// The request body is larger than the limit.
    RequestTooLarge,
    /// A multipart request carries more files than the limit.
    TooManyFiles,
    /// The request is malformed (its JSON, variables or choice of operation).
    BadRequest,
    /// A form or plain-text POST without the `X-Portico-CSRF` header, or a browser-mode
    /// request from another origin.
    CsrfRejected,
    /// A mutation sent over GET.
    MutationOverGet,
    /// A caregiver's grant does not include this; `extensions.scope` names what is missing.
    ProxyScopeDenied,
    /// This instance does not know the persisted query's hash: send the query with it once.
    PersistedQueryNotFound,
    /// `extensions.persistedQuery` is not version 1 with a SHA-256 hash of the query sent.
    PersistedQueryInvalid,
}

impl ErrorCode {
    /// The code as it appears in `extensions.code` and in the schema.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BreakGlassRequired => "BREAK_GLASS_REQUIRED",
            Self::TenantNotFound => "TENANT_NOT_FOUND",
            Self::TenantSuspended => "TENANT_SUSPENDED",
            Self::MfaEnrolmentRequired => "MFA_ENROLMENT_REQUIRED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::MfaRequired => "MFA_REQUIRED",
            Self::RateLimited => "RATE_LIMITED",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Internal => "INTERNAL",
            Self::Unavailable => "UNAVAILABLE",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::QueryTooDeep => "QUERY_TOO_DEEP",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::TooManyAliases => "TOO_MANY_ALIASES",
            Self::TooManyDirectives => "TOO_MANY_DIRECTIVES",
            Self::RecursionLimitExceeded => "RECURSION_LIMIT_EXCEEDED",
            Self::BatchTooLarge => "BATCH_TOO_LARGE",
            Self::RequestTooLarge => "REQUEST_TOO_LARGE",
            Self::TooManyFiles => "TOO_MANY_FILES",
            Self::BadRequest => "BAD_REQUEST",
            Self::CsrfRejected => "CSRF_REJECTED",
            Self::MutationOverGet => "MUTATION_OVER_GET",
            Self::ProxyScopeDenied => "PROXY_SCOPE_DENIED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryInvalid => "PERSISTED_QUERY_INVALID",
        }
    }

    /// Every code, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        use async_graphql::resolver_utils::EnumType;
        Self::items().iter().map(|item| item.value)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
                    "readings" => "recording readings",
                    _ => "reading the record",
                }
            ),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::MfaEnrolmentRequired => ErrorCode::MfaEnrolmentRequired,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::MfaRequired => ErrorCode::MfaRequired,
            Self::TenantNotFound => ErrorCode::TenantNotFound,
            Self::TenantSuspended => ErrorCode::TenantSuspended,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::NotFound => ErrorCode::NotFound,
            Self::BreakGlassRequired => ErrorCode::BreakGlassRequired,
            Self::BadUserInput { .. } => ErrorCode::BadUserInput,
            Self::Unavailable => ErrorCode::Unavailable,
            Self::Internal { .. } => ErrorCode::Internal,
            Self::ProxyScopeDenied { .. } => ErrorCode::ProxyScopeDenied,
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, e| {
            e.set("code", self.code().as_str());
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
pub fn server_error(message: impl Into<String>, code: ErrorCode) -> ServerError {
    let mut err = ServerError::new(message, None);
    set_code(&mut err, code);
    err
}

/// Sets `extensions.code` on an error produced by async-graphql itself.
pub(crate) fn set_code(err: &mut ServerError, code: ErrorCode) {
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use async_graphql::resolver_utils::EnumType;

    use super::*;

    #[test]
    fn each_code_is_spelled_as_the_schema_spells_it() {
        for item in ErrorCode::items() {
            assert_eq!(item.value.as_str(), item.name);
        }
    }

    /// The codes in docs/api.md's table under "### Error codes".
    fn readme_codes() -> BTreeSet<String> {
        // Read when the test runs (not compiled in): the docs are no input of the build.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
        let readme = std::fs::read_to_string(path).expect("docs/api.md is readable");
        let section = readme
            .split("### Error codes")
            .nth(1)
            .expect("docs/api.md has an Error codes section");
        section
            .lines()
            .skip_while(|l| !l.starts_with("| code |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|row| row.trim_matches('|').split(" | ").next())
            .map(|cell| cell.trim().trim_matches('`').to_owned())
            .collect()
    }

    #[test]
    fn the_api_docs_list_every_error_code_and_no_other() {
        let listed = readme_codes();
        let codes: BTreeSet<String> = ErrorCode::all().map(|c| c.as_str().to_owned()).collect();
        let missing: Vec<_> = codes.difference(&listed).collect();
        let unknown: Vec<_> = listed.difference(&codes).collect();
        assert!(missing.is_empty(), "missing from docs/api.md: {missing:?}");
        assert!(
            unknown.is_empty(),
            "in docs/api.md, not in ErrorCode: {unknown:?}"
        );
    }

    #[test]
    fn an_internal_error_keeps_only_the_request_id() {
        let refused = std::io::Error::other("connection refused");
        let err = ApiError::from_core(CoreError::adapter(refused), "req-1");
        assert_eq!(err.code(), ErrorCode::Internal);
        assert_eq!(err.message(), "internal error");
    }
}
