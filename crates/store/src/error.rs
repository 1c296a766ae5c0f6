//! The one error type of the store. Every variant names what it is about
//! (a path, a content id, a model reference) and its message says what to
//! do next.

use std::io;
use std::path::PathBuf;

use veris_core::{IdError, ModelId, Version};

use crate::model_ref::{NameError, RefError};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (or another [`crate::Hub`] in this process) has the home open.
    #[error(
        "the Veris home {home} is in use by another process (is a node running?); \
         stop it or choose another home directory"
    )]
    Locked { home: PathBuf },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("model database {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: Box<redb::Error>,
    },

    #[error(
        "model database {path} uses metadata schema {found}, this build understands up to {supported}; \
         upgrade Veris"
    )]
    UnsupportedSchema { path: PathBuf, found: u64, supported: u64 },

    #[error("metadata record {key} cannot be decoded ({reason}); remove that model and add it again")]
    CorruptRecord { key: String, reason: String },

    #[error(
        "blob {path} is corrupt: expected content id {id}, its bytes hash to {got}; remove the model and add it again"
    )]
    Corrupt { id: ModelId, path: PathBuf, got: ModelId },

    #[error("blob {path} of model {id} is missing; add the model again")]
    BlobMissing { id: ModelId, path: PathBuf },

    #[error("model of {size} bytes exceeds the maximum of {max} bytes (raise the hub's max blob size to accept it)")]
    TooLarge { size: u64, max: u64 },

    #[error("evidence file {path} is larger than {max} bytes")]
    EvidenceTooLarge { path: PathBuf, max: u64 },

    #[error("no model matches `{reference}` (see the list of models)")]
    NotFound { reference: String },

    #[error("model `{name}` already has version {version} (content id {id}); choose another version or omit it")]
    VersionExists {
        name: String,
        version: Version,
        id: ModelId,
    },

    #[error("model `{name}` has reached version {version}; give an explicit version with a higher major")]
    VersionOverflow { name: String, version: Version },

    #[error(
        "refusing to remove every version of `{name}` at once; \
         name one version (`{name}@MAJOR.MINOR`) or a content id"
    )]
    VersionRequired { name: String },

    #[error("invalid model name `{name}`: {source}")]
    InvalidName {
        name: String,
        #[source]
        source: NameError,
    },

    #[error("invalid model {field}: {reason}")]
    InvalidModel { field: &'static str, reason: String },

    #[error("invalid model reference: {0}")]
    InvalidRef(#[from] RefError),

    #[error("invalid content id: {0}")]
    InvalidId(#[from] IdError),

    #[error("key file {path} is readable or writable by group or others (mode {mode:03o}); run `chmod 600 {path}`")]
    KeyFilePermissions { path: PathBuf, mode: u32 },

    #[error("key file {path} is malformed ({reason}); it must hold one 32-byte secp256k1 secret as 64 hex digits")]
    KeyFileMalformed { path: PathBuf, reason: String },
}

impl StoreError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { action, path, source }
    }

    pub(crate) fn db<E: Into<redb::Error>>(path: impl Into<PathBuf>) -> impl FnOnce(E) -> StoreError {
        let path = path.into();
        move |source| StoreError::Database {
            path,
            source: Box::new(source.into()),
        }
    }
}
