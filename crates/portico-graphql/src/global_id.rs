//! Opaque global ids (Relay): base64url of `Type:uuid`. Clients must not parse them.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

pub fn encode(type_name: &str, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}")))
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
}
