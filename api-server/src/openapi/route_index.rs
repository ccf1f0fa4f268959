//! The route index of docs/api.md, made from the OpenAPI document so the two never drift: one
//! line per operation (method, path, summary, the statuses it documents). A test compares the
//! index with the file (api-server/tests/api/docs.rs); `UPDATE_DOCS=1 cargo nextest run -p
//! api-server route_index` rewrites it.

use utoipa::openapi::OpenApi;

pub const BEGIN: &str = "<!-- route index: generated from /api/openapi.json, do not edit -->";
pub const END: &str = "<!-- end of route index -->";

/// The markdown table, operations in path order, then GET, POST, PUT, PATCH, DELETE.
pub fn markdown(doc: &OpenApi) -> String {
    let mut out = String::from("| method | path | what | answers |\n|---|---|---|---|\n");
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let summary = op.summary.as_deref().unwrap_or("").replace('|', "\\|").replace('\n', " ");
            let statuses: Vec<&str> = op.responses.responses.keys().map(String::as_str).collect();
            out.push_str(&format!("| {method} | `{path}` | {summary} | {} |\n", statuses.join(" ")));
        }
    }
    out
}

/// `file` with the text between the markers replaced by `index`; None without markers.
pub fn splice(file: &str, index: &str) -> Option<String> {
    let start = file.find(BEGIN)? + BEGIN.len();
    let end = file.find(END)?;
    (start <= end).then(|| format!("{}\n\n{index}\n{}", &file[..start], &file[end..]))
}
