//! Errors of the domain layer, each with a stable code the API layer may show to a client.
//! Internal failures keep their cause, so the chain reaches the log (see [`chain`]).

use std::error::Error as StdError;
use std::fmt;

use sea_orm::DbErr;

use crate::ports::PortError;

pub type CoreResult<T> = Result<T, CoreError>;

/// The cause an internal error carries: any error, or a sentence of Portico's own.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

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
    /// An adapter (password hasher, token signer, queue) failed; the cause is for logs only.
    #[error("adapter error: {source}")]
    Adapter {
        #[source]
        source: BoxError,
    },
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

    /// An adapter's failure, keeping `err` as the source: an error, or a sentence of
    /// Portico's own (never request data: it is logged).
    pub fn adapter(err: impl Into<BoxError>) -> Self {
        Self::Adapter { source: err.into() }
    }

    /// A database error, or `conflict` when it broke a unique index. The one place a unique
    /// violation becomes a conflict.
    pub fn unique_as(err: DbErr, conflict: Self) -> Self {
        if is_unique_violation(&err) {
            conflict
        } else {
            Self::Database(err)
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

    /// Portico's own failure (the database, an adapter, a bug), not a refusal of the
    /// caller: logged, never explained to them.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::ReadOnly | Self::Adapter { .. } | Self::Database(_)
        )
    }

    /// The stable machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Invalid { code, .. } => code,
            Self::Conflict { .. } => "CONFLICT",
            Self::BreakGlassRequired => "BREAK_GLASS_REQUIRED",
            Self::ReadOnly | Self::Adapter { .. } | Self::Database(_) => "INTERNAL",
            Self::ProxyScopeDenied { .. } => "PROXY_SCOPE_DENIED",
        }
    }
}

impl From<PortError> for CoreError {
    fn from(err: PortError) -> Self {
        Self::adapter(err)
    }
}

/// Whether `err` broke a unique index (SQLSTATE 23505 on PostgreSQL, `UNIQUE constraint
/// failed` on SQLite).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// An error with its causes, `a: b: c`, for a log line. A cause whose text its parent's
/// already ends with (a wrapper that prints its source) is not repeated.
pub fn chain<'a>(err: &'a (dyn StdError + 'static)) -> Chain<'a> {
    Chain(err)
}

/// See [`chain`].
pub struct Chain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut cause = self.0.source();
        while let Some(err) = cause {
            let text = err.to_string();
            if !shown.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            cause = err.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk full")]
    struct Original;

    #[test]
    fn an_adapter_error_keeps_the_original_as_its_source() {
        let err = CoreError::adapter(Original);
        let source = err.source().expect("a source");
        assert!(source.downcast_ref::<Original>().is_some());
        assert_eq!(err.code(), "INTERNAL");
    }

    #[test]
    fn a_port_error_keeps_its_cause_through_the_core_error() {
        let err = CoreError::from(PortError::new("outbox-folder", Original));
        let port = err.source().expect("the port error");
        assert!(port.downcast_ref::<PortError>().is_some());
        let original = port.source().expect("the original");
        assert!(original.downcast_ref::<Original>().is_some());
        assert_eq!(
            chain(&err).to_string(),
            "adapter error: outbox-folder: disk full"
        );
    }

    #[test]
    fn the_chain_names_every_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("sending failed")]
        struct Outer(#[source] Original);
        let err = CoreError::adapter(Outer(Original));
        assert_eq!(
            chain(&err).to_string(),
            "adapter error: sending failed: disk full"
        );
    }
}
