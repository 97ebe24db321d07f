//! Who someone is: roles, the claims an access token carries, and the principal a request
//! acts as. The services that create accounts and sessions are in `accounts` and `sessions`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TenantId, UserId};

/// The default roles. A user has exactly one; what each may do is casbin policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    PracticeAdmin,
    Provider,
    Staff,
    Patient,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Operator,
        Role::PracticeAdmin,
        Role::Provider,
        Role::Staff,
        Role::Patient,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::PracticeAdmin => "practice_admin",
            Self::Provider => "provider",
            Self::Staff => "staff",
            Self::Patient => "patient",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff roles must use a second factor.
    pub fn requires_mfa(self) -> bool {
        !matches!(self, Self::Patient)
    }
}

/// Where a session stands with its second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// Signed in with a second factor, or one is not required.
    Satisfied,
    /// A staff account without TOTP yet: it may only enrol.
    EnrolmentRequired,
}

/// What an access token says, once verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// The refresh-token family: signing out revokes it.
    pub session_id: Uuid,
    pub role: Role,
    pub mfa: MfaState,
    /// Unix seconds.
    pub issued_at: i64,
    pub expires_at: i64,
    /// Set when the request authenticated with an API key rather than a session; `user_id`
    /// is then the admin who created the key.
    pub api_key_id: Option<Uuid>,
    /// The scopes such a key is limited to; `None` for a session, or a key with its role's
    /// whole access.
    #[serde(default)]
    pub key_scopes: Option<Vec<crate::api_keys::KeyScope>>,
    /// Set on a token issued to a SMART app: it reads one chart through the FHIR API within
    /// the scopes the patient granted, and nothing else (GraphQL refuses it).
    #[serde(default)]
    pub smart: Option<SmartClaims>,
}

/// What a SMART app's access token carries: the app, the chart and the granted scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmartClaims {
    pub app_id: Uuid,
    /// The chart a patient's app reads; `None` for a backend service, whose `system/`
    /// scopes are good for `$export` only.
    #[serde(default)]
    pub patient_id: Option<Uuid>,
    /// Space-separated, as granted.
    pub scope: String,
}

/// Why a token was not accepted. Never shown to the client beyond `UNAUTHENTICATED`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature or algorithm")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("issued for another tenant")]
    WrongAudience,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong token type")]
    WrongType,
    #[error("lifetime longer than issued tokens have")]
    LifetimeTooLong,
    #[error("session revoked")]
    Revoked,
}
