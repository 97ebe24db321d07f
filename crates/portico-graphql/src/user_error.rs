//! Validation failures returned in a mutation's payload, not as GraphQL errors.

use async_graphql::SimpleObject;
use portico_core::CoreError;

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
}
