//! Model hub endpoints: upload, list, show, download, remove.
//!
//! Downloads are checked against the content id: the client resolves the
//! reference to a record first, fetches the bytes by id and refuses bytes
//! that do not hash to it, so a node cannot substitute a model.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use reqwest::blocking::Body;
use reqwest::header::CONTENT_TYPE;
use sha2::{Digest as _, Sha256};
use veris_core::api::{AddModelResponse, ModelList};
use veris_core::{Digest32, ModelId, ModelRecord, Version};

use crate::client::{Client, read_limited};
use crate::error::ClientError;

/// Largest verifying key accepted from a node.
pub const MAX_VERIFYING_KEY_BYTES: u64 = 16 << 20;

impl Client {
    /// `POST /v1/models`: publishes model bytes held in memory.
    pub fn add_model(
        &self,
        bytes: Vec<u8>,
        name: &str,
        version: Option<Version>,
        description: &str,
    ) -> Result<AddModelResponse, ClientError> {
        self.check_upload_size(bytes.len() as u64)?;
        self.upload(Body::from(bytes), name, version, description)
    }

    /// `POST /v1/models`: publishes the model file at `path`, streaming it
    /// from disk.
    pub fn add_model_file(
        &self,
        path: &Path,
        name: &str,
        version: Option<Version>,
        description: &str,
    ) -> Result<AddModelResponse, ClientError> {
        let file = File::open(path).map_err(ClientError::io("open", path))?;
        let len = file.metadata().map_err(ClientError::io("read", path))?.len();
        self.check_upload_size(len)?;
        self.upload(Body::sized(file, len), name, version, description)
    }

    fn check_upload_size(&self, len: u64) -> Result<(), ClientError> {
        let limit = self.options().max_model_bytes;
        if len > limit {
            return Err(ClientError::TooLarge {
                what: "model upload",
                limit,
            });
        }
        Ok(())
    }

    fn upload(
        &self,
        body: Body,
        name: &str,
        version: Option<Version>,
        description: &str,
    ) -> Result<AddModelResponse, ClientError> {
        let mut url = self.url(&["v1", "models"]);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("name", name);
            if let Some(v) = version {
                query.append_pair("version", &v.to_string());
            }
            if !description.is_empty() {
                query.append_pair("description", description);
            }
        }
        let request = self
            .http()
            .post(url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(body);
        self.json(request, "add-model response")
    }

    /// `GET /v1/models`: every stored model version.
    pub fn list_models(&self) -> Result<Vec<ModelRecord>, ClientError> {
        let list: ModelList = self.json(self.http().get(self.url(&["v1", "models"])), "model list")?;
        Ok(list.models)
    }

    /// `GET /v1/models/{ref}`: one model version by `ID`, `NAME` (latest)
    /// or `NAME@MAJOR.MINOR`.
    pub fn show_model(&self, reference: &str) -> Result<ModelRecord, ClientError> {
        self.json(self.http().get(self.url(&["v1", "models", reference])), "model record")
    }

    /// `DELETE /v1/models/{ref}`: removes model versions; returns the removed records.
    pub fn remove_model(&self, reference: &str) -> Result<Vec<ModelRecord>, ClientError> {
        let list: ModelList = self.json(self.http().delete(self.url(&["v1", "models", reference])), "model list")?;
        Ok(list.models)
    }

    /// Resolves `reference` and downloads the model's bytes, checked
    /// against its content id.
    pub fn model_bytes(&self, reference: &str) -> Result<(ModelRecord, Vec<u8>), ClientError> {
        let record = self.show_model(reference)?;
        let response = self.send(self.file_request(&record))?;
        let bytes = read_limited(response, self.options().max_model_bytes, "model file")?;
        let got = ModelId::of_bytes(&bytes);
        if got != record.id {
            return Err(ClientError::Integrity {
                expected: record.id,
                got,
            });
        }
        Ok((record, bytes))
    }

    /// Resolves `reference` and downloads the model to `path`, streaming
    /// and hashing it. The file appears at `path` only once complete and
    /// checked against the content id (it is written beside it, then renamed).
    pub fn download_model(&self, reference: &str, path: &Path) -> Result<ModelRecord, ClientError> {
        let record = self.show_model(reference)?;
        let mut response = self.send(self.file_request(&record))?;
        let limit = self.options().max_model_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(ClientError::TooLarge {
                what: "model file",
                limit,
            });
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(ClientError::io("create a file in", dir))?;
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = response.read(&mut buf).map_err(ClientError::Body)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(ClientError::TooLarge {
                    what: "model file",
                    limit,
                });
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(ClientError::io("write", tmp.path()))?;
        }
        let got = ModelId::from_digest(Digest32(hasher.finalize().into()));
        if got != record.id {
            return Err(ClientError::Integrity {
                expected: record.id,
                got,
            });
        }
        tmp.as_file().sync_all().map_err(ClientError::io("write", tmp.path()))?;
        tmp.persist(path).map_err(|e| ClientError::Io {
            action: "write",
            path: path.to_path_buf(),
            source: e.error,
        })?;
        Ok(record)
    }

    /// The node's zero-knowledge verifying key for `reference` (an exact
    /// model it holds) and its content id. The key is only as trustworthy as
    /// that node: it derives it from its copy of the weights.
    pub fn verifying_key(&self, reference: &str) -> Result<(ModelId, Vec<u8>), ClientError> {
        let response = self.send(self.http().get(self.url(&["v1", "models", reference, "vk"])))?;
        let bytes = read_limited(response, MAX_VERIFYING_KEY_BYTES, "verifying key")?;
        Ok((ModelId::of_bytes(&bytes), bytes))
    }

    fn file_request(&self, record: &ModelRecord) -> reqwest::blocking::RequestBuilder {
        let id = record.id.to_string();
        self.http().get(self.url(&["v1", "models", &id, "file"]))
    }
}
