//! The hub: blobs and metadata of one home, and the rules that tie them.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use veris_core::{ModelId, ModelRecord, Version};

use crate::atomic::ensure_dir;
use crate::blobs::BlobStore;
use crate::error::StoreError;
use crate::model_ref::ModelRef;
use crate::record::{Added, NewModel};
use crate::registry::Registry;

/// Blob directory, relative to the home.
pub const BLOBS_DIR: &str = "blobs";
/// Temp directory, relative to the home; emptied on open.
pub const TMP_DIR: &str = "tmp";
/// Metadata database, relative to the home.
pub const DB_FILE: &str = "hub.redb";
/// Default largest blob accepted on write and read: 512 MiB.
pub const DEFAULT_MAX_BLOB_SIZE: u64 = 512 << 20;

/// Settings of a [`Hub`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// Largest blob, in bytes, that [`Hub::add`] accepts and reads return.
    pub max_blob_size: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            max_blob_size: DEFAULT_MAX_BLOB_SIZE,
        }
    }
}

/// What [`Hub::open`] cleaned up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Temp files left by interrupted writes.
    pub temp_files_removed: usize,
    /// Blobs no record referenced.
    pub orphan_blobs_removed: usize,
    /// Garbage collection was skipped because a record could not be decoded.
    pub gc_skipped: bool,
}

