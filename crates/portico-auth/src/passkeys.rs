//! WebAuthn ceremonies with webauthn-rs, behind [`PasskeyCeremonies`].
//!
//! Every passkey is discoverable (`residentKey: "required"`) and user-verified (the device's
//! PIN or biometrics): one gesture proves something the person has and something they know
//! or are, so a passkey alone is a complete sign-in. Attestation is not asked for (`none`).
//!
//! A [`Webauthn`] is built per ceremony for the one origin the caller accepted: Portico serves
//! many hosts (each practice's own), and a passkey is bound to the host it was made on.
//! webauthn-rs compares the browser's origin with that one exactly (scheme, host and port),
//! and has no secure-context rule of its own, so `http://localhost:8080` works as browsers
//! allow it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use portico_core::ports::{
    PasskeyAssertion, PasskeyCeremonies, PasskeyChallenge, PasskeyError, RegisteredPasskey,
    RelyingParty,
};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// The webauthn-rs implementation.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebauthnCeremonies;

fn webauthn(rp: &RelyingParty) -> Result<Webauthn, PasskeyError> {
    let origin = Url::parse(&rp.origin).map_err(|_| PasskeyError::Origin)?;
    WebauthnBuilder::new(&rp.id, &origin)
        .map_err(|_| PasskeyError::Origin)?
        .rp_name(&rp.name)
        .build()
        .map_err(|_| PasskeyError::Origin)
}

fn rejected(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Rejected(e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value)
        .map_err(|e| PasskeyError::Port(portico_core::ports::PortError::new("webauthn", e)))
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, PasskeyError> {
    serde_json::to_value(value)
        .map_err(|e| PasskeyError::Port(portico_core::ports::PortError::new("webauthn", e)))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text)
        .map_err(|e| PasskeyError::Port(portico_core::ports::PortError::new("webauthn", e)))
}

impl PasskeyCeremonies for WebauthnCeremonies {
    fn begin_registration(
        &self,
        rp: &RelyingParty,
        user_handle: uuid::Uuid,
        user_name: &str,
        display_name: &str,
        exclude: &[String],
    ) -> Result<PasskeyChallenge, PasskeyError> {
        let exclude = exclude
            .iter()
            .filter_map(|id| URL_SAFE_NO_PAD.decode(id).ok())
            .map(Into::into)
            .collect::<Vec<_>>();
        let (options, state): (_, PasskeyRegistration) = webauthn(rp)?
            .start_passkey_registration(
                Uuid::from_bytes(*user_handle.as_bytes()),
                user_name,
                display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(rejected)?;
        let mut options = to_value(&options)?;
        // webauthn-rs asks for a resident key only as a preference; Portico signs in without
        // naming the account first, which needs a discoverable credential.
        if let Some(selection) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(serde_json::Value::as_object_mut)
        {
            selection.insert("residentKey".to_owned(), "required".into());
            selection.insert("requireResidentKey".to_owned(), true.into());
        }
        Ok(PasskeyChallenge {
            options,
            state: to_json(&state)?,
        })
    }

    fn finish_registration(
        &self,
        rp: &RelyingParty,
        state: &str,
        credential: &serde_json::Value,
    ) -> Result<RegisteredPasskey, PasskeyError> {
        let state: PasskeyRegistration = from_json(state)?;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(rejected)?;
        let passkey = webauthn(rp)?
            .finish_passkey_registration(&credential, &state)
            .map_err(rejected)?;
        Ok(RegisteredPasskey {
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref()),
            credential: to_json(&passkey)?,
        })
    }

    fn begin_sign_in(&self, rp: &RelyingParty) -> Result<PasskeyChallenge, PasskeyError> {
        let (options, state): (_, DiscoverableAuthentication) = webauthn(rp)?
            .start_discoverable_authentication()
            .map_err(rejected)?;
        let mut options = to_value(&options)?;
        // webauthn-rs marks this for conditional mediation (autofill); Portico's pages offer a
        // button, so the browser is left to ask at once. A page may add it back.
        if let Some(object) = options.as_object_mut() {
            object.remove("mediation");
        }
        Ok(PasskeyChallenge {
            options,
            state: to_json(&state)?,
        })
    }

    fn identify(&self, credential: &serde_json::Value) -> Result<PasskeyAssertion, PasskeyError> {
        let credential: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(rejected)?;
        let user_handle = credential
            .get_user_unique_id()
            .and_then(|b| uuid::Uuid::from_slice(b).ok())
            .ok_or_else(|| rejected("no user handle"))?;
        Ok(PasskeyAssertion {
            user_handle,
            credential_id: URL_SAFE_NO_PAD.encode(credential.get_credential_id()),
        })
    }

    fn finish_sign_in(
        &self,
        rp: &RelyingParty,
        state: &str,
        credential: &serde_json::Value,
        stored: &str,
    ) -> Result<String, PasskeyError> {
        let state: DiscoverableAuthentication = from_json(state)?;
        let credential: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(rejected)?;
        let mut passkey: Passkey = from_json(stored)?;
        let result = webauthn(rp)?
            .finish_discoverable_authentication(
                &credential,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(rejected)?;
        if !result.user_verified() {
            return Err(rejected("user not verified"));
        }
        passkey.update_credential(&result);
        to_json(&passkey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp() -> RelyingParty {
        RelyingParty {
            id: "lakeside.localhost".to_owned(),
            origin: "http://lakeside.localhost:8080".to_owned(),
            name: "Lakeside Family Medicine".to_owned(),
        }
    }

    #[test]
    fn registration_asks_for_a_discoverable_user_verified_passkey() {
        let begun = WebauthnCeremonies
            .begin_registration(
                &rp(),
                uuid::Uuid::now_v7(),
                "pat@example.org",
                "Pat",
                &[URL_SAFE_NO_PAD.encode([7u8; 16])],
            )
            .unwrap();
        let options = &begun.options["publicKey"];
        assert_eq!(options["rp"]["id"], "lakeside.localhost");
        assert_eq!(options["rp"]["name"], "Lakeside Family Medicine");
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["requireResidentKey"],
            true
        );
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(options["attestation"], "none");
        assert_eq!(
            options["excludeCredentials"][0]["id"],
            URL_SAFE_NO_PAD.encode([7u8; 16])
        );
        assert!(options["challenge"].is_string());
    }

    #[test]
    fn sign_in_names_no_account_and_asks_at_once() {
        let begun = WebauthnCeremonies.begin_sign_in(&rp()).unwrap();
        assert_eq!(
            begun.options["publicKey"]["allowCredentials"],
            serde_json::json!([])
        );
        assert_eq!(begun.options["publicKey"]["rpId"], "lakeside.localhost");
        assert_eq!(begun.options["publicKey"]["userVerification"], "required");
        assert!(begun.options.get("mediation").is_none());
    }

    #[test]
    fn an_address_or_a_foreign_rp_id_is_no_relying_party() {
        for (id, origin) in [
            ("127.0.0.1", "http://127.0.0.1:8080"),
            ("example.com", "http://lakeside.localhost:8080"),
        ] {
            let rp = RelyingParty {
                id: id.to_owned(),
                origin: origin.to_owned(),
                name: "x".to_owned(),
            };
            assert!(matches!(
                WebauthnCeremonies.begin_sign_in(&rp),
                Err(PasskeyError::Origin)
            ));
        }
    }
}
