//! Where media bytes live. [`MediaStore`] is all the rest of the server knows, so an
//! S3-compatible store can replace [`LocalDir`] without touching the handlers. Calls block:
//! run them off the async threads (`web::block`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub trait MediaStore: Send + Sync {
    /// Stores `bytes` under `key`, whole or not at all.
    fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()>;
    /// `ErrorKind::NotFound` when nothing is stored under `key`.
    fn get(&self, key: &str) -> io::Result<Vec<u8>>;
    /// Succeeds when nothing is stored under `key`.
    fn delete(&self, key: &str) -> io::Result<()>;
    /// Removes what writes interrupted by a crash left behind, if older than `older_than` (a
    /// younger one may be a write still going on). Returns how many.
    fn sweep_partial(&self, older_than: Duration) -> io::Result<usize>;
}

/// A directory (`MEDIA_DIR`): `<root>/<first two characters of the key>/<key>`.
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        // Keys are made by the server; refuse anything that could leave the directory anyway.
        let safe = key.len() >= 3 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !safe || key.starts_with('.') {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad media key"));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

impl MediaStore for LocalDir {
    fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        // Write aside, then rename: a reader never sees half a file.
        let tmp = dir.join(format!(".{key}.part"));
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, &path)
    }

    fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(key)?)
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        match fs::remove_file(self.path(key)?) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// `.<key>.part` files (see `put`) in the key directories, by modification time.
    fn sweep_partial(&self, older_than: Duration) -> io::Result<usize> {
        let cutoff = SystemTime::now().checked_sub(older_than).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut removed = 0;
        for dir in fs::read_dir(&self.root)?.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())) {
            for entry in fs::read_dir(dir.path())?.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let partial = name.starts_with('.') && name.ends_with(".part");
                let stale = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
                if partial && stale && fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_keys_stay_inside() {
        let root = std::env::temp_dir().join(format!("media-test-{}", uuid::Uuid::new_v4()));
        let store = LocalDir::new(&root).expect("dir");
        store.put("abc123.bin", b"hello").expect("put");
        assert_eq!(store.get("abc123.bin").expect("get"), b"hello");
        store.delete("abc123.bin").expect("delete");
        store.delete("abc123.bin").expect("delete twice");
        assert_eq!(store.get("abc123.bin").map_err(|e| e.kind()), Err(io::ErrorKind::NotFound));
        for bad in ["../etc/passwd", "ab/../../x", "..x", "a", "x y"] {
            assert_eq!(store.put(bad, b"x").map_err(|e| e.kind()), Err(io::ErrorKind::InvalidInput), "{bad}");
        }
        fs::remove_dir_all(root).expect("cleanup");
    }
}
