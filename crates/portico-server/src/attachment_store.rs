//! The attachment store on the `object_store` crate: a local folder in the embedded profile,
//! an S3-compatible bucket in production. Both behind one adapter, so the code that checks
//! and records attachments never knows which.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use object_store::{
    ObjectStore, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem, path::Path,
};
use portico_core::ports::{AttachmentStore, PortError};

use crate::config::{S3Settings, is_loopback_http};

pub struct ObjectStoreAttachments {
    store: Arc<dyn ObjectStore>,
    backend: &'static str,
}

impl ObjectStoreAttachments {
    /// A folder on this machine (created if missing).
    pub fn local(dir: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new_with_prefix(dir)?),
            backend: "local",
        })
    }

    /// An S3-compatible bucket: the settings given, the rest from the `AWS_*` variables.
    pub fn s3(settings: &S3Settings<'_>) -> anyhow::Result<Self> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(settings.bucket);
        if let Some(endpoint) = settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(is_loopback_http(endpoint));
        }
        if let Some(region) = settings.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().context("attachment bucket settings")?;
        Ok(Self {
            store: Arc::new(store),
            backend: "s3",
        })
    }
}

fn err(e: impl Into<portico_core::error::BoxError>) -> PortError {
    PortError::new("attachment-store", e)
}

#[async_trait]
impl AttachmentStore for ObjectStoreAttachments {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), PortError> {
        let path = Path::parse(key).map_err(err)?;
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, PortError> {
        let path = Path::parse(key).map_err(err)?;
        let got = self.store.get(&path).await.map_err(err)?;
        Ok(got.bytes().await.map_err(err)?.to_vec())
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        let path = Path::parse(key).map_err(err)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    fn backend(&self) -> &'static str {
        self.backend
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_store_keeps_and_forgets_bytes() {
        let dir = std::env::temp_dir().join(format!("portico-att-{}", uuid::Uuid::now_v7()));
        let store = ObjectStoreAttachments::local(dir.to_str().unwrap()).unwrap();
        store
            .put("t/attachments/a", b"%PDF-1.7".to_vec())
            .await
            .unwrap();
        assert_eq!(store.get("t/attachments/a").await.unwrap(), b"%PDF-1.7");
        store.delete("t/attachments/a").await.unwrap();
        assert!(store.get("t/attachments/a").await.is_err());
        store.delete("t/attachments/a").await.unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
