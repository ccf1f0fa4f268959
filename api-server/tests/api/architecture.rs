//! Structure the code map promises (ARCHITECTURE.md): no two files of `api-server/src` import
//! each other, directly or in a loop.

#[test]
fn files_of_api_server_import_no_cycle() {
    shared::testing::import_graph::assert_no_cycles(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}
