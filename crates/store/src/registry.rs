//! Model metadata in redb (`<home>/hub.redb`).
//!
//! Tables:
//! - `meta`: `&str -> u64`; key `schema` holds [`DB_SCHEMA`].
//! - `models`: `(name, major, minor) -> record` where the record is encoded
//!   by [`crate::record`]. redb orders the keys, so iteration is already
//!   sorted by name (bytewise) then version.
//!
//! Lookups by content id scan the table: a local hub holds at most a few
//! thousand versions, and a scan keeps a single source of truth.
//!
//! redb holds an exclusive lock on the file while the [`Registry`] lives,
//! which is what makes the hub's start-up clean-up safe.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition};
use veris_core::{ModelId, ModelRecord, Version};

use crate::error::StoreError;
use crate::record::{decode, encode};

/// Version of the table layout written by this build.
pub const DB_SCHEMA: u64 = 1;

type Key<'a> = (&'a str, u32, u32);
const MODELS: TableDefinition<'_, Key<'static>, &[u8]> = TableDefinition::new("models");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const SCHEMA_KEY: &str = "schema";
const CACHE_BYTES: usize = 16 << 20;

/// The metadata database.
#[derive(Debug)]
pub(crate) struct Registry {
    db: Database,
    path: PathBuf,
}

fn key_text(name: &str, major: u32, minor: u32) -> String {
    format!("{name}@{major}.{minor}")
}

/// Decodes one row, checking that the record agrees with its key.
fn row(key: Key<'_>, value: &[u8]) -> Result<ModelRecord, StoreError> {
    let (name, major, minor) = key;
    let text = key_text(name, major, minor);
    let record = decode(&text, value)?;
    if record.name != name || record.version != (Version { major, minor }) {
        return Err(StoreError::CorruptRecord {
            key: text,
            reason: format!("the record says {}", record.reference()),
        });
    }
    Ok(record)
}

impl Registry {
    /// Opens or creates the database, taking its lock; `home` names the
    /// home in the [`StoreError::Locked`] error.
    pub(crate) fn open(path: &Path, home: &Path) -> Result<Registry, StoreError> {
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            // Report a damaged file as an error instead of trusting it.
            .set_check_integrity_on_open(true)
            .create(path)
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => StoreError::Locked {
                    home: home.to_path_buf(),
                },
                other => StoreError::db(path)(other),
            })?;
        let registry = Registry {
            db,
            path: path.to_path_buf(),
        };
        registry.init_schema()?;
        Ok(registry)
    }

    fn err<E: Into<redb::Error>>(&self) -> impl FnOnce(E) -> StoreError {
        StoreError::db(&self.path)
    }

    fn init_schema(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(self.err())?;
        {
            let mut meta = txn.open_table(META).map_err(self.err())?;
            txn.open_table(MODELS).map_err(self.err())?;
            let found = meta.get(SCHEMA_KEY).map_err(self.err())?.map(|v| v.value());
            match found {
                None => {
                    meta.insert(SCHEMA_KEY, DB_SCHEMA).map_err(self.err())?;
                }
                Some(DB_SCHEMA) => {}
                Some(found) => {
                    return Err(StoreError::UnsupportedSchema {
                        path: self.path.clone(),
                        found,
                        supported: DB_SCHEMA,
                    });
                }
            }
        }
        txn.commit().map_err(self.err())
    }

    /// Runs `f` on every row in `range` order; `f` returns `false` to stop.
    fn scan(
        &self,
        name: Option<&str>,
        mut f: impl FnMut(Result<ModelRecord, StoreError>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(self.err())?;
        let table = txn.open_table(MODELS).map_err(self.err())?;
        let rows = match name {
            Some(name) => table.range((name, 0, 0)..=(name, u32::MAX, u32::MAX)),
            None => table.iter(),
        }
        .map_err(self.err())?;
        for entry in rows {
            let (k, v) = entry.map_err(self.err())?;
            if !f(row(k.value(), v.value()))? {
                break;
            }
        }
        Ok(())
    }

    /// Every record, sorted by name then version.
    pub(crate) fn all(&self) -> Result<Vec<ModelRecord>, StoreError> {
        let mut out = Vec::new();
        self.scan(None, |r| {
            out.push(r?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every version of `name`, oldest first.
    pub(crate) fn versions_of_name(&self, name: &str) -> Result<Vec<ModelRecord>, StoreError> {
        let mut out = Vec::new();
        self.scan(Some(name), |r| {
            out.push(r?);
            Ok(true)
        })?;
        Ok(out)
    }

    pub(crate) fn get(&self, name: &str, version: Version) -> Result<Option<ModelRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(self.err())?;
        let table = txn.open_table(MODELS).map_err(self.err())?;
        let key = (name, version.major, version.minor);
        let value = table.get(key).map_err(self.err())?;
        value.map(|v| row(key, v.value())).transpose()
    }

    /// Every record whose blob is `id`, sorted by name then version.
    pub(crate) fn with_id(&self, id: &ModelId) -> Result<Vec<ModelRecord>, StoreError> {
        let mut out = Vec::new();
        self.scan(None, |r| {
            let r = r?;
            if r.id == *id {
                out.push(r);
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The ids of every blob some record references, or `None` if some
    /// record cannot be decoded (then nobody can tell which blobs are free).
    pub(crate) fn referenced_ids(&self) -> Result<Option<BTreeSet<ModelId>>, StoreError> {
        let mut ids = BTreeSet::new();
        let mut complete = true;
        self.scan(None, |r| match r {
            Ok(r) => {
                ids.insert(r.id);
                Ok(true)
            }
            Err(StoreError::CorruptRecord { .. }) => {
                complete = false;
                Ok(false)
            }
            Err(e) => Err(e),
        })?;
        Ok(complete.then_some(ids))
    }

    /// Adds a record in one transaction; its (name, version) must be free.
    pub(crate) fn insert(&self, record: &ModelRecord) -> Result<(), StoreError> {
        let bytes = encode(record)?;
        let key = (record.name.as_str(), record.version.major, record.version.minor);
        let txn = self.db.begin_write().map_err(self.err())?;
        {
            let mut table = txn.open_table(MODELS).map_err(self.err())?;
            if let Some(existing) = table.get(key).map_err(self.err())? {
                let existing = row(key, existing.value())?;
                return Err(StoreError::VersionExists {
                    name: record.name.clone(),
                    version: record.version,
                    id: existing.id,
                });
            }
            table.insert(key, bytes.as_slice()).map_err(self.err())?;
        }
        txn.commit().map_err(self.err())
    }

    /// Deletes the rows at `keys` in one transaction (rows that do not
    /// decode are deleted too). Returns whether any remaining row may still
    /// reference `id`: a row that cannot be decoded counts as a reference,
    /// and so does an unknown id (`None`).
    pub(crate) fn remove(&self, keys: &[(String, Version)], id: Option<&ModelId>) -> Result<bool, StoreError> {
        let txn = self.db.begin_write().map_err(self.err())?;
        let still_referenced = {
            let mut table = txn.open_table(MODELS).map_err(self.err())?;
            for (name, v) in keys {
                table.remove((name.as_str(), v.major, v.minor)).map_err(self.err())?;
            }
            match id {
                None => true,
                Some(id) => {
                    let mut referenced = false;
                    for entry in table.iter().map_err(self.err())? {
                        let (k, v) = entry.map_err(self.err())?;
                        if row(k.value(), v.value()).map_or(true, |r| r.id == *id) {
                            referenced = true;
                            break;
                        }
                    }
                    referenced
                }
            }
        };
        txn.commit().map_err(self.err())?;
        Ok(still_referenced)
    }
}
