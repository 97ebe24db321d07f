//! Configuration: one validated struct, loaded once. Defaults are embedded (each section's
//! `Default`), then an optional TOML file (`PORTICO_CONFIG`), then `PORTICO_*` environment
//! variables, then command-line flags; `validate` names the setting that is wrong.
//!
//! The settings are one flat set (`PORTICO_DATABASE_URL`, not `PORTICO_DATABASE__URL`), read
//! into sections by area: a section's fields are its settings' names without the prefix, and
//! each section checks its own settings.

mod attachments;
mod auth;
mod billing;
mod database;
#[cfg(test)]
mod documented;
mod ehr;
mod graphql;
mod http;
mod notify;
mod queue;
mod runtime;
mod secrets;
mod sessions;

use std::{collections::HashSet, fmt::Display, ops::RangeInclusive};

pub use attachments::{AttachmentsConfig, S3Settings};
pub use auth::AuthConfig;
pub use billing::BillingConfig;
pub use database::DatabaseConfig;
pub use ehr::EhrConfig;
use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
pub use graphql::GraphqlConfig;
pub use http::HttpConfig;
pub use notify::{NotifyConfig, SmsProvider};
pub use queue::QueueConfig;
pub use runtime::{Environment, LogFormat, RuntimeConfig};
pub use secrets::SecretsConfig;
use serde::de::DeserializeOwned;
pub use sessions::SessionsConfig;

#[derive(Clone, Debug, Default)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Config {
    pub runtime: RuntimeConfig,
    pub database: DatabaseConfig,
    pub queue: QueueConfig,
    pub http: HttpConfig,
    pub graphql: GraphqlConfig,
    pub sessions: SessionsConfig,
    pub auth: AuthConfig,
    pub secrets: SecretsConfig,
    pub notify: NotifyConfig,
    pub attachments: AttachmentsConfig,
    pub ehr: EhrConfig,
    pub billing: BillingConfig,
}

/// A setting that is missing or wrong; displayed as one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    fn new(setting: &str, problem: impl Into<String>) -> Self {
        Self {
            setting: setting.to_owned(),
            problem: problem.into(),
        }
    }

    fn from_figment(e: &figment::Error) -> Self {
        let setting = e
            .path
            .first()
            .map(|p| format!("PORTICO_{}", p.to_ascii_uppercase()))
            .unwrap_or_else(|| match &e.kind {
                figment::error::Kind::UnknownField(field, _) => {
                    format!("PORTICO_{}", field.to_ascii_uppercase())
                }
                _ => "configuration".to_owned(),
            });
        let problem = match &e.kind {
            figment::error::Kind::UnknownField(..) => "not a Portico setting".to_owned(),
            kind => kind.to_string(),
        };
        Self::new(&setting, problem)
    }
}

/// Variables with the `PORTICO_` prefix that are not settings of the server.
const NOT_SETTINGS: &[&str] = &["config", "test_database_url", "test_redis_url"];

