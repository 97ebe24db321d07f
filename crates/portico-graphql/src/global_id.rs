//! Opaque global ids (Relay): base64url of `Type:uuid`. Clients must not parse them.
//!
//! Every id the API returns is one of these, and every id it takes is read with [`parse`]:
//! an id that is malformed or names another type is the caller's mistake
//! (`BAD_USER_INPUT`, reason `INVALID_ID`, with the field), while a well-formed id that
//! names nothing the caller may see is left to the lookup, which answers `NOT_FOUND`, so
//! another practice's or another patient's object looks exactly like an unknown one.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::ApiError;

pub fn encode(type_name: &str, id: Uuid) -> ID {
    ID(portico_core::ids::global(type_name, id))
}

/// The uuid inside `id` when it is a `type_name` id; `None` for anything else.
pub fn decode(type_name: &str, id: &ID) -> Option<Uuid> {
    let raw = URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (ty, uuid) = text.split_once(':')?;
    (ty == type_name).then(|| uuid.parse().ok()).flatten()
}

/// The type name inside a global id.
pub fn type_of(id: &ID) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.split_once(':').map(|(ty, _)| ty.to_owned())
}

/// The uuid inside input `field`, which must be a `type_name` id.
pub fn parse(type_name: &'static str, field: &'static str, id: &ID) -> Result<Uuid, ApiError> {
    decode(type_name, id).ok_or_else(|| invalid(type_name, field))
}

/// [`parse`] for an optional input.
pub fn parse_opt(
    type_name: &'static str,
    field: &'static str,
    id: Option<&ID>,
) -> Result<Option<Uuid>, ApiError> {
    id.map(|id| parse(type_name, field, id)).transpose()
}

/// The error for an id that is not a `type_name` id (no part of the value is echoed).
pub fn invalid(type_name: &'static str, field: &'static str) -> ApiError {
    ApiError::BadUserInput {
        field,
        code: "INVALID_ID",
        message: format!("{field} must be a {type_name} id as the API returns it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let uuid = Uuid::now_v7();
        let id = encode("Patient", uuid);
        assert_eq!(decode("Patient", &id), Some(uuid));
        assert_eq!(decode("User", &id), None);
        assert_eq!(type_of(&id).as_deref(), Some("Patient"));
        assert_eq!(decode("Patient", &ID("not base64!".to_owned())), None);
    }

    #[test]
    fn parse_tells_a_malformed_or_mistyped_id_by_its_field() {
        let uuid = Uuid::now_v7();
        assert_eq!(
            parse("Patient", "patientId", &encode("Patient", uuid)).ok(),
            Some(uuid)
        );
        for bad in [
            encode("User", uuid),
            ID("nope".to_owned()),
            ID(uuid.to_string()),
        ] {
            match parse("Patient", "patientId", &bad) {
                Err(ApiError::BadUserInput { field, code, .. }) => {
                    assert_eq!((field, code), ("patientId", "INVALID_ID"));
                }
                other => panic!("expected BAD_USER_INPUT, got {other:?}"),
            }
        }
    }
}
