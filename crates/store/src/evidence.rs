//! Durable storage of fraud evidence: one file per piece, named by its id,
//! under `<home>/evidence/`.
//!
//! A piece is written like a blob (temp file in `<home>/tmp/`, fsync, link
//! into place, fsync the directory), so a crash never leaves a partial
//! file visible, and a piece already stored is never overwritten. The store
//! keeps bytes only: the caller encodes, decodes and verifies them, and
//! reading refuses files over the caller's size limit.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use veris_core::Digest32;

use crate::atomic::{TempFile, ensure_dir};
use crate::error::StoreError;
use crate::hub::TMP_DIR;

/// Directory of the evidence files in a home.
pub const EVIDENCE_DIR: &str = "evidence";
const SUFFIX: &str = ".json";

/// The evidence files of one home.
#[derive(Debug, Clone)]
pub struct EvidenceStore {
    dir: PathBuf,
    tmp: PathBuf,
}

impl EvidenceStore {
    /// Opens (creating if needed) the evidence directory of `home`. Call it
    /// while holding the home (after [`crate::Hub::open`]), which also
    /// clears temp files a crash left behind.
    pub fn open(home: &Path) -> Result<EvidenceStore, StoreError> {
        let store = EvidenceStore {
            dir: home.join(EVIDENCE_DIR),
            tmp: home.join(TMP_DIR),
        };
        ensure_dir(&store.dir)?;
        ensure_dir(&store.tmp)?;
        Ok(store)
    }

    fn path(&self, id: &Digest32) -> PathBuf {
        self.dir.join(format!("{}{SUFFIX}", hex::encode(id.0)))
    }

    /// Stores `bytes` as evidence `id`; `false` if it was already stored.
    pub fn put(&self, id: &Digest32, bytes: &[u8]) -> Result<bool, StoreError> {
        TempFile::write(&self.tmp, "evidence", bytes, 0o644)?.persist_new(&self.path(id))
    }

    /// Whether evidence `id` is stored.
    pub fn contains(&self, id: &Digest32) -> bool {
        self.path(id).is_file()
    }

    /// The ids of the stored evidence, in id order.
    pub fn ids(&self) -> Result<Vec<Digest32>, StoreError> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(StoreError::io("list", &self.dir))? {
            let entry = entry.map_err(StoreError::io("list", &self.dir))?;
            let name = entry.file_name();
            let Some(hex_id) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)) else {
                continue;
            };
            let mut id = [0u8; 32];
            if hex::decode_to_slice(hex_id, &mut id).is_ok() {
                ids.push(Digest32(id));
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The bytes of evidence `id`, refusing files over `max_bytes`.
    pub fn get(&self, id: &Digest32, max_bytes: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(id);
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("open", path)(e)),
        };
        let mut bytes = Vec::new();
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(StoreError::io("read", &path))?;
        if bytes.len() as u64 > max_bytes {
            return Err(StoreError::EvidenceTooLarge { path, max: max_bytes });
        }
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_lists_and_reads_under_a_limit() {
        let home = tempfile::tempdir().unwrap();
        let store = EvidenceStore::open(home.path()).unwrap();
        let (a, b) = (Digest32([2; 32]), Digest32([1; 32]));
        assert!(store.put(&a, b"first").unwrap());
        assert!(!store.put(&a, b"second").unwrap(), "evidence is never overwritten");
        assert!(store.put(&b, b"other").unwrap());
        fs::write(home.path().join(EVIDENCE_DIR).join("stray.txt"), b"x").unwrap();
        assert_eq!(store.ids().unwrap(), vec![b, a]);
        assert_eq!(store.get(&a, 64).unwrap().as_deref(), Some(&b"first"[..]));
        assert!(matches!(store.get(&a, 3), Err(StoreError::EvidenceTooLarge { .. })));
        assert_eq!(store.get(&Digest32([0; 32]), 64).unwrap(), None);
        assert!(store.contains(&b));
        assert_eq!(fs::read_dir(home.path().join(TMP_DIR)).unwrap().count(), 0);
    }
}