/// Plain http to this machine, for development and tests: the host itself is loopback
/// (`http://localhost.example.com` is not).
pub fn is_loopback_http(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    parsed.scheme() == "http"
        && match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// A count or a length that must not be 0.
fn positive<T: PartialEq + From<u8>>(setting: &str, value: T) -> Result<(), ConfigError> {
    if value == T::from(0) {
        return Err(ConfigError::new(setting, "must be greater than 0"));
    }
    Ok(())
}

fn within<T: PartialOrd + Display>(
    setting: &str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), ConfigError> {
    if !range.contains(&value) {
        return Err(ConfigError::new(
            setting,
            format!("must be between {} and {}", range.start(), range.end()),
        ));
    }
    Ok(())
}

impl Config {
    /// Loads defaults, the optional file named by `PORTICO_CONFIG`, and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Ok(path) = std::env::var("PORTICO_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(ConfigError::new(
                    "PORTICO_CONFIG",
                    format!("no file at {path}"),
                ));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("PORTICO_").ignore(NOT_SETTINGS));
        Self::from_figment(&figment)
    }

    /// Every section reads the same flat values. Of the settings that are unknown or
    /// malformed, the first in alphabetical order is named, as for one flat struct.
    fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        // Reading all values first reports a file that is not TOML.
        let values: figment::value::Dict = figment
            .extract()
            .map_err(|e| ConfigError::from_figment(&e))?;
        let mut sections = Sections {
            figment,
            known: HashSet::new(),
            first_error: None,
        };
        let config = Self {
            runtime: sections.read(),
            database: sections.read(),
            queue: sections.read(),
            http: sections.read(),
            graphql: sections.read(),
            sessions: sections.read(),
            auth: sections.read(),
            secrets: sections.read(),
            notify: sections.read(),
            attachments: sections.read(),
            ehr: sections.read(),
            billing: sections.read(),
        };
        if let Some(unknown) = values.keys().find(|k| !sections.known.contains(k.as_str())) {
            let setting = format!("PORTICO_{}", unknown.to_ascii_uppercase());
            sections.keep(unknown, ConfigError::new(&setting, "not a Portico setting"));
        }
        match sections.first_error {
            Some((_, e)) => Err(e),
            None => Ok(config),
        }
    }

    /// Everything, for the commands that run the API or workers.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_without_queue()?;
        if self.database.is_postgres() && self.queue.redis_url.is_none() {
            return Err(ConfigError::new(
                "PORTICO_REDIS_URL",
                "is required with PostgreSQL (the job queue and pub/sub run on Redis)",
            ));
        }
        Ok(())
    }

    /// Everything but the need for Redis with PostgreSQL: for the commands that use the
    /// database alone (`migrate`, `demo`, `operator`, `audit`, `keys`).
    pub fn validate_without_queue(&self) -> Result<(), ConfigError> {
        self.database.validate()?;
        self.queue.validate()?;
        self.http.validate()?;
        self.runtime.validate()?;
        self.graphql.validate()?;
        self.sessions.validate()?;
        self.auth.validate()?;
        self.notify.validate()?;
        self.attachments.validate()?;
        self.secrets.validate(self.runtime.env)?;
        self.ehr.validate()?;
        self.billing.validate()
    }

    pub fn is_development(&self) -> bool {
        self.runtime.env == Environment::Development
    }

    /// Whether GraphQL answers carry a `Server-Timing` header.
    pub fn server_timing(&self) -> bool {
        self.graphql.server_timing(self.is_development())
    }

    pub fn graphql_limits(&self) -> portico_graphql::Limits {
        self.graphql.limits(self.is_development())
    }
}

/// Reads sections from one figment, noting their settings' names and the error to report.
struct Sections<'a> {
    figment: &'a Figment,
    known: HashSet<&'static str>,
    /// The setting the error is about (without the prefix), and the error.
    first_error: Option<(String, ConfigError)>,
}

impl Sections<'_> {
    fn read<T: DeserializeOwned + Default>(&mut self) -> T {
        self.known.extend(field_names::<T>());
        self.figment.extract().unwrap_or_else(|e| {
            let key = e.path.first().cloned().unwrap_or_default();
            self.keep(&key, ConfigError::from_figment(&e));
            T::default()
        })
    }

    fn keep(&mut self, key: &str, error: ConfigError) {
        if self
            .first_error
            .as_ref()
            .is_none_or(|(first, _)| key < first.as_str())
        {
            self.first_error = Some((key.to_owned(), error));
        }
    }
}

/// The names of a section's settings: the fields serde's derive hands to the deserializer.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _only_the_names = T::deserialize(FieldNames(&mut names));
    names
}

