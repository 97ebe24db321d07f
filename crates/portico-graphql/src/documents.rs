//! Parsed documents kept by their text. A client sends the same few operations again and
//! again; parsing one (a PEG parser) cost about 6% of a dashboard request's CPU. Only a
//! document that passed every parse-time check is kept, so a cached one needs none of them
//! again; the checks that depend on the request (the GET rule) run every time. A document
//! is syntax only (no data, no tenant), so one cache serves every practice.

use async_graphql::parser::types::ExecutableDocument;
use moka::sync::Cache;

/// Text of kept documents, in bytes; a parsed document takes a few times its text.
const CAPACITY_BYTES: u64 = 2 * 1024 * 1024;
/// Longer documents are parsed every time: they are rare, and would crowd out the rest.
const MAX_TEXT_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub(crate) struct Documents(Cache<String, ExecutableDocument>);

impl Default for Documents {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|text: &String, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .build(),
        )
    }
}

impl Documents {
    pub(crate) fn get(&self, text: &str) -> Option<ExecutableDocument> {
        if text.len() > MAX_TEXT_BYTES {
            return None;
        }
        self.0.get(text)
    }

    pub(crate) fn keep(&self, text: &str, doc: &ExecutableDocument) {
        if text.len() <= MAX_TEXT_BYTES {
            self.0.insert(text.to_owned(), doc.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_document_comes_back_and_a_long_one_is_not_kept() {
        let docs = Documents::default();
        let short = "{ __typename }";
        let doc = async_graphql::parser::parse_query(short).unwrap();
        assert!(docs.get(short).is_none());
        docs.keep(short, &doc);
        let again = docs.get(short).expect("kept");
        assert_eq!(format!("{again:?}"), format!("{doc:?}"));

        let long = format!("{{ __typename }} # {}", "x".repeat(MAX_TEXT_BYTES));
        let doc = async_graphql::parser::parse_query(&long).unwrap();
        docs.keep(&long, &doc);
        assert!(docs.get(&long).is_none());
    }
}
