//! The exported SDL matches the code.
#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let current = gridhub::graphql::sdl();
    assert!(
        on_disk == current,
        "schema/schema.graphql is out of date: run `cargo run -- export-schema --out schema/schema.graphql`"
    );
}
