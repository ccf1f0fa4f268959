//! Guards "ids are types" (`crate::ids`): finds the functions that take two or more bare `i64`
//! parameters, where a swapped pair of ids would compile. Ids take `UserId`, `ConversationId`,
//! ...; what is left as `i64` is a number (seq, limit, timestamp, byte size), and a function
//! taking two of those is allowed by name in the test that calls [`assert_allowed`].

use std::path::{Path, PathBuf};

/// `path:fn_name` of every function under `roots` with two or more bare `i64` parameters
/// (paths relative to `base`, sorted).
pub fn functions_with_bare_i64_pairs(base: &Path, roots: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    for root in roots {
        rust_files(&base.join(root), &mut files);
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap_or_default();
        let rel = file.strip_prefix(base).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        out.extend(offenders(&source).into_iter().map(|name| format!("{rel}:{name}")));
    }
    out
}

/// Panics listing the functions with two or more bare `i64` parameters that `allowed` does not
/// name, and the entries of `allowed` that name none (a stale allow-list hides nothing).
pub fn assert_allowed(base: &Path, roots: &[&str], allowed: &[&str]) {
    let found = functions_with_bare_i64_pairs(base, roots);
    let new: Vec<&String> = found.iter().filter(|f| !allowed.contains(&f.as_str())).collect();
    let stale: Vec<&&str> = allowed.iter().filter(|a| !found.iter().any(|f| f == **a)).collect();
    assert!(
        new.is_empty() && stale.is_empty(),
        "functions taking two or more bare i64 (take the id types of shared::ids, or allow a \
         pair of plain numbers with a comment saying why):\n{}\nallowed but not found:\n{}",
        new.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"),
        stale.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"),
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Names of the functions in `source` with two or more parameters of type `i64`.
pub fn offenders(source: &str) -> Vec<String> {
    let code: String = source.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = find_fn(&chars, i) {
        i = at + 2;
        let Some((name, params)) = signature(&chars, i) else { continue };
        let bare = split_top_level(&params)
            .iter()
            .filter_map(|p| p.split_once(':').map(|(_, ty)| ty.trim().to_owned()))
            .filter(|ty| ty == "i64")
            .count();
        if bare >= 2 {
            out.push(name);
        }
    }
    out
}

/// The index of the next `fn` keyword at or after `from`.
fn find_fn(chars: &[char], from: usize) -> Option<usize> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    (from..chars.len().saturating_sub(2)).find(|&i| {
        chars[i] == 'f' && chars[i + 1] == 'n' && chars[i + 2].is_whitespace() && (i == 0 || !ident(chars[i - 1]))
    })
}

/// After `fn`: the name and the text between the parameter list's parentheses.
fn signature(chars: &[char], mut i: usize) -> Option<(String, String)> {
    while chars.get(i)?.is_whitespace() {
        i += 1;
    }
    let start = i;
    while chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
        i += 1;
    }
    let name: String = chars[start..i].iter().collect();
    if name.is_empty() {
        return None;
    }
    // Generics: `<...>`, nested, before the parameters.
    let mut angle = 0usize;
    while let Some(&c) = chars.get(i) {
        match c {
            '<' => angle += 1,
            '>' if chars.get(i.wrapping_sub(1)) != Some(&'-') => angle = angle.saturating_sub(1),
            '(' if angle == 0 => break,
            '{' | ';' => return None,
            _ => {}
        }
        i += 1;
    }
    let open = i;
    let mut depth = 0usize;
    while let Some(&c) = chars.get(i) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((name, chars[open + 1..i].iter().collect()));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `params` split at the commas that are not inside `()`, `[]`, `<>` or `{}`.
fn split_top_level(params: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    let mut prev = ' ';
    for c in params.chars() {
        match c {
            '(' | '[' | '<' | '{' => depth += 1,
            // `->` is no closing bracket.
            '>' if prev == '-' => {}
            ')' | ']' | '>' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                prev = c;
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
        prev = c;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_bare_i64_parameters_at_the_top_level() {
        let source = "
            pub fn two(conn: &mut PgConnection, a: i64, b: i64) {}
            fn one(a: i64, b: UserId, c: Option<i64>) -> i64 { 0 }
            fn nested<T: Into<i64>, F: Fn() -> i64>(f: impl FnOnce(i64, i64) -> bool, pair: (i64, i64), n: i64) {}
            pub(crate) async fn spaced(
                &self,
                mut first: i64,
                second: i64,
            ) {}
            // fn commented(a: i64, b: i64) {}
            let f = |a: i64, b: i64| a + b;
            fn defined() -> fn(i64, i64) {}
        ";
        assert_eq!(offenders(source), ["two", "spaced"]);
    }
}
