//! `schema/schema.graphql` is what the code exports; regenerate with `make schema`.

#[test]
fn committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let exported = portico_graphql::sdl();
    assert!(
        committed == exported,
        "schema/schema.graphql is stale: run `make schema` and commit the result"
    );
}
