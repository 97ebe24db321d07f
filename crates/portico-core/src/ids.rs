//! Typed ids. Every id is a UUIDv7 (time-ordered, so inserts stay local in B-tree indexes) and
//! wrapped in a newtype so that a patient id cannot be passed where a tenant id is meant.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// A practice (or the platform itself).
    TenantId
);
id_type!(
    /// A person who signs in: staff, practice admin, operator or patient.
    UserId
);
id_type!(
    /// A patient's chart within one practice.
    PatientId
);
id_type!(
    /// One entry of a tenant's audit log.
    AuditEventId
);

/// The opaque id the API shows for `id` of `type_name` (base64url of `Type:uuid`, no
/// padding), for what Portico sends outside the API that a client then looks up through it
/// (a webhook's payload).
pub fn global(type_name: &str, id: Uuid) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}"))
}
