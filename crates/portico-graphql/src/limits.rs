//! Limits on what one request may ask, and stable codes for the errors async-graphql raises
//! while parsing and validating. The depth, complexity, recursion and directive limits are
//! async-graphql's own; the nesting of brackets is checked here on the raw text, before the
//! parser sees it; the alias limit and the GET rule on the parsed document, before
//! validation.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use async_graphql::{
    ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
    },
};

use crate::{
    RequestMethod,
    documents::Documents,
    error::{ErrorCode, server_error, set_code},
    nesting,
};

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_recursive_depth: usize,
    pub max_directives: usize,
    pub max_aliases: usize,
    /// How deeply brackets may nest in a document, checked before it is parsed
    /// ([`nesting`]).
    pub max_nesting: usize,
    /// Operations in one batched request; enforced by the HTTP layer.
    pub max_batch: usize,
    pub introspection: bool,
    pub suggestions: bool,
}

/// The parse-time checks as an extension, with the documents that passed them.
pub(crate) struct ParseChecks {
    max_aliases: usize,
    max_nesting: usize,
    documents: Documents,
}

impl ParseChecks {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            max_aliases: limits.max_aliases,
            max_nesting: limits.max_nesting,
            documents: Documents::default(),
        }
    }
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
            max_nesting: nesting::MAX_NESTING,
            max_batch: 10,
            introspection: true,
            suggestions: true,
        }
    }
}

impl ExtensionFactory for ParseChecks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_aliases: self.max_aliases,
            max_nesting: self.max_nesting,
            documents: self.documents.clone(),
        })
    }
}

struct LimitsExtension {
    max_aliases: usize,
    max_nesting: usize,
    documents: Documents,
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
        let doc = match self.documents.get(query) {
            Some(doc) => doc,
            None => {
                let doc = self.parse(ctx, query, variables, next).await?;
                self.documents.keep(query, &doc);
                doc
            }
        };
        if ctx.data_opt::<RequestMethod>() == Some(&RequestMethod::Get)
            && operations(&doc).any(|ty| ty != OperationType::Query)
        {
            return Err(server_error(
                "mutations and subscriptions are not accepted over GET; use POST",
                ErrorCode::MutationOverGet,
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
                        "Query is nested too deep." => ErrorCode::QueryTooDeep,
                        "Query is too complex." => ErrorCode::QueryTooComplex,
                        _ => ErrorCode::GraphqlValidationFailed,
                    };
                    set_code(&mut e, code);
                    e
                })
                .collect()
        })
    }
}

impl LimitsExtension {
    /// Parses a document not seen before, with the checks that depend on its text only.
    async fn parse(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Before the parser: it recurses once per level and would overflow the stack.
        if nesting::exceeds(query, self.max_nesting) {
            return Err(server_error(
                format!(
                    "the document nests brackets more than {} levels deep",
                    self.max_nesting
                ),
                ErrorCode::RecursionLimitExceeded,
            ));
        }
        let doc = next
            .run(ctx, query, variables)
            .await
            .map_err(classify_parse_error)?;
        if count_aliases(&doc) > self.max_aliases {
            return Err(server_error(
                format!("a query may use at most {} aliases", self.max_aliases),
                ErrorCode::TooManyAliases,
            ));
        }
        Ok(doc)
    }
}

fn classify_parse_error(mut e: ServerError) -> ServerError {
    let code = if e.message.starts_with("The recursion depth") {
        ErrorCode::RecursionLimitExceeded
    } else if e.message.contains("directives") {
        ErrorCode::TooManyDirectives
    } else {
        // The parser's own text is a grammar trace; the locations say where it failed.
        e.message = "the document is not valid GraphQL syntax; see locations".to_owned();
        ErrorCode::GraphqlParseFailed
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

/// Aliases as executed: a fragment's aliases count once for every place it is spread, so
/// a few fragments spread many times cannot multiply past the limit. The largest count of
/// any one operation (only one runs); saturating, and each fragment is counted once
/// (memoised) so the count itself stays linear in the document. A fragment cycle counts
/// nothing here: validation refuses it.
fn count_aliases(doc: &ExecutableDocument) -> usize {
    struct Counter<'a> {
        doc: &'a ExecutableDocument,
        memo: HashMap<&'a str, usize>,
        visiting: HashSet<&'a str>,
    }
    impl<'a> Counter<'a> {
        fn in_set(&mut self, set: &'a SelectionSet) -> usize {
            set.items.iter().fold(0usize, |total, item| {
                let here = match &item.node {
                    Selection::Field(f) => usize::from(f.node.alias.is_some())
                        .saturating_add(self.in_set(&f.node.selection_set.node)),
                    Selection::InlineFragment(f) => self.in_set(&f.node.selection_set.node),
                    Selection::FragmentSpread(spread) => {
                        self.in_fragment(spread.node.fragment_name.node.as_str())
                    }
                };
                total.saturating_add(here)
            })
        }

        fn in_fragment(&mut self, name: &'a str) -> usize {
            if let Some(count) = self.memo.get(name) {
                return *count;
            }
            let Some(fragment) = self.doc.fragments.get(name) else {
                return 0;
            };
            if !self.visiting.insert(name) {
                return 0;
            }
            let count = self.in_set(&fragment.node.selection_set.node);
            self.visiting.remove(name);
            self.memo.insert(name, count);
            count
        }
    }
    let mut counter = Counter {
        doc,
        memo: HashMap::new(),
        visiting: HashSet::new(),
    };
    match &doc.operations {
        DocumentOperations::Single(op) => counter.in_set(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .map(|op| counter.in_set(&op.node.selection_set.node))
            .max()
            .unwrap_or(0),
    }
}
