//! What the test modules share, so that no test module reaches into another: global ids,
//! the fields every test reads from a response, and fixtures by area in the submodules.
//! Waiting for something asynchronous is `portico_tests::wait_until`, in the harness.

pub mod adoption;
pub mod attachments;
pub mod ehr;
pub mod messaging;
pub mod processes;
pub mod records;
pub mod scheduling;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;

/// `refreshSession`: a new session for a refresh token (`$t`).
pub const REFRESH: &str = "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) {
    session { accessToken refreshToken } } }";

/// The global id of the `kind` object `uuid` (as the API gives ids: `Kind:uuid` in base64url).
pub fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

/// The uuid inside a global id.
pub fn uuid_of(global: &str) -> uuid::Uuid {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(global).unwrap()).unwrap();
    raw.split_once(':').unwrap().1.parse().unwrap()
}

/// The code of the first of the `userErrors` of mutation `field` in the response `body`.
pub fn user_error<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body["data"][field]["userErrors"][0]["code"].as_str()
}

/// The token of the first `#token=` link in a message (an invitation, a reminder, a reset).
pub fn token_in(message: &str) -> String {
    let (_, rest) = message
        .split_once("#token=")
        .unwrap_or_else(|| panic!("no link with a token: {message}"));
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(!token.is_empty(), "an empty token: {message}");
    token
}
