//! The operator key file, `<home>/operator.key`: the 32-byte secp256k1
//! secret as 64 lower-case hex digits and a newline, mode 0600.
//!
//! The file is created with mode 0600 before any byte is written, filled and
//! fsynced under a temp name, then hard-linked into place, which never
//! replaces an existing key: two processes creating a key at once end up
//! sharing whichever was linked first. A key file that group or others may
//! read or write is refused rather than used.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use veris_core::OperatorKey;

use crate::atomic::{TempFile, ensure_dir};
use crate::error::StoreError;
use crate::hub::TMP_DIR;

/// Key file name, relative to the home.
pub const KEY_FILE: &str = "operator.key";
/// Largest key file accepted (the key itself is 65 bytes).
const MAX_KEY_FILE_BYTES: u64 = 1024;

/// The path of the key file of `home`.
pub fn key_path(home: &Path) -> PathBuf {
    home.join(KEY_FILE)
}

/// Loads the operator key of `home`, creating (and persisting) a fresh one
/// if there is none yet.
pub fn load_or_create_key(home: &Path) -> Result<OperatorKey, StoreError> {
    let path = key_path(home);
    if let Some(key) = read_key(&path)? {
        return Ok(key);
    }
    let tmp = home.join(TMP_DIR);
    ensure_dir(&tmp)?;
    let key = OperatorKey::generate();
    let text = format!("{}\n", hex::encode(key.secret_bytes()));
    let temp = TempFile::write(&tmp, KEY_FILE, text.as_bytes(), 0o600)?;
    if temp.persist_new(&path)? {
        return Ok(key);
    }
    // Another process created the key first: use theirs.
    read_key(&path)?.ok_or_else(|| StoreError::KeyFileMalformed {
        path,
        reason: "it disappeared while being created".into(),
    })
}

/// Loads an existing key file, refusing one that is missing, malformed or
/// accessible to group or others.
pub fn load_key(path: &Path) -> Result<OperatorKey, StoreError> {
    read_key(path)?.ok_or_else(|| StoreError::Io {
        action: "open",
        path: path.to_path_buf(),
        source: io::ErrorKind::NotFound.into(),
    })
}

fn read_key(path: &Path) -> Result<Option<OperatorKey>, StoreError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("open", path)(e)),
    };
    let malformed = |reason: &str| StoreError::KeyFileMalformed {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let meta = file.metadata().map_err(StoreError::io("inspect", path))?;
    if !meta.is_file() {
        return Err(malformed("it is not a regular file"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::KeyFilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(StoreError::io("read", path))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(malformed("it is far too large"));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed("it is not text"))?;
    let hex_text = text.trim();
    let hex_text = hex_text.strip_prefix("0x").unwrap_or(hex_text);
    if hex_text.len() != 64 {
        return Err(malformed(&format!(
            "it has {} characters instead of 64 hex digits",
            hex_text.len()
        )));
    }
    let mut secret = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut secret).map_err(|_| malformed("it contains non-hex characters"))?;
    OperatorKey::from_secret_bytes(&secret)
        .map(Some)
        .map_err(|_| malformed("it is not a valid secp256k1 secret"))
}
