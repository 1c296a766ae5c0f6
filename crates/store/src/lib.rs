//! # veris-store
//!
//! The model hub on disk: content-addressed model blobs, named and versioned
//! model records, and the operator key file, all under one home directory.
//!
//! ```no_run
//! use veris_store::{Hub, ModelRef, NewModel};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = Hub::open("/var/lib/veris".as_ref())?;
//! let added = hub.add(&std::fs::read("mnist.onnx")?, NewModel::onnx("mnist"))?;
//! let record = hub.resolve(&"mnist@1.0".parse::<ModelRef>()?)?;
//! let bytes = hub.read_blob(&record.id)?; // verified against the id
//! # let _ = (added, bytes); Ok(()) }
//! ```
//!
//! ## Layout on disk
//!
//! ```text
//! <home>/
//!   hub.redb        model records (redb); its lock marks the home as in use
//!   blobs/<cid>     one file per model, named by its content id
//!   tmp/            temp files of writes in progress; emptied on open
//!   evidence/<id>.json  fraud evidence the node recorded or received ([`EvidenceStore`])
//!   operator.key    operator secret, 64 hex digits, mode 0600
//! ```
//!
//! A content id is CIDv1(raw, sha2-256(bytes)) ([`veris_core::ModelId`]).
//! [`ModelRecord`] and [`Version`] are the `veris-core` types (re-exported
//! here), so the node's API speaks the same records the hub stores.
//! A model is named `NAME`, `NAME@MAJOR.MINOR` or by its id ([`ModelRef`]);
//! names are 1–64 characters of `[A-Za-z0-9._-]` and never look like an id.
//!
//! ## Atomicity and crash guarantees
//!
//! - Every file is written to `tmp/`, fsynced, renamed (or, for the key,
//!   hard-linked) into place, and its directory fsynced: a file is either
//!   absent or complete.
//! - Adding writes the blob first, then commits the record in one redb
//!   transaction. Removing commits the metadata first, then deletes blobs.
//!   So a crash or `kill -9` at any moment leaves, at worst, a temp file or a
//!   blob no record references; never a record without its blob.
//! - [`Hub::open`] takes redb's exclusive lock on `hub.redb` (a second opener,
//!   in this process or another, gets [`StoreError::Locked`]), then deletes
//!   every temp file and every blob no record references. That clean-up is
//!   safe only because the lock guarantees no other writer is running.
//! - Within a process, [`Hub`] is `Send + Sync`; adds and removes are
//!   serialised so a blob is never deleted under a concurrent add.
//!
//! ## Integrity and limits
//!
//! - Reads check that a blob still hashes to its id; a damaged file is
//!   refused with [`StoreError::Corrupt`]. Re-adding the same bytes repairs it.
//! - Blobs larger than [`HubConfig::max_blob_size`] (default 512 MiB) are
//!   refused on write and on read; records are bounded by
//!   [`MAX_RECORD_BYTES`] and the key file by 1 KiB before parsing.
//! - Bad data on disk is a typed error, never a panic. redb checks the
//!   integrity of `hub.redb` when it is opened.
//!
//! ## Formats and their versions
//!
//! - `hub.redb` table layout: schema [`DB_SCHEMA`] = 1, stored in
//!   the `meta` table; a database with a newer schema is refused with
//!   [`StoreError::UnsupportedSchema`]. Table `models` maps
//!   `(name, major, minor)` to an encoded record.
//! - Record encoding: schema [`RECORD_SCHEMA`] = 1, JSON
//!   `{"schema":1,"record":{...}}` with the fields of [`ModelRecord`]; ids and
//!   versions are strings (`"bafkrei..."`, `"1.0"`). A record whose schema is
//!   unknown, which does not parse, or which disagrees with its key is a
//!   [`StoreError::CorruptRecord`]; while one exists, garbage collection is
//!   skipped (no blob can be proven unreferenced).
//! - Key file: one line, the secret as 64 hex digits (an `0x` prefix and
//!   surrounding whitespace are accepted on read).
//!
//! ## Versions
//!
//! The first version of a name is 1.0. Adding without an explicit version
//! gives the next minor of the latest version; adding bytes that already are
//! a version of that name returns that record ([`Added::created`] is
//! `false`). An explicit version that exists is [`StoreError::VersionExists`].

mod atomic;
mod blobs;
mod error;
mod evidence;
mod hub;
mod keyfile;
mod model_ref;
mod record;
mod registry;

pub use error::StoreError;
pub use evidence::{EVIDENCE_DIR, EvidenceStore};
pub use hub::{BLOBS_DIR, DB_FILE, DEFAULT_MAX_BLOB_SIZE, Hub, HubConfig, OpenReport, TMP_DIR};
pub use keyfile::{KEY_FILE, key_path, load_key, load_or_create_key};
pub use model_ref::{MAX_NAME_LEN, ModelRef, NameError, RefError, validate_name};
pub use record::{Added, MAX_RECORD_BYTES, NewModel, RECORD_SCHEMA};
pub use registry::DB_SCHEMA;
pub use veris_core::{ModelRecord, Version, VersionError};
