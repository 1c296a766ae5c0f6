//! The content-addressed blob directory: one file per content id at
//! `<home>/blobs/<cid>`, written atomically through `<home>/tmp/`.
//!
//! A blob file's name is its content id; whoever reads it checks that the
//! bytes still hash to that id, so a file damaged on disk is reported, never
//! served.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use veris_core::ModelId;

use crate::atomic::{TempFile, clear_dir_files, remove_if_present, sync_dir};
use crate::error::StoreError;

const CHUNK: usize = 1 << 20;

/// The blob directory and its temp directory.
#[derive(Debug, Clone)]
pub(crate) struct BlobStore {
    dir: PathBuf,
    tmp: PathBuf,
}

impl BlobStore {
    pub(crate) fn new(dir: PathBuf, tmp: PathBuf) -> Self {
        BlobStore { dir, tmp }
    }

    pub(crate) fn path(&self, id: &ModelId) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Makes sure `<blobs>/<id>` holds exactly `bytes` (which hash to `id`),
    /// writing it atomically unless an identical file is already there.
    pub(crate) fn ensure(&self, id: &ModelId, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(id);
        if same_contents(&path, bytes).map_err(StoreError::io("read", &path))? {
            return Ok(());
        }
        TempFile::write(&self.tmp, &id.to_string(), bytes, 0o644)?.persist(&path)
    }

    /// Reads and verifies a blob of at most `max` bytes; `None` if absent.
    pub(crate) fn read(&self, id: &ModelId, max: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("open", path)(e)),
        };
        let size = file.metadata().map_err(StoreError::io("inspect", &path))?.len();
        if size > max {
            return Err(StoreError::TooLarge { size, max });
        }
        // The length is re-checked while reading: the file may change after `metadata`.
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(StoreError::io("read", &path))?;
        let got = bytes.len() as u64;
        if got > max {
            return Err(StoreError::TooLarge { size: got, max });
        }
        let actual = ModelId::of_bytes(&bytes);
        if actual != *id {
            return Err(StoreError::Corrupt {
                id: *id,
                path,
                got: actual,
            });
        }
        Ok(Some(bytes))
    }

    /// Deletes a blob (absent is fine) and makes the deletion durable.
    pub(crate) fn remove(&self, id: &ModelId) -> Result<(), StoreError> {
        remove_if_present(&self.path(id))?;
        sync_dir(&self.dir)
    }

    /// Removes every temp file left by an interrupted write.
    pub(crate) fn clear_temp(&self) -> Result<usize, StoreError> {
        clear_dir_files(&self.tmp)
    }

    /// Removes every file in the blob directory that is not a referenced
    /// blob (orphans of interrupted adds or removes, stray files); returns
    /// how many. Sub-directories are left alone.
    pub(crate) fn collect_garbage(&self, referenced: &BTreeSet<ModelId>) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir).map_err(StoreError::io("list", &self.dir))? {
            let entry = entry.map_err(StoreError::io("list", &self.dir))?;
            let kind = entry.file_type().map_err(StoreError::io("inspect", entry.path()))?;
            if kind.is_dir() {
                continue;
            }
            let keep = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<ModelId>().ok())
                .is_some_and(|id| referenced.contains(&id));
            if !keep {
                remove_if_present(&entry.path())?;
                removed += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(removed)
    }
}

/// Whether the file at `path` exists and holds exactly `bytes`.
fn same_contents(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if file.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut buf = vec![0u8; CHUNK.min(bytes.len().max(1))];
    let mut offset = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(offset == bytes.len());
        }
        if offset + n > bytes.len() || buf[..n] != bytes[offset..offset + n] {
            return Ok(false);
        }
        offset += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let home = tempfile::tempdir().unwrap();
        let (dir, tmp) = (home.path().join("blobs"), home.path().join("tmp"));
        fs::create_dir_all(&dir).unwrap();
        fs::create_dir_all(&tmp).unwrap();
        (home, BlobStore::new(dir, tmp))
    }

    #[test]
    fn writes_reads_and_repairs() {
        let (_home, blobs) = store();
        let bytes = b"weights".to_vec();
        let id = ModelId::of_bytes(&bytes);
        assert_eq!(blobs.read(&id, 100).unwrap(), None);
        blobs.ensure(&id, &bytes).unwrap();
        assert_eq!(blobs.read(&id, 100).unwrap(), Some(bytes.clone()));
        assert!(matches!(
            blobs.read(&id, 3),
            Err(StoreError::TooLarge { size: 7, max: 3 })
        ));
        fs::write(blobs.path(&id), b"weightz").unwrap();
        assert!(matches!(blobs.read(&id, 100), Err(StoreError::Corrupt { .. })));
        blobs.ensure(&id, &bytes).unwrap();
        assert_eq!(blobs.read(&id, 100).unwrap(), Some(bytes));
        assert_eq!(blobs.clear_temp().unwrap(), 0);
    }

    #[test]
    fn collects_only_unreferenced_files() {
        let (_home, blobs) = store();
        let keep = ModelId::of_bytes(b"keep");
        let orphan = ModelId::of_bytes(b"orphan");
        blobs.ensure(&keep, b"keep").unwrap();
        blobs.ensure(&orphan, b"orphan").unwrap();
        fs::write(blobs.dir.join("stray"), b"?").unwrap();
        fs::create_dir(blobs.dir.join("subdir")).unwrap();
        let referenced = BTreeSet::from([keep]);
        assert_eq!(blobs.collect_garbage(&referenced).unwrap(), 2);
        assert!(blobs.path(&keep).exists());
        assert!(!blobs.path(&orphan).exists());
        assert!(blobs.dir.join("subdir").is_dir());
    }
}
