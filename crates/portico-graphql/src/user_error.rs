//! Validation failures returned in a mutation's payload, not as GraphQL errors.

use async_graphql::SimpleObject;
use portico_core::CoreError;

use crate::ApiError;

/// One problem with a mutation's input.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The input field, in the schema's spelling (`adminEmail`).
    pub field: String,
    /// Stable: `INVALID_SLUG`, `RESERVED_SLUG`, `PASSWORD_TOO_SHORT`, `CONFLICT`, ...
    pub code: String,
    pub message: String,
}

impl UserError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// A validation failure (invalid input, a conflict) as `userErrors`; any other failure
    /// is given back.
    pub fn of_input(err: CoreError) -> Result<Vec<Self>, CoreError> {
        match err {
            CoreError::Invalid {
                field,
                code,
                message,
            } => Ok(vec![Self::new(field, code, message)]),
            CoreError::Conflict { field } => Ok(vec![Self::new(
                field,
                "CONFLICT",
                format!("this {field} is already taken"),
            )]),
            other => Err(other),
        }
    }

    /// Validation errors become `userErrors`; anything else stays a GraphQL error.
    pub fn from_core(err: CoreError, request_id: &str) -> async_graphql::Result<Vec<Self>> {
        Self::of_input(err).map_err(|other| ApiError::from_core(other, request_id).into())
    }
}

/// Ends a mutation's transaction: commits when `result` is a success; rolls back and turns a
/// validation failure into `userErrors`; anything else becomes a GraphQL error.
pub async fn settle<T>(
    tx: portico_core::TenantTx,
    result: portico_core::CoreResult<T>,
    request_id: &str,
) -> async_graphql::Result<Result<T, Vec<UserError>>> {
    let core = |e| ApiError::from_core(e, request_id);
    match result {
        Ok(value) => {
            tx.commit().await.map_err(core)?;
            Ok(Ok(value))
        }
        Err(e) => {
            tx.rollback().await.map_err(core)?;
            Ok(Err(UserError::from_core(e, request_id)?))
        }
    }
}