/// The model hub of one home directory. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct Hub {
    home: PathBuf,
    config: HubConfig,
    blobs: BlobStore,
    registry: Registry,
    /// Serialises add and remove, so a blob is never deleted between another
    /// writer's check that it exists and that writer's metadata commit.
    writer: Mutex<()>,
    report: OpenReport,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Hub {
    /// Opens (creating if needed) the hub at `home` with default settings.
    pub fn open(home: &Path) -> Result<Hub, StoreError> {
        Hub::open_with(home, HubConfig::default())
    }

    /// Opens the hub at `home`: takes the database lock (or fails with
    /// [`StoreError::Locked`]), removes leftover temp files and deletes blobs
    /// that no record references.
    pub fn open_with(home: &Path, config: HubConfig) -> Result<Hub, StoreError> {
        let (blob_dir, tmp_dir) = (home.join(BLOBS_DIR), home.join(TMP_DIR));
        for dir in [home, &blob_dir, &tmp_dir] {
            ensure_dir(dir)?;
        }
        // The lock comes first: everything below assumes no other writer.
        let registry = Registry::open(&home.join(DB_FILE), home)?;
        let blobs = BlobStore::new(blob_dir, tmp_dir);
        let mut report = OpenReport {
            temp_files_removed: blobs.clear_temp()?,
            ..OpenReport::default()
        };
        match registry.referenced_ids()? {
            Some(ids) => report.orphan_blobs_removed = blobs.collect_garbage(&ids)?,
            None => report.gc_skipped = true,
        }
        Ok(Hub {
            home: home.to_path_buf(),
            config,
            blobs,
            registry,
            writer: Mutex::new(()),
            report,
        })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// What opening this hub cleaned up.
    pub fn open_report(&self) -> OpenReport {
        self.report
    }

    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        // The guarded data is `()`, so a panic elsewhere cannot leave it inconsistent.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `bytes` as a version of `model.name`: the blob is written and
    /// made durable first, then the record is committed.
    ///
    /// Without an explicit version the new version is the next minor of the
    /// latest (1.0 for a new name), and bytes that already are a version of
    /// that name return that record with `created: false`.
    pub fn add(&self, bytes: &[u8], model: NewModel) -> Result<Added, StoreError> {
        model.validate()?;
        let size = bytes.len() as u64;
        if size > self.config.max_blob_size {
            return Err(StoreError::TooLarge {
                size,
                max: self.config.max_blob_size,
            });
        }
        let id = ModelId::of_bytes(bytes);
        let _writer = self.lock_writer();
        let existing = self.registry.versions_of_name(&model.name)?;
        let version = match model.version {
            Some(version) => {
                if let Some(taken) = existing.iter().find(|r| r.version == version) {
                    return Err(StoreError::VersionExists {
                        name: model.name,
                        version,
                        id: taken.id,
                    });
                }
                version
            }
            None => {
                if let Some(same) = existing.iter().rev().find(|r| r.id == id) {
                    // Re-adding heals a blob that went missing or was damaged.
                    self.blobs.ensure(&id, bytes)?;
                    return Ok(Added {
                        record: same.clone(),
                        created: false,
                    });
                }
                next_version(&model.name, existing.last().map(|r| r.version))?
            }
        };
        let record = ModelRecord {
            id,
            name: model.name,
            version,
            description: model.description,
            size,
            created_ms: now_ms(),
            format: model.format,
            inputs: model.inputs,
            outputs: model.outputs,
            verifying_key: model.verifying_key,
        };
        crate::record::encode(&record)?;
        self.blobs.ensure(&id, bytes)?;
        if let Err(e) = self.registry.insert(&record) {
            if self.registry.with_id(&id).is_ok_and(|refs| refs.is_empty()) {
                // Best effort: an orphan left here is collected at the next open.
                let _ = self.blobs.remove(&id);
            }
            return Err(e);
        }
        Ok(Added { record, created: true })
    }

    /// Every record, sorted by name then version.
    pub fn list(&self) -> Result<Vec<ModelRecord>, StoreError> {
        self.registry.all()
    }

    /// The record a reference names: an id gives its most recently added
    /// record, a name its latest version, `name@version` that version.
    pub fn resolve(&self, reference: &ModelRef) -> Result<ModelRecord, StoreError> {
        let found = match reference {
            ModelRef::Id(id) => self.registry.with_id(id)?.into_iter().max_by_key(|r| r.created_ms),
            ModelRef::Name(name) => self.registry.versions_of_name(name)?.pop(),
            ModelRef::Version { name, version } => self.registry.get(name, *version)?,
        };
        found.ok_or_else(|| StoreError::NotFound {
            reference: reference.to_string(),
        })
    }

    /// Every record whose bytes are `id`, sorted by name then version.
    pub fn versions_of(&self, id: &ModelId) -> Result<Vec<ModelRecord>, StoreError> {
        self.registry.with_id(id)
    }

    /// The verified bytes of blob `id`, refused over the configured maximum.
    pub fn read_blob(&self, id: &ModelId) -> Result<Vec<u8>, StoreError> {
        self.read_blob_limited(id, self.config.max_blob_size)
    }

    /// The verified bytes of blob `id`, refused over `limit` bytes (and over
    /// the configured maximum).
    pub fn read_blob_limited(&self, id: &ModelId, limit: u64) -> Result<Vec<u8>, StoreError> {
        if let Some(bytes) = self.blobs.read(id, limit.min(self.config.max_blob_size))? {
            return Ok(bytes);
        }
        if self.registry.with_id(id)?.is_empty() {
            Err(StoreError::NotFound {
                reference: id.to_string(),
            })
        } else {
            Err(StoreError::BlobMissing {
                id: *id,
                path: self.blobs.path(id),
            })
        }
    }

    /// Where blob `id` lives (whether or not it exists). Readers of the file
    /// must verify its hash themselves; prefer [`Hub::read_blob`].
    pub fn blob_path(&self, id: &ModelId) -> PathBuf {
        self.blobs.path(id)
    }

    /// Removes models and returns the removed records. An id removes every
    /// version with those bytes and the blob; `name@version` removes that
    /// version and the blob if nothing else references it. A bare name is
    /// refused with [`StoreError::VersionRequired`]. A record that cannot be
    /// decoded is removed by `name@version` but not returned.
    ///
    /// The metadata commit comes first; a blob that then fails to be deleted
    /// is an orphan, collected at the next open.
    pub fn remove(&self, reference: &ModelRef) -> Result<Vec<ModelRecord>, StoreError> {
        let _writer = self.lock_writer();
        let not_found = || StoreError::NotFound {
            reference: reference.to_string(),
        };
        let (removed, id) = match reference {
            ModelRef::Name(name) => return Err(StoreError::VersionRequired { name: name.clone() }),
            ModelRef::Id(id) => {
                let records = self.registry.with_id(id)?;
                if records.is_empty() {
                    return Err(not_found());
                }
                (records, *id)
            }
            ModelRef::Version { name, version } => match self.registry.get(name, *version) {
                Ok(Some(record)) => {
                    let id = record.id;
                    (vec![record], id)
                }
                Ok(None) => return Err(not_found()),
                Err(StoreError::CorruptRecord { .. }) => {
                    self.registry.remove(&[(name.clone(), *version)], None)?;
                    return Ok(Vec::new());
                }
                Err(e) => return Err(e),
            },
        };
        let keys: Vec<(String, Version)> = removed.iter().map(|r| (r.name.clone(), r.version)).collect();
        if !self.registry.remove(&keys, Some(&id))? {
            let _ = self.blobs.remove(&id);
        }
        Ok(removed)
    }
}

fn next_version(name: &str, latest: Option<Version>) -> Result<Version, StoreError> {
    match latest {
        None => Ok(Version::FIRST),
        Some(latest) => latest.next_minor().ok_or_else(|| StoreError::VersionOverflow {
            name: name.to_string(),
            version: latest,
        }),
    }
}
