//! No two files of ws-server import each other, directly or in a loop: a file uses only files
//! below it, so the code map in ARCHITECTURE.md reads one way. Read from the source with `syn`:
//! every `use` and every path in code that names a module of this crate (`crate::`, `super::`,
//! `self::`, or a child module by name) is an edge from its file to that module's file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};

/// A module path: `hub/fanout.rs` is `["hub", "fanout"]`, `lib.rs` is `[]`.
type Module = Vec<String>;

/// The library's files by module (`main.rs` is another crate: it names this one `ws_server`).
fn files(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").map(|e| e.expect("dir entry").path()) {
            if entry.is_dir() {
                dirs.push(entry);
            } else if entry.extension().is_some_and(|e| e == "rs") && entry != src.join("main.rs") {
                let relative = entry.strip_prefix(src).expect("under src").to_path_buf();
                found.insert(module_of(&relative), relative);
            }
        }
    }
    found
}

fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let file = parts.pop().unwrap_or_default();
    let name = file.trim_end_matches(".rs");
    if name != "mod" && name != "lib" {
        parts.push(name.to_owned());
    }
    parts
}

/// The module paths one file names, resolved to absolute paths within the crate.
struct Names<'a> {
    modules: &'a BTreeMap<Module, PathBuf>,
    /// The module being read: the file's, plus inline `mod x { .. }` blocks.
    current: Module,
    found: Vec<Module>,
}

impl Names<'_> {
    fn name(&mut self, path: &[String]) {
        let mut base = self.current.clone();
        let mut rest = path;
        match path.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &path[1..];
            }
            Some("self" | "super") => {
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "self" => {}
                        "super" => {
                            base.pop();
                        }
                        _ => break,
                    }
                    rest = &rest[1..];
                }
            }
            // A child module named directly (`pub use fanout::Audience;` in `hub/mod.rs`).
            Some(first) if self.modules.contains_key(&[base.as_slice(), &[first.to_owned()]].concat()) => {}
            _ => return,
        }
        self.found.push([base.as_slice(), rest].concat());
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.name(&[prefix.as_slice(), &[n.ident.to_string()]].concat()),
            syn::UseTree::Rename(r) => self.name(&[prefix.as_slice(), &[r.ident.to_string()]].concat()),
            syn::UseTree::Glob(_) => self.name(prefix),
            syn::UseTree::Group(g) => g.items.iter().for_each(|item| self.use_tree(prefix, item)),
        }
    }
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.current.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.current.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    /// `pub(super)` says who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.name(&segments);
        visit::visit_path(self, p);
    }
}

/// The file each file imports (the longest module prefix of every name it uses).
fn imports(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let modules = files(src);
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(src.join(file)).expect("read source");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut names = Names { modules: &modules, current: module.clone(), found: Vec::new() };
        names.visit_file(&ast);
        let targets: BTreeSet<PathBuf> = names
            .found
            .iter()
            .filter_map(|path| (0..=path.len()).rev().find_map(|n| modules.get(&path[..n])))
            .filter(|target| *target != file)
            .cloned()
            .collect();
        graph.insert(file.clone(), targets);
    }
    graph
}

fn reaches(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>, from: &PathBuf, to: &PathBuf) -> bool {
    let (mut seen, mut todo) = (BTreeSet::new(), vec![from]);
    while let Some(file) = todo.pop() {
        if file == to {
            return true;
        }
        if seen.insert(file) {
            todo.extend(graph.get(file).into_iter().flatten());
        }
    }
    false
}

#[test]
fn no_two_files_of_ws_server_import_each_other_directly_or_in_a_loop() {
    let graph = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 20, "the source was read: {:?}", graph.keys().collect::<Vec<_>>());
    assert!(
        graph.values().flatten().any(|t| t == Path::new("hub/mod.rs")),
        "imports are seen (someone imports the hub)"
    );
    let looping: Vec<String> = graph
        .iter()
        .flat_map(|(file, targets)| targets.iter().map(move |target| (file, target)))
        .filter(|(file, target)| reaches(&graph, target, file))
        .map(|(file, target)| format!("{} -> {}", file.display(), target.display()))
        .collect();
    assert!(looping.is_empty(), "imports that come back around:\n{}", looping.join("\n"));
}
