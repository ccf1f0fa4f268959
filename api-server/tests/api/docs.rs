//! docs/api.md's route index is the OpenAPI document's list of operations.

use api_server::openapi::route_index::{markdown, splice};
use api_server::routes::ApiDoc;
use utoipa::OpenApi as _;

#[test]
fn route_index_of_docs_api_md_lists_every_operation_of_the_document() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md");
    let file = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let expected =
        splice(&file, &markdown(&ApiDoc::openapi())).unwrap_or_else(|| panic!("{path}: no route index markers"));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &expected).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    assert!(
        file == expected,
        "docs/api.md's route index is stale: run `UPDATE_DOCS=1 cargo nextest run -p api-server route_index` and commit"
    );
}