/// A deserializer that notes the fields of the struct asked for, and deserializes nothing.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("only the names were asked for"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod shown {
    //! Secrets in the clear, for docs/configuration.md check of the defaults (test builds only).

    use secrecy::{ExposeSecret, SecretString};
    use serde::{Serialize, Serializer};

    pub fn secret<S: Serializer>(value: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.expose_secret())
    }

    pub fn optional_secret<S: Serializer>(
        value: &Option<SecretString>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_ref().map(ExposeSecret::expose_secret).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn from_toml(toml: &str) -> Result<Config, ConfigError> {
        Config::from_figment(&Figment::from(Toml::string(toml)))
    }

    #[test]
    fn only_a_loopback_host_may_take_plain_http() {
        assert!(is_loopback_http("http://127.0.0.1:9000"));
        assert!(is_loopback_http("http://localhost:9000/x"));
        assert!(is_loopback_http("http://[::1]:9000"));
        for remote in [
            "http://localhost.evil.example",
            "http://127.0.0.1.example.com",
            "http://example.com",
            "https://127.0.0.1",
            "not a url",
        ] {
            assert!(!is_loopback_http(remote), "{remote}");
        }
    }

    #[test]
    fn defaults_are_valid_and_embedded() {
        let c = Config::default();
        c.validate().unwrap();
        assert!(!c.database.is_postgres());
        assert!(c.graphql_limits().introspection);
    }

    #[test]
    fn settings_reach_their_sections() {
        let c = from_toml(
            "listen = '0.0.0.0:9000'\nehr_page_size = 20\n\
             [[billing_plans]]\ncode = 'starter'\nname = 'Starter'\nbase_price = 'price_1'\n",
        )
        .unwrap();
        assert_eq!(c.http.listen.port(), 9000);
        assert_eq!(c.ehr.ehr_page_size, 20);
        assert_eq!(c.billing.billing_plans[0].code, "starter");
        assert_eq!(c.database.database_max_connections, 10, "the default");
    }

    #[test]
    fn an_unknown_setting_is_named() {
        let err = from_toml("listn = '127.0.0.1:9'").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PORTICO_LISTN: not a Portico setting"
        );
    }

    #[test]
    fn a_malformed_setting_is_named() {
        let err = from_toml("database_max_connections = 'many'").unwrap_err();
        assert_eq!(err.setting, "PORTICO_DATABASE_MAX_CONNECTIONS");
    }

    #[test]
    fn of_several_wrong_settings_the_first_in_alphabetical_order_is_named() {
        for (toml, named) in [
            ("aaa = 1\nlisten = 'x'\nzzz = 1", "PORTICO_AAA"),
            (
                "ehr_page_size = 'x'\nlisten = 'x'\nzzz = 1",
                "PORTICO_EHR_PAGE_SIZE",
            ),
            (
                "listen = 'x'\nzzz = 1\nehr_page_size = 'x'",
                "PORTICO_EHR_PAGE_SIZE",
            ),
            ("log_format = 'x'\nlisten = 'x'", "PORTICO_LISTEN"),
        ] {
            assert_eq!(from_toml(toml).unwrap_err().setting, named, "{toml}");
        }
    }

    #[test]
    fn postgres_without_redis_names_the_redis_setting() {
        let mut c = Config::default();
        c.database.database_url = SecretString::from("postgres://app@localhost/portico");
        let err = c.validate().unwrap_err();
        assert_eq!(err.setting, "PORTICO_REDIS_URL");
    }

    #[test]
    fn commands_without_workers_accept_postgres_without_redis() {
        let mut c = Config::default();
        c.database.database_url = SecretString::from("postgres://app@localhost/portico");
        c.validate_without_queue().unwrap();
    }

    #[test]
    fn production_turns_introspection_off_unless_asked() {
        let mut c = Config::default();
        c.runtime.env = Environment::Production;
        assert!(!c.graphql_limits().introspection);
        assert!(!c.graphql_limits().suggestions);
    }

    #[test]
    fn debug_never_prints_database_credentials() {
        let mut c = Config::default();
        c.database.database_url = SecretString::from("postgres://app:hunter2@db/portico");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
