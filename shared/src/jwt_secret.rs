//! Whether a `JWT_SECRET` is fit for production: not a value written anywhere in this
//! repository (anyone can read those) and not guessable by a simple estimate.
//!
//! The estimate is deliberately crude and conservative: it reads the secret as a sequence of
//! literals and back-references (an LZ77-style parse), charging each literal `log2` of the
//! alphabet it seems drawn from (the distinct characters used, at most the size of the
//! character classes present) and each back-reference or one-step run (`abc`, `321`) almost
//! nothing. 32 random bytes as hex (`openssl rand -hex 32`) or base64 score over 200 bits;
//! repeated words, counting and keyboard filler score far below [`MIN_BITS`].

/// The secret used when `JWT_SECRET` is unset. Accepted only outside production.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-jwt-secret-change-me-0000";

/// Every `JWT_SECRET` value that appears in the repository (`.env.example`, docs, compose
/// files, scripts, the test harness and the built-in development value). A test greps the
/// repository for `JWT_SECRET` values and fails when one is missing here and not refused
/// otherwise, so this list cannot go stale.
pub const REPOSITORY_SECRETS: &[&str] = &[
    DEV_JWT_SECRET,
    "change-me-to-64-hex-chars-from-openssl-rand-hex-32",
    "test-secret-test-secret-test-secret-0000",
    "dev-only-compose-jwt-secret-0123456789abcdef", // .env.dev.example (docker-compose.dev.yml)
];

/// Estimated bits a production secret needs.
pub const MIN_BITS: f64 = 128.0;

/// Why `secret` must not sign production tokens, or `None` when it may.
pub fn production_problem(secret: &str) -> Option<String> {
    if REPOSITORY_SECRETS.contains(&secret) {
        return Some("this value is published in the repository (.env.example, docs or tests); generate one with `openssl rand -hex 32`".into());
    }
    let bits = estimated_bits(secret);
    if bits < MIN_BITS {
        return Some(format!(
            "too easy to guess (about {bits:.0} bits estimated, {MIN_BITS:.0} needed); generate one with `openssl rand -hex 32`"
        ));
    }
    None
}

/// The shortest repeat worth a back-reference.
const MIN_MATCH: usize = 3;

/// A crude upper bound of the information in `secret`, in bits (see the module docs).
pub fn estimated_bits(secret: &str) -> f64 {
    let chars: Vec<char> = secret.chars().collect();
    let literal = alphabet_size(&chars).log2();
    let reference = (chars.len().max(2) as f64).log2();
    let mut bits = 0.0;
    let mut i = 0;
    while i < chars.len() {
        let matched = longest_earlier_match(&chars, i);
        if matched >= MIN_MATCH {
            bits += reference;
            i += matched;
            continue;
        }
        let step = i > 0 && (chars[i] as i64 - chars[i - 1] as i64).abs() == 1;
        bits += if step { 1.0 } else { literal };
        i += 1;
    }
    bits
}

/// The distinct characters used, capped by the size of the character classes they come from.
fn alphabet_size(chars: &[char]) -> f64 {
    let mut distinct: Vec<char> = chars.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let class = |test: fn(&char) -> bool, size: usize| if chars.iter().any(test) { size } else { 0 };
    let pool = class(char::is_ascii_lowercase, 26)
        + class(char::is_ascii_uppercase, 26)
        + class(char::is_ascii_digit, 10)
        + class(char::is_ascii_punctuation, 32)
        + class(|c| !c.is_ascii_alphanumeric() && !c.is_ascii_punctuation(), 100);
    (distinct.len().min(pool).max(1)) as f64
}

/// Length of the longest run starting at `at` that also starts at an earlier position
/// (overlapping allowed, as in LZ77: `ababab` is `ab` + one reference).
fn longest_earlier_match(chars: &[char], at: usize) -> usize {
    (0..at).map(|start| chars[at..].iter().zip(&chars[start..]).take_while(|(a, b)| a == b).count()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_pass_and_patterns_do_not() {
        let hex: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        assert!(estimated_bits(&hex) > 200.0, "{hex}: {}", estimated_bits(&hex));
        for weak in
            ["x".repeat(64), "ab".repeat(32), "abcdefghijklmnopqrstuvwxyz0123456789".into(), "0123456789".repeat(4)]
        {
            assert!(estimated_bits(&weak) < MIN_BITS, "{weak}: {}", estimated_bits(&weak));
        }
    }

    /// Every `JWT_SECRET` value written in a file of the repository (`JWT_SECRET=v`,
    /// `JWT_SECRET: v`, `${JWT_SECRET:-v}`, `("JWT_SECRET", "v")`) is refused in production.
    #[test]
    fn every_jwt_secret_value_in_the_repository_is_refused() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for file in repository_files(&root) {
            let Ok(text) = std::fs::read_to_string(&file) else { continue };
            for line in text.lines() {
                found.extend(values_in(line).into_iter().map(|v| (file.display().to_string(), v)));
            }
        }
        assert!(
            found.iter().any(|(_, v)| v == "change-me-to-64-hex-chars-from-openssl-rand-hex-32"),
            "the scan finds .env.example's value: {found:?}"
        );
        for (file, value) in &found {
            let refused = value.len() < 32 || production_problem(value).is_some();
            assert!(
                refused,
                "{file}: JWT_SECRET value {value:?} would be accepted in production: add it to REPOSITORY_SECRETS"
            );
        }
    }

    fn repository_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
        const SKIP: [&str; 8] = [".git", "target", "node_modules", ".local", ".output", ".nuxt", "artifacts", "dist"];
        let mut files = Vec::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !SKIP.contains(&name.as_str()) {
                        dirs.push(path);
                    }
                } else if entry.metadata().is_ok_and(|m| m.len() < 2_000_000) {
                    files.push(path);
                }
            }
        }
        files
    }

    /// The literal values given to `JWT_SECRET` on one line.
    fn values_in(line: &str) -> Vec<String> {
        let name = ["JWT", "SECRET"].join("_"); // not spelled out: this file's own lines stay clean
        let mut values = Vec::new();
        for (at, _) in line.match_indices(&name) {
            let rest = &line[at + name.len()..];
            let token =
                |s: &str| s.chars().take_while(|c| !c.is_whitespace() && !"\"'}`),;".contains(*c)).collect::<String>();
            let value = if let Some(v) = rest.strip_prefix(":-") {
                token(v)
            } else if let Some(v) = rest.strip_prefix('=') {
                token(v.trim_start_matches(['"', '\'']))
            } else if let Some(v) = rest.strip_prefix(": ") {
                token(v.trim().trim_start_matches(['"', '\'']))
            } else if let Some(v) = rest.strip_prefix('"') {
                // Rust: ("NAME", "value") or ("NAME".into(), "value".into()).
                v.split('"').nth(1).filter(|_| v.starts_with(',') || v.starts_with(".into(),")).unwrap_or("").to_owned()
            } else {
                String::new()
            };
            if !value.is_empty() && !value.starts_with('$') && !value.starts_with('{') {
                values.push(value);
            }
        }
        values
    }
}
