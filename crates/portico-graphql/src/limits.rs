//! Limits on what one request may ask, and stable codes for the errors async-graphql raises
//! while parsing and validating. The depth, complexity, recursion and directive limits are
//! async-graphql's own; the alias limit and the GET rule are checked here on the parsed
//! document, before validation.

use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
    },
};

use crate::{
    RequestMethod,
    error::{codes, server_error, set_code},
};

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_recursive_depth: usize,
    pub max_directives: usize,
    pub max_aliases: usize,
    /// Operations in one batched request; enforced by the HTTP layer.
    pub max_batch: usize,
    pub introspection: bool,
    pub suggestions: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // The standard introspection query GraphiQL sends is 13 levels deep.
            max_depth: 15,
            max_complexity: 500,
            max_recursive_depth: 32,
            max_directives: 20,
            max_aliases: 30,
            max_batch: 10,
            introspection: true,
            suggestions: true,
        }
    }
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_aliases: self.max_aliases,
        })
    }
}

struct LimitsExtension {
    max_aliases: usize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next
            .run(ctx, query, variables)
            .await
            .map_err(classify_parse_error)?;
        if count_aliases(&doc) > self.max_aliases {
            return Err(server_error(
                format!("a query may use at most {} aliases", self.max_aliases),
                codes::TOO_MANY_ALIASES,
            ));
        }
        if ctx.data_opt::<RequestMethod>() == Some(&RequestMethod::Get)
            && operations(&doc).any(|ty| ty != OperationType::Query)
        {
            return Err(server_error(
                "mutations and subscriptions are not accepted over GET; use POST",
                codes::MUTATION_OVER_GET,
            ));
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut e| {
                    let code = match e.message.as_str() {
                        "Query is nested too deep." => codes::QUERY_TOO_DEEP,
                        "Query is too complex." => codes::QUERY_TOO_COMPLEX,
                        _ => codes::GRAPHQL_VALIDATION_FAILED,
                    };
                    set_code(&mut e, code);
                    e
                })
                .collect()
        })
    }
}

fn classify_parse_error(mut e: ServerError) -> ServerError {
    let code = if e.message.starts_with("The recursion depth") {
        codes::RECURSION_LIMIT_EXCEEDED
    } else if e.message.contains("directives") {
        codes::TOO_MANY_DIRECTIVES
    } else {
        codes::GRAPHQL_PARSE_FAILED
    };
    set_code(&mut e, code);
    e
}

fn operations(doc: &ExecutableDocument) -> impl Iterator<Item = OperationType> + '_ {
    let ops: Vec<OperationType> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op.node.ty],
        DocumentOperations::Multiple(ops) => ops.values().map(|op| op.node.ty).collect(),
    };
    ops.into_iter()
}

/// Aliases in every operation and fragment of the document.
fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + in_set(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let in_operations: usize = match &doc.operations {
        DocumentOperations::Single(op) => in_set(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .map(|op| in_set(&op.node.selection_set.node))
            .sum(),
    };
    in_operations
        + doc
            .fragments
            .values()
            .map(|f| in_set(&f.node.selection_set.node))
            .sum::<usize>()
}
