//! Reading the user's files under size limits, and writing files atomically.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context as _;
use serde::de::DeserializeOwned;

use crate::exit::{bad_input, bad_input_from};

/// Largest JSON file read (inputs, receipts): the node's request body limit.
pub const MAX_JSON_BYTES: u64 = 64 << 20;

/// Reads the whole file, refusing more than `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| bad_input_from(format!("cannot read {shown}"), e))?;
    let meta = file
        .metadata()
        .map_err(|e| bad_input_from(format!("cannot read {shown}"), e))?;
    if !meta.is_file() {
        return Err(bad_input(format!("{shown} is not a regular file")));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| bad_input_from(format!("cannot read {shown}"), e))?;
    if bytes.len() as u64 > limit {
        return Err(bad_input(format!("{shown} is larger than the limit of {limit} bytes")));
    }
    Ok(bytes)
}

/// Reads and decodes a JSON file of at most [`MAX_JSON_BYTES`]; `what`
/// names the document in the error (e.g. "an inputs file").
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let bytes = read_limited(path, MAX_JSON_BYTES)?;
    serde_json::from_slice(&bytes).map_err(|e| bad_input_from(format!("{} is not {what}", path.display()), e))
}

/// Writes `bytes` to `path` atomically: to a temporary file beside it,
/// synced, then renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}
