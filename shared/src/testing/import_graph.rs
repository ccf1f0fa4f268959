//! Which source file of a crate uses which: a small parser of `crate::…` and `super::…` paths
//! (in `use` trees and inline), enough to find import cycles between files. Tests of each crate
//! call [`cycles`] on their `src/` and fail on any.
//!
//! An edge `a -> b` means a path in `a` names an item of the module file `b` (the longest
//! module prefix of the path that is a file). `crate::Name` of an item the root re-exports
//! (`pub use module::Name` in lib.rs) points at that module's file. Comments are skipped;
//! `mod x;` declarations are not edges (a parent declaring a child does not use it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (e.g. `["domain", "oidc"]`) -> its file, for every `.rs` file under `src`.
fn module_files(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(rel) = path.strip_prefix(src) else { continue };
            let mut segments: Vec<String> =
                rel.with_extension("").iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if segments.last().is_some_and(|s| s == "mod" || s == "lib" || s == "main") {
                segments.pop();
            }
            out.insert(segments, path);
        }
    }
    out
}

/// The source without comments (line and block), so paths in docs are not edges.
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The source before its `#[cfg(test)] mod tests` (tests may use the test harness, which
/// uses half the crate: they are not part of what the file depends on).
fn without_tests(source: &str) -> &str {
    let starts = ["#[cfg(test)]\nmod tests", "#[cfg(test)]\n#[cfg(feature = \"testing\")]\nmod tests"];
    let at = starts.iter().filter_map(|s| source.find(s)).min();
    &source[..at.unwrap_or(source.len())]
}

/// Every path a file names, expanded from use trees: `use crate::a::{b, c::d}` gives
/// `crate::a::b` and `crate::a::c::d`; inline `crate::x::y(..)` gives `crate::x::y`.
fn paths_in(source: &str) -> Vec<Vec<String>> {
    let code = strip_comments(without_tests(source));
    let mut out = Vec::new();
    // Use trees: from `use` to the `;`.
    let mut rest = code.as_str();
    while let Some(at) = find_word(rest, "use") {
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        expand_tree(after[..end].trim(), &mut Vec::new(), &mut out);
        rest = &after[end..];
    }
    // Inline paths anywhere (use trees give their first segments again: harmless).
    for root in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(root) {
            let before_ok = at == 0 || !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[at..];
            let len = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            if before_ok {
                let segments: Vec<String> =
                    tail[..len].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
                out.push(segments);
            }
            rest = &tail[len.max(1)..];
        }
    }
    out.retain(|p| p.first().is_some_and(|s| s == "crate" || s == "super" || s == "self"));
    out
}

