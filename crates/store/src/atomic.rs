//! Durable, atomic file creation: write a temp file, fsync it, move it into
//! place with one `rename`/`link`, fsync the directory.
//!
//! Temp files live in one directory (`<home>/tmp/`) on the same filesystem
//! as their destination, so the final move is atomic, and whatever a crash
//! leaves behind is found in one place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::StoreError;

/// Suffix of every temp file this crate creates.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A fully written and fsynced temp file. Dropping it removes the file
/// unless it was [`persist`](Self::persist)ed.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    /// Creates `<tmp_dir>/<stem>.<pid>.<seq>.tmp` with `mode`, writes `bytes`, fsyncs.
    pub(crate) fn write(tmp_dir: &Path, stem: &str, bytes: &[u8], mode: u32) -> Result<TempFile, StoreError> {
        let (path, mut file) = create_unique(tmp_dir, stem, mode)?;
        let temp = TempFile { path: Some(path) };
        let result = file.write_all(bytes).and_then(|()| file.sync_all());
        result.map_err(StoreError::io("write", temp.path()))?;
        Ok(temp)
    }

    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Moves the file to `dest`, replacing any file there, and fsyncs `dest`'s directory.
    pub(crate) fn persist(mut self, dest: &Path) -> Result<(), StoreError> {
        let from = self.path.take().unwrap_or_default();
        if let Err(e) = fs::rename(&from, dest) {
            let _ = fs::remove_file(&from);
            return Err(StoreError::io("move into place", dest)(e));
        }
        sync_parent(dest)
    }

    /// Links the file to `dest` only if nothing is there yet, and fsyncs
    /// `dest`'s directory. Returns `false` (and leaves `dest` alone) if
    /// `dest` already exists.
    pub(crate) fn persist_new(self, dest: &Path) -> Result<bool, StoreError> {
        match fs::hard_link(self.path(), dest) {
            Ok(()) => {
                sync_parent(dest)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(StoreError::io("create", dest)(e)),
        }
        // `self` drops here and removes the temp name.
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(path);
        }
    }
}

fn create_unique(tmp_dir: &Path, stem: &str, mode: u32) -> Result<(PathBuf, File), StoreError> {
    let pid = std::process::id();
    loop {
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let path = tmp_dir.join(format!("{stem}.{pid}.{seq}{TEMP_SUFFIX}"));
        // A stale file from a dead process with the same pid is skipped, never reused.
        match OpenOptions::new().write(true).create_new(true).mode(mode).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::io("create", path)(e)),
        }
    }
}

/// fsyncs a directory, making renames and unlinks in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("sync directory", dir))
}

fn sync_parent(path: &Path) -> Result<(), StoreError> {
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Creates `dir` (and parents) if missing.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))
}

/// Removes every regular file in `dir`; returns how many. Only safe while
/// holding the home's lock, so that no writer of this home is running.
pub(crate) fn clear_dir_files(dir: &Path) -> Result<usize, StoreError> {
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(StoreError::io("list", dir))? {
        let entry = entry.map_err(StoreError::io("list", dir))?;
        let kind = entry.file_type().map_err(StoreError::io("inspect", entry.path()))?;
        if kind.is_file() || kind.is_symlink() {
            remove_if_present(&entry.path())?;
            removed += 1;
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Removes a file; a file that is already gone is not an error.
pub(crate) fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn persists_atomically_and_cleans_up_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("dest");
        TempFile::write(dir.path(), "a", b"one", 0o644)
            .unwrap()
            .persist(&dest)
            .unwrap();
        TempFile::write(dir.path(), "a", b"two", 0o644)
            .unwrap()
            .persist(&dest)
            .unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"two");
        drop(TempFile::write(dir.path(), "b", b"x", 0o644).unwrap());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("dest")]);
    }

    #[test]
    fn persist_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("key");
        let t = TempFile::write(dir.path(), "k", b"first", 0o600).unwrap();
        assert!(t.persist_new(&dest).unwrap());
        let t = TempFile::write(dir.path(), "k", b"second", 0o600).unwrap();
        assert!(!t.persist_new(&dest).unwrap());
        assert_eq!(fs::read(&dest).unwrap(), b"first");
        assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
