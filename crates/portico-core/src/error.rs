//! Errors of the domain layer, each with a stable code the API layer may show to a client.

use sea_orm::DbErr;

pub type CoreResult<T> = Result<T, CoreError>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The object does not exist *in this tenant* (another tenant's object is not found too).
    #[error("not found")]
    NotFound,
    /// Input that failed validation; `field` names the input field, `message` is safe to show.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        code: &'static str,
        message: String,
    },
    /// The chart is restricted: this user must break the glass (with a reason) to open it.
    #[error("break-glass access required")]
    BreakGlassRequired,
    /// A uniqueness rule was violated (a slug or email already taken).
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// A write (such as an audit event) was attempted in a read-only transaction: a bug in
    /// the caller, never the client's fault.
    #[error("write attempted in a read-only transaction")]
    ReadOnly,
    /// An adapter (password hasher, token signer) failed.
    #[error("adapter error: {0}")]
    Adapter(String),
    #[error("database error")]
    Database(#[from] DbErr),
    /// A caregiver's grant on this chart does not include `scope` (`book`, `refills`,
    /// `message`, `read`). The chart was shared with them, so saying so leaks nothing.
    #[error("the proxy grant does not include {scope}")]
    ProxyScopeDenied { scope: &'static str },
}

impl CoreError {
    pub fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            code,
            message: message.into(),
        }
    }

    /// The same validation error, reported on another input field.
    pub fn on_field(self, name: &'static str) -> Self {
        match self {
            Self::Invalid { code, message, .. } => Self::Invalid {
                field: name,
                code,
                message,
            },
            Self::Conflict { .. } => Self::Conflict { field: name },
            other => other,
        }
    }

    /// The stable machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Invalid { code, .. } => code,
            Self::Conflict { .. } => "CONFLICT",
            Self::BreakGlassRequired => "BREAK_GLASS_REQUIRED",
            Self::ReadOnly | Self::Adapter(_) | Self::Database(_) => "INTERNAL",
            Self::ProxyScopeDenied { .. } => "PROXY_SCOPE_DENIED",
        }
    }
}
