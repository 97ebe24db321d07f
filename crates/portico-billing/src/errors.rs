//! Stripe's failures as the domain sees them: a refusal carries Stripe's error code (or its
//! error type when there is no code), never the message, which can echo input back.

use portico_core::billing::gateway::BillingError;
use stripe::StripeError;
use stripe_shared::ApiErrors;

/// Maps a failed call: a 4xx answer is a refusal, anything else (5xx, the network, a body
/// that does not parse, the configuration) means Stripe is unavailable.
pub(crate) fn to_billing_error(error: StripeError) -> BillingError {
    match error {
        StripeError::Stripe(api, status) if (400..500).contains(&status) => BillingError::Refused {
            code: refusal_code(&api),
        },
        StripeError::Stripe(api, status) => {
            BillingError::Unavailable(format!("status {status} ({})", refusal_code(&api)))
        }
        StripeError::JSONDeserialize(_) => {
            BillingError::Unavailable("unexpected response body".to_owned())
        }
        StripeError::Timeout => BillingError::Unavailable("timed out".to_owned()),
        // These carry hyper's or the builder's text, which names neither the key nor a body.
        StripeError::ClientError(reason) => BillingError::Unavailable(reason),
        StripeError::ConfigError(reason) => {
            BillingError::Unavailable(format!("configuration: {reason}"))
        }
    }
}

fn refusal_code(api: &ApiErrors) -> String {
    api.code
        .as_ref()
        .map(|code| code.as_str().to_owned())
        .unwrap_or_else(|| api.type_.as_str().to_owned())
}

/// Whether Stripe refused a meter event because its identifier was already used: the usage
/// was counted by an earlier report. Stripe answers a 400 naming the `identifier` parameter
/// (`resource_already_exists`); the message is read only to recognise this case.
pub(crate) fn is_duplicate_meter_event(error: &StripeError) -> bool {
    let StripeError::Stripe(api, 400) = error else {
        return false;
    };
    let code = api.code.as_ref().map(|code| code.as_str());
    if code == Some("resource_already_exists") {
        return true;
    }
    let message = api
        .message
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let names_identifier =
        api.param.as_deref() == Some("identifier") || message.contains("identifier");
    names_identifier && (message.contains("already") || message.contains("duplicate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe_error(status: u16, error: &str) -> StripeError {
        let parsed: stripe_shared::Error =
            miniserde::json::from_str(&format!(r#"{{"error": {error}}}"#)).unwrap();
        StripeError::Stripe(parsed.error, status)
    }

    #[test]
    fn a_client_error_is_refused_with_its_code_or_else_its_type() {
        let coded = stripe_error(
            400,
            r#"{"type": "invalid_request_error", "code": "resource_missing",
                "message": "No such customer: 'cus_secret'"}"#,
        );
        assert!(matches!(
            to_billing_error(coded),
            BillingError::Refused { code } if code == "resource_missing"
        ));
        let uncoded = stripe_error(401, r#"{"type": "invalid_request_error", "message": "x"}"#);
        assert!(matches!(
            to_billing_error(uncoded),
            BillingError::Refused { code } if code == "invalid_request_error"
        ));
    }

    #[test]
    fn a_server_error_or_a_bad_body_is_unavailable_without_the_message() {
        let error = to_billing_error(stripe_error(
            500,
            r#"{"type": "api_error", "message": "cus_secret broke"}"#,
        ));
        assert!(matches!(&error, BillingError::Unavailable(_)));
        assert!(!error.to_string().contains("cus_secret"), "{error}");
        assert!(matches!(
            to_billing_error(StripeError::JSONDeserialize("x".to_owned())),
            BillingError::Unavailable(_)
        ));
    }

    #[test]
    fn a_reused_meter_event_identifier_is_recognised() {
        for error in [
            r#"{"type": "invalid_request_error", "code": "resource_already_exists",
                "message": "x"}"#,
            r#"{"type": "invalid_request_error", "param": "identifier",
                "message": "An event already exists with identifier t-1."}"#,
            r#"{"type": "invalid_request_error",
                "message": "Duplicate meter event identifier t-1."}"#,
        ] {
            assert!(
                is_duplicate_meter_event(&stripe_error(400, error)),
                "{error}"
            );
        }
    }

    #[test]
    fn other_meter_event_refusals_are_not_duplicates() {
        for (status, error) in [
            (
                400,
                r#"{"type": "invalid_request_error", "code": "parameter_missing",
                    "param": "identifier", "message": "Missing required param: identifier."}"#,
            ),
            (
                400,
                r#"{"type": "invalid_request_error", "message": "No active meter found."}"#,
            ),
            (
                500,
                r#"{"type": "api_error", "code": "resource_already_exists", "message": "x"}"#,
            ),
        ] {
            assert!(
                !is_duplicate_meter_event(&stripe_error(status, error)),
                "{error}"
            );
        }
    }
}
