//! Structure the code map promises (ARCHITECTURE.md): no two files of `api-server/src` import
//! each other, directly or in a loop; metric names are constants of `shared::metrics`.

#[test]
fn files_of_api_server_import_no_cycle() {
    shared::testing::import_graph::assert_no_cycles(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn metric_names_are_only_named_in_shared_metrics() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut named_elsewhere = Vec::new();
    let mut dirs = vec![root.join("api-server/src"), root.join("shared/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("shared/src/metrics.rs") {
                let source = std::fs::read_to_string(&path).expect("source");
                for kind in ["counter", "gauge", "histogram"] {
                    if source.contains(&format!("metrics::{kind}!(\"")) {
                        named_elsewhere.push(path.display().to_string());
                    }
                }
            }
        }
    }
    assert!(
        named_elsewhere.is_empty(),
        "a metric named by a string literal outside shared::metrics: {named_elsewhere:?}"
    );
}
