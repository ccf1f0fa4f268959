//! No two files of `shared/src` import each other, directly or in a loop (ARCHITECTURE.md).

#[test]
fn files_of_shared_import_no_cycle() {
    shared::testing::import_graph::assert_no_cycles(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}
