//! Automatic persisted queries (the protocol Apollo's clients speak, version 1): a client
//! sends `extensions.persistedQuery.sha256Hash` without the query text; when this instance
//! knows the hash the query runs, else the answer is `PERSISTED_QUERY_NOT_FOUND` (message
//! `PersistedQueryNotFound`, as clients expect) and the client sends the text with its hash
//! once, which is checked and kept. Large queries then cost a hash per request, and a GET
//! with a hash is short enough to be cached by the browser and proxies.
//!
//! The text is kept, not the parsed document, so a persisted query goes through the same
//! parse-time limits (nesting, aliases, GET only for queries) as any other. It is kept only
//! once its request ran without an error (so text that does not parse, fit the schema or
//! pass the limits is never kept), and only up to [`TEXT_MAX`] bytes; the store is per
//! instance and bounded by its bytes, so no client can make it grow past [`STORE_BYTES`].
//! Another instance answers "not found" once and learns the query.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Request, Response, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest},
};
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, server_error};

/// Bytes of query text kept per instance (the least recently used go first).
const STORE_BYTES: u64 = 8 * 1024 * 1024;
/// The longest query kept; a longer one runs, but is sent in full every time.
pub const TEXT_MAX: usize = 32 * 1024;

/// The extension's factory: one store shared by every request of the schema.
#[derive(Clone)]
pub struct PersistedQueries {
    texts: moka::sync::Cache<String, Arc<str>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        Self {
            texts: moka::sync::Cache::builder()
                .max_capacity(STORE_BYTES)
                .weigher(|_, text: &Arc<str>| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .build(),
        }
    }
}

impl ExtensionFactory for PersistedQueries {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            texts: self.texts.clone(),
            to_keep: Mutex::new(None),
        })
    }
}

/// The extension for one request: the text it was sent with, kept once it ran cleanly.
struct PerRequest {
    texts: moka::sync::Cache<String, Arc<str>>,
    to_keep: Mutex<Option<(String, Arc<str>)>>,
}

/// Whether a request names a persisted query (its text may then be empty).
pub fn names_persisted_query(request: &Request) -> bool {
    request.extensions.contains_key("persistedQuery")
}

fn invalid(why: &str) -> async_graphql::ServerError {
    server_error(
        format!("extensions.persistedQuery {why}"),
        ErrorCode::PersistedQueryInvalid,
    )
}

/// The hash a client named, if the extension has the protocol's shape.
fn named_hash(value: async_graphql::Value) -> ServerResult<String> {
    let json = value
        .into_json()
        .map_err(|_| invalid("must be an object"))?;
    if json["version"] != 1 {
        return Err(invalid("must have version 1"));
    }
    let hash = json["sha256Hash"]
        .as_str()
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| invalid("must carry sha256Hash, 64 hexadecimal digits"))?;
    Ok(hash.to_ascii_lowercase())
}

#[async_graphql::async_trait::async_trait]
impl Extension for PerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let to_keep = self
            .to_keep
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some((hash, text)) = to_keep
            && response.errors.is_empty()
        {
            self.texts.insert(hash, text);
            metrics::counter!("portico_persisted_queries_total", "outcome" => "stored")
                .increment(1);
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return next.run(ctx, request).await;
        };
        let hash = named_hash(value)?;
        if request.query.trim().is_empty() {
            let Some(text) = self.texts.get(&hash) else {
                metrics::counter!("portico_persisted_queries_total", "outcome" => "not_found")
                    .increment(1);
                return Err(server_error(
                    "PersistedQueryNotFound",
                    ErrorCode::PersistedQueryNotFound,
                ));
            };
            metrics::counter!("portico_persisted_queries_total", "outcome" => "hit").increment(1);
            request.query = text.to_string();
        } else {
            let actual = hex_of(&Sha256::digest(request.query.as_bytes()));
            if actual != hash {
                return Err(invalid("sha256Hash does not match the query"));
            }
            if request.query.len() <= TEXT_MAX {
                *self
                    .to_keep
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some((hash, Arc::from(request.query.as_str())));
            }
        }
        next.run(ctx, request).await
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
        out
    })
}
