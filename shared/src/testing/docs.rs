//! Checks that docs/configuration.md and the code that reads the environment agree.

use std::cell::RefCell;
use std::collections::BTreeSet;

/// The variable names in the first column of the tables under the `## ` heading that starts
/// with `section` (e.g. "Every server process"). `OIDC_<NAME>_ISSUER` stays as written.
pub fn documented_variables(markdown: &str, section: &str) -> BTreeSet<String> {
    let mut in_section = false;
    let mut names = BTreeSet::new();
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            in_section = heading.starts_with(section);
            continue;
        }
        let Some(first_cell) = line.strip_prefix('|').and_then(|rest| rest.split('|').next()) else { continue };
        if !in_section {
            continue;
        }
        names.extend(
            first_cell
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|name| {
                    !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_<>".contains(c))
                })
                .map(str::to_owned),
        );
    }
    names
}

/// Every name `read` asks its lookup for. The lookup answers from `given`, so reads that only
/// happen for some values (a provider's variables) can be reached.
pub fn variables_read(given: &[(&str, &str)], read: impl FnOnce(&dyn Fn(&str) -> Option<String>)) -> BTreeSet<String> {
    let asked = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        given.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    read(&lookup);
    asked.into_inner()
}

/// docs/configuration.md, as the tests read it.
pub fn configuration_doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_first_column_of_the_section_only() {
        let doc = "## A\n| var | x |\n|---|---|\n| `ONE` / `TWO_2` | `default` |\n## B\n| `THREE` | y |\n";
        assert_eq!(documented_variables(doc, "A"), BTreeSet::from(["ONE".to_owned(), "TWO_2".to_owned()]));
    }
}
