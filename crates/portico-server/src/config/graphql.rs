//! The GraphQL endpoint's limits, and what it shows in development only unless asked.

use serde::Deserialize;

use super::{ConfigError, positive};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct GraphqlConfig {
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub graphql_max_aliases: usize,
    pub graphql_max_batch: usize,
    /// Unset: on in development, off in production.
    pub graphql_introspection: Option<bool>,
    /// Unset: on in development, off in production.
    pub graphql_suggestions: Option<bool>,
    /// A `Server-Timing` header on GraphQL answers with the database statements the request
    /// sent and their time. Unset: on in development, off in production.
    pub server_timing: Option<bool>,
}

/// The limits' defaults are the GraphQL crate's.
impl Default for GraphqlConfig {
    fn default() -> Self {
        let limits = portico_graphql::Limits::default();
        Self {
            graphql_max_depth: limits.max_depth,
            graphql_max_complexity: limits.max_complexity,
            graphql_max_aliases: limits.max_aliases,
            graphql_max_batch: limits.max_batch,
            graphql_introspection: None,
            graphql_suggestions: None,
            server_timing: None,
        }
    }
}

impl GraphqlConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        positive("PORTICO_GRAPHQL_MAX_DEPTH", self.graphql_max_depth)?;
        positive(
            "PORTICO_GRAPHQL_MAX_COMPLEXITY",
            self.graphql_max_complexity,
        )?;
        positive("PORTICO_GRAPHQL_MAX_BATCH", self.graphql_max_batch)
    }

    pub(super) fn limits(&self, development: bool) -> portico_graphql::Limits {
        portico_graphql::Limits {
            max_depth: self.graphql_max_depth,
            max_complexity: self.graphql_max_complexity,
            max_aliases: self.graphql_max_aliases,
            max_batch: self.graphql_max_batch,
            introspection: self.graphql_introspection.unwrap_or(development),
            suggestions: self.graphql_suggestions.unwrap_or(development),
            ..portico_graphql::Limits::default()
        }
    }

    pub(super) fn server_timing(&self, development: bool) -> bool {
        self.server_timing.unwrap_or(development)
    }
}
