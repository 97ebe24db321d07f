//! A bounded pre-scan of a GraphQL document's bracket nesting.
//!
//! async-graphql's parser (pest) descends recursively into every nested value, list, object
//! and selection set, and only counts depth after the parse tree is built: a document nested a
//! few thousand levels deep overflows the stack and aborts the process before any limit runs.
//! This scan runs first, in one pass over the bytes with no allocation and no recursion, and
//! refuses such documents; the parser then only ever sees shallow ones.

/// How deeply `{`, `[` and `(` may nest in one document. The standard introspection query
/// nests 14 levels; selection depth is limited to 15 and input objects rarely pass 5, so a
/// real document stays far below this, and the parser is safe far above it.
pub const MAX_NESTING: usize = 64;

/// Whether `source` nests brackets more than `limit` levels deep, ignoring brackets inside
/// strings, block strings and comments. Stops at the first level past the limit.
pub fn exceeds(source: &str, limit: usize) -> bool {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                // A comment runs to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next `"""` not escaped as `\"""`.
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                // A plain string ends at the next unescaped quote or at the end of the line.
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_documents_pass() {
        assert!(!exceeds("{ a { b { c } } }", 3));
        assert!(!exceeds("query($v: [[Int]] = [[1]]) { a(x: {y: [1]}) }", 4));
    }

    #[test]
    fn deep_values_lists_and_selections_are_caught() {
        let list = format!("{{ a(x: {}1{}) }}", "[".repeat(5000), "]".repeat(5000));
        assert!(exceeds(&list, MAX_NESTING));
        let object = format!("{{ a(x: {}{}) }}", "{y: ".repeat(5000), "}".repeat(5000));
        assert!(exceeds(&object, MAX_NESTING));
        let selections = format!("{}{}", "{ a ".repeat(5000), "}".repeat(5000));
        assert!(exceeds(&selections, MAX_NESTING));
        // Unbalanced: closers never come.
        assert!(exceeds(&"[".repeat(MAX_NESTING + 1), MAX_NESTING));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let deep = "[".repeat(100);
        assert!(!exceeds(&format!("{{ a(x: \"{deep}\") }}"), 2));
        assert!(!exceeds(&format!("{{ a(x: \"\"\"{deep}\"\"\") }}"), 2));
        assert!(!exceeds(&format!("{{ a(x: \"\\\"{deep}\") }}"), 2));
        assert!(!exceeds(
            &format!("{{ a(x: \"\"\" \\\"\"\" {deep}\"\"\") }}"),
            2
        ));
        assert!(!exceeds(&format!("# {deep}\n{{ a }}"), 2));
    }

    #[test]
    fn an_unterminated_string_or_escape_at_the_end_is_safe() {
        assert!(!exceeds("{ a(x: \"\\", 2));
        assert!(!exceeds("{ a(x: \"\"\"\\", 2));
        assert!(!exceeds("\"", 2));
    }
}