fn find_word(haystack: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = haystack[from..].find(word) {
        let at = from + i;
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if boundary(before) && after.is_some_and(char::is_whitespace) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Expands one use tree (`a::b::{c, d::{e, f}}`, `x as y`, `*`, `self`).
fn expand_tree(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim().trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let head = &tree[..open];
        let inner = tree[open + 1..].trim_end().strip_suffix('}').unwrap_or(&tree[open + 1..]);
        let pushed = push_segments(head, prefix);
        for part in split_top_level(inner) {
            expand_tree(part, prefix, out);
        }
        prefix.truncate(prefix.len() - pushed);
        return;
    }
    let name = tree.split(" as ").next().unwrap_or(tree).trim();
    if name.is_empty() {
        return;
    }
    let pushed = push_segments(name, prefix);
    let mut path = prefix.clone();
    if path.last().is_some_and(|s| s == "self" || s == "*") && path.len() > 1 {
        path.pop();
    }
    out.push(path);
    prefix.truncate(prefix.len() - pushed);
}

fn push_segments(head: &str, prefix: &mut Vec<String>) -> usize {
    let segments: Vec<String> = head.split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let n = segments.len();
    prefix.extend(segments);
    n
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The module a file is (its path from the crate root).
fn module_of(files: &BTreeMap<Vec<String>, PathBuf>, file: &Path) -> Vec<String> {
    files.iter().find(|(_, f)| f.as_path() == file).map(|(m, _)| m.clone()).unwrap_or_default()
}

/// The file a path names: the longest module prefix that is a file. `None` for the file itself
/// or outside the crate.
fn resolve(
    files: &BTreeMap<Vec<String>, PathBuf>,
    reexports: &BTreeMap<String, Vec<String>>,
    here: &[String],
    path: &[String],
) -> Option<Vec<String>> {
    let mut absolute: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => here.to_vec(),
        Some("super") => here.to_vec(),
        _ => return None,
    };
    let mut segments = &path[1..];
    if path[0] == "super" {
        absolute.pop();
        while segments.first().is_some_and(|s| s == "super") {
            absolute.pop();
            segments = &segments[1..];
        }
    }
    if absolute.is_empty() {
        if let Some(target) = segments.first().and_then(|s| reexports.get(s)) {
            return Some(target.clone());
        }
    }
    absolute.extend(segments.iter().cloned());
    (0..=absolute.len()).rev().map(|n| absolute[..n].to_vec()).find(|m| files.contains_key(m))
}

/// `pub use module::{Name, ..}` of the crate root: `Name` -> that module.
fn root_reexports(files: &BTreeMap<Vec<String>, PathBuf>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(root) = files.get(&Vec::new()) else { return out };
    let Ok(source) = std::fs::read_to_string(root) else { return out };
    for path in paths_in(&source.replace("pub use ", "use crate::")) {
        if let [_, module @ .., name] = path.as_slice() {
            if !module.is_empty() && files.contains_key(module) {
                out.insert(name.clone(), module.to_vec());
            }
        }
    }
    out
}

/// Edges between the files of the crate whose sources are under `src`, by module path.
pub fn edges(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = module_files(src);
    let reexports = root_reexports(&files);
    let mut graph = BTreeMap::new();
    for (module, file) in &files {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        let targets: BTreeSet<Vec<String>> = paths_in(&source)
            .iter()
            .filter_map(|p| resolve(&files, &reexports, &module_of(&files, file), p))
            .filter(|t| t != module && !t.is_empty())
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// Every import cycle between files of the crate under `src`, each as its modules in order
/// (`a -> b -> a` is `["a", "b"]`). Empty when the files form a DAG.
pub fn cycles(src: &Path) -> Vec<Vec<String>> {
    let graph = edges(src);
    let name = |m: &Vec<String>| if m.is_empty() { "crate".to_owned() } else { m.join("::") };
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in graph.keys() {
        // Depth-first from `start`, looking for a way back to it through larger-named modules
        // only, so each cycle is reported once (from its smallest member).
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            for next in graph.get(&at).into_iter().flatten() {
                if next == start {
                    found.insert(path.iter().map(name).collect());
                } else if next > start && !path.contains(next) && path.len() < 8 {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

/// Panics listing every cycle of the crate whose `src/` is given (for a test).
pub fn assert_no_cycles(src: &Path) {
    let cycles = cycles(src);
    assert!(
        cycles.is_empty(),
        "files of {} import each other (a -> b -> ... -> a):\n{}",
        src.display(),
        cycles.iter().map(|c| format!("  {}", c.join(" -> "))).collect::<Vec<_>>().join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_trees_expand_to_every_path() {
        let paths = paths_in("use crate::a::{b, c::{d, e as f}, self};\nfn x() { crate::g::h(); } // crate::no");
        let joined: BTreeSet<String> = paths.iter().map(|p| p.join("::")).collect();
        for want in ["crate::a::b", "crate::a::c::d", "crate::a::c::e", "crate::a", "crate::g::h"] {
            assert!(joined.contains(want), "{want} in {joined:?}");
        }
        assert!(!joined.iter().any(|p| p.contains("no")), "comments are skipped: {joined:?}");
    }

    #[test]
    fn finds_a_cycle_between_two_files_and_none_in_a_chain() {
        let dir = std::env::temp_dir().join(format!("import-graph-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("m")).expect("dir");
        let write = |p: &str, s: &str| std::fs::write(dir.join(p), s).expect("write");
        write("lib.rs", "pub mod a; pub mod b; pub mod m; pub use a::Thing;");
        write("a.rs", "pub struct Thing; use crate::m::c::C;");
        write("b.rs", "use crate::Thing;");
        write("m/mod.rs", "pub mod c;");
        write("m/c.rs", "pub struct C;");
        assert_eq!(cycles(&dir), Vec::<Vec<String>>::new(), "b -> a -> m::c is a chain");
        write("m/c.rs", "pub struct C; fn f() { let _ = super::super::Thing; }");
        assert_eq!(cycles(&dir), vec![vec!["a".to_owned(), "m::c".to_owned()]], "Thing is a's, re-exported");
        std::fs::remove_dir_all(&dir).ok();
    }
}
