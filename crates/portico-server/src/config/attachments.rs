//! Message attachments: a local folder or an S3-compatible bucket, and download links.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, is_loopback_http};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct AttachmentsConfig {
    /// Message attachments are kept in this folder, unless an S3 bucket is set.
    pub attachments_dir: String,
    /// Set: attachments go to this S3-compatible bucket. Unset settings below come from the
    /// standard `AWS_*` variables.
    pub attachments_s3_bucket: Option<String>,
    /// An S3-compatible endpoint (MinIO and the like); https, or http on loopback only.
    pub attachments_s3_endpoint: Option<String>,
    pub attachments_s3_region: Option<String>,
    pub attachments_s3_access_key_id: Option<String>,
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub attachments_s3_secret_access_key: Option<SecretString>,
    /// How long a signed attachment download link works.
    pub attachment_link_secs: u64,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        Self {
            attachments_dir: "attachments".to_owned(),
            attachments_s3_bucket: None,
            attachments_s3_endpoint: None,
            attachments_s3_region: None,
            attachments_s3_access_key_id: None,
            attachments_s3_secret_access_key: None,
            attachment_link_secs: 300,
        }
    }
}

/// The attachment bucket's settings, when one is configured.
pub struct S3Settings<'a> {
    pub bucket: &'a str,
    pub endpoint: Option<&'a str>,
    pub region: Option<&'a str>,
    pub access_key_id: Option<&'a str>,
    pub secret_access_key: Option<&'a str>,
}

impl AttachmentsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.attachments_s3_bucket.is_none() && self.attachments_dir.trim().is_empty() {
            return Err(ConfigError::new(
                "PORTICO_ATTACHMENTS_DIR",
                "must name a folder (or set PORTICO_ATTACHMENTS_S3_BUCKET)",
            ));
        }
        if let Some(endpoint) = &self.attachments_s3_endpoint
            && !endpoint.starts_with("https://")
            && !is_loopback_http(endpoint)
        {
            return Err(ConfigError::new(
                "PORTICO_ATTACHMENTS_S3_ENDPOINT",
                "must be https (plain http only to 127.0.0.1 or localhost)",
            ));
        }
        if !(10..=3600).contains(&self.attachment_link_secs) {
            return Err(ConfigError::new(
                "PORTICO_ATTACHMENT_LINK_SECS",
                "must be 10 to 3600 seconds",
            ));
        }
        Ok(())
    }

    /// Where attachments go when a bucket is set.
    pub fn s3(&self) -> Option<S3Settings<'_>> {
        Some(S3Settings {
            bucket: self.attachments_s3_bucket.as_deref()?,
            endpoint: self.attachments_s3_endpoint.as_deref(),
            region: self.attachments_s3_region.as_deref(),
            access_key_id: self.attachments_s3_access_key_id.as_deref(),
            secret_access_key: self
                .attachments_s3_secret_access_key
                .as_ref()
                .map(|s| s.expose_secret()),
        })
    }
}
