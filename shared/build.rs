//! `embed_migrations!` does not notice new migration folders by itself; and the test harness
//! names its template database after a hash of every migration file (MIGRATIONS_HASH).
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    let mut files = Vec::new();
    collect(Path::new("../migrations"), &mut files);
    files.sort();
    // FNV-1a over paths and contents.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in files {
        let contents = std::fs::read(&path).unwrap_or_default();
        for byte in path.to_string_lossy().as_bytes().iter().chain(contents.iter()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=MIGRATIONS_HASH={hash:016x}");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
