//! The last word on every error a client sees: each one leaves with an `extensions.code` and
//! a sentence of Portico's own.
//!
//! Resolvers already answer with coded [`crate::ApiError`]s and the limits extension codes
//! parse and validation failures. What is left comes from async-graphql itself while it
//! coerces arguments and variables (`first: 0` against a validator, an `Int` out of range,
//! a scalar that does not parse) or picks the operation; its text names Rust types and may
//! echo the value sent (which can be PHI, a birth date say), so it is replaced, never passed
//! on or logged.

use std::sync::Arc;

use async_graphql::{
    Response, ServerError,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
    futures_util::stream::{BoxStream, StreamExt},
};

use crate::{RequestContext, error::ErrorCode};

/// Gives every uncoded error a code and a sentence; see the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct CodedErrors;

impl ExtensionFactory for CodedErrors {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CodedErrors)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CodedErrors {
    /// Queries and mutations over HTTP, errors before execution included.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let request_id = request_id(ctx);
        let mut response = next.run(ctx).await;
        code_all(&mut response.errors, &request_id);
        response
    }

    /// Everything sent over graphql-ws (queries and mutations run through it too).
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let request_id = request_id(ctx);
        next.run(ctx, stream)
            .map(move |mut response| {
                code_all(&mut response.errors, &request_id);
                response
            })
            .boxed()
    }
}

fn request_id(ctx: &ExtensionContext<'_>) -> String {
    ctx.data_opt::<RequestContext>()
        .map(|c| c.request_id.clone())
        .unwrap_or_default()
}

fn code_all(errors: &mut [ServerError], request_id: &str) {
    for error in errors.iter_mut().filter(|e| !has_code(e)) {
        let (code, message) = classify(&error.message);
        if code == ErrorCode::Internal {
            // The text may hold the client's values: only where it happened is logged.
            tracing::error!(request_id, path = ?error.path, "uncoded GraphQL error");
        }
        error.message = message;
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", code.as_str());
        if code == ErrorCode::Internal && !request_id.is_empty() {
            extensions.set("requestId", request_id);
        }
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

/// The code and Portico's sentence for an error async-graphql raised with its own text.
fn classify(message: &str) -> (ErrorCode, String) {
    if let Some(rest) = message.strip_prefix("Failed to parse \"") {
        let (type_name, detail) = rest.split_once("\": ").unwrap_or((rest, ""));
        let type_name = type_name.trim_end_matches('"');
        return (ErrorCode::BadUserInput, input_sentence(type_name, detail));
    }
    if message.starts_with("Unknown operation named") {
        return (
            ErrorCode::BadRequest,
            "operationName names no operation in the document".to_owned(),
        );
    }
    if message.starts_with("Operation name required") {
        return (
            ErrorCode::BadRequest,
            "the document holds several operations: say which to run with operationName".to_owned(),
        );
    }
    if message.starts_with("Subscriptions are not supported") {
        return (
            ErrorCode::BadRequest,
            "subscriptions run over graphql-ws on this path, not over HTTP".to_owned(),
        );
    }
    (ErrorCode::Internal, "internal error".to_owned())
}

/// A sentence for a value that did not fit its argument or variable. Only the type's name
/// and the limits a validator states are taken from the library's text, never the value.
fn input_sentence(type_name: &str, detail: &str) -> String {
    let type_name: String = type_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    let number_after = |marker: &str| -> Option<String> {
        let (_, tail) = detail.split_once(marker)?;
        let number: String = tail
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
            .collect();
        (!number.is_empty()).then_some(number)
    };
    if let Some(min) = number_after("must be greater than or equal to") {
        return format!("this {type_name} must be at least {min}");
    }
    if let Some(max) = number_after("must be less than or equal to") {
        return format!("this {type_name} must be at most {max}");
    }
    if let Some(from) = number_after("Only integers from") {
        let to = number_after(" to ").unwrap_or_default();
        return format!("this {type_name} must be a whole number from {from} to {to}");
    }
    if let Some(reason) = own_reason(detail) {
        return format!("this {type_name} is not valid: {reason}");
    }
    format!("the value is not a valid {type_name}")
}

/// Reasons Portico's own scalars give (see `scalars.rs`); these are ours to pass on.
fn own_reason(detail: &str) -> Option<&'static str> {
    const OURS: &[&str] = &["expected a date as YYYY-MM-DD"];
    OURS.iter()
        .copied()
        .find(|reason| detail.starts_with(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_limits_become_sentences() {
        let (code, text) =
            classify("Failed to parse \"Int\": the value is 0, must be greater than or equal to 1");
        assert_eq!(code, ErrorCode::BadUserInput);
        assert_eq!(text, "this Int must be at least 1");
        let (_, text) = classify(
            "Failed to parse \"Int\": the value is 900, must be less than or equal to 500",
        );
        assert_eq!(text, "this Int must be at most 500");
        let (_, text) = classify(
            "Failed to parse \"Int\": Only integers from -2147483648 to 2147483647 are accepted.",
        );
        assert_eq!(
            text,
            "this Int must be a whole number from -2147483648 to 2147483647"
        );
    }

    #[test]
    fn the_value_sent_is_never_echoed() {
        let (code, text) = classify(
            "Failed to parse \"Date\": Expected input type \"Date\", found \"1961-02-03\".",
        );
        assert_eq!(code, ErrorCode::BadUserInput);
        assert!(!text.contains("1961"), "{text}");
        let (code, text) = classify("something else entirely: 1961-02-03");
        assert_eq!(code, ErrorCode::Internal);
        assert!(!text.contains("1961"));
    }
}
