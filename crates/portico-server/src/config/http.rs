//! The HTTP side: where Portico listens and is reached, request limits, browsers, proxies,
//! and the folders the console and the portal may be served from.

use std::net::SocketAddr;

use serde::Deserialize;

use super::{ConfigError, positive};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// `{slug}.{base_domain}` hosts name a practice.
    pub base_domain: String,
    /// Where people open Portico, for links in emails.
    pub public_url: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Browser origins allowed to call the API cross-origin, comma-separated; empty means
    /// same-origin only.
    pub cors_origins: String,
    /// Load balancers and ingresses (addresses or CIDR blocks, comma-separated) whose
    /// `X-Forwarded-For` names the client; empty means the TCP peer is the client.
    pub trusted_proxies: String,
    /// Set (seconds, above 0): every response carries `Strict-Transport-Security`; only for
    /// deployments served over TLS. 0: off.
    pub hsts_max_age_secs: u64,
    /// Set: the console (`/console/`) is served from this folder (a Vite build of
    /// `admin-ui`) instead of the copy built into the binary.
    pub console_dir: Option<String>,
    /// Set: the patient portal (`/t/{slug}/`, `/` on a practice's host, files under
    /// `/portal/`) is served from this folder (a Vite build of `portal-ui`).
    pub portal_dir: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_domain: "localhost".to_owned(),
            public_url: "http://localhost:8080".to_owned(),
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            cors_origins: String::new(),
            trusted_proxies: String::new(),
            hsts_max_age_secs: 0,
            console_dir: None,
            portal_dir: None,
        }
    }
}

impl HttpConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.base_domain.is_empty() || self.base_domain.contains(['/', ':', ' ']) {
            return Err(ConfigError::new(
                "PORTICO_BASE_DOMAIN",
                "must be a host name such as portico.health",
            ));
        }
        positive("PORTICO_MAX_BODY_BYTES", self.max_body_bytes)?;
        positive("PORTICO_REQUEST_TIMEOUT_SECS", self.request_timeout_secs)?;
        self.trusted_proxy_nets()?;
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://"))
            || self.public_url.ends_with('/')
        {
            return Err(ConfigError::new(
                "PORTICO_PUBLIC_URL",
                "must be an origin such as https://portico.example.com (no trailing slash)",
            ));
        }
        for origin in self.cors_origin_list() {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                return Err(ConfigError::new(
                    "PORTICO_CORS_ORIGINS",
                    format!("{origin} is not an origin such as https://app.example.com"),
                ));
            }
        }
        Ok(())
    }

    /// `PORTICO_TRUSTED_PROXIES` as networks (an address alone is a network of one).
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::new(
                            "PORTICO_TRUSTED_PROXIES",
                            "must be addresses or CIDR blocks, comma-separated (10.0.0.0/8, 192.0.2.7)",
                        )
                    })
            })
            .collect()
    }

    pub fn cors_origin_list(&self) -> impl Iterator<Item = &str> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}
