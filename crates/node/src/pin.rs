//! Adding a model fetched from the peer network ("pinning"): the bytes come
//! verified against their content id, but their format and name do not
//! travel with them. The format is read from the bytes (a compiled exact
//! model starts with [`veris_engine::exact::MAGIC`], anything else must load
//! as ONNX in the float engine); the name is the caller's, or
//! `pinned-<id prefix>`.

use veris_core::ModelId;
use veris_core::api::AddModelResponse;
use veris_engine::exact::MAGIC;
use veris_store::NewModel;

use crate::error::NodeError;
use crate::loaded::{EXACT_FORMAT, Loaded};
use crate::service::{AddModel, Service};
use crate::zk::verifying_key_id;

/// Characters of the id kept in a default pinned name.
const NAME_ID_CHARS: usize = 16;

/// The name a pinned model gets when the caller gives none.
pub fn default_pin_name(id: &ModelId) -> String {
    let id = id.to_string();
    let tail = &id[id.len().saturating_sub(NAME_ID_CHARS)..];
    format!("pinned-{tail}")
}

impl Service {
    /// Adds `bytes`, fetched for `id`, to the hub under `name`: as a
    /// compiled exact model if they carry its magic, else as ONNX (validated
    /// by the float engine). Bytes that do not hash to `id` are refused.
    /// A pinned exact model's record declares its inputs but no outputs
    /// (their shapes are only known by running it).
    pub fn add_fetched(&self, id: ModelId, bytes: &[u8], name: Option<String>) -> Result<AddModelResponse, NodeError> {
        if ModelId::of_bytes(bytes) != id {
            return Err(NodeError::BadRequest(format!("the fetched bytes are not model {id}")));
        }
        let name = name.unwrap_or_else(|| default_pin_name(&id));
        let description = format!("pinned from the peer network ({id})");
        if !bytes.starts_with(&MAGIC) {
            let request = AddModel {
                name,
                version: None,
                description,
            };
            return self.add_model(bytes, request);
        }
        let model = Loaded::load(EXACT_FORMAT, bytes, self.engine_limits())?;
        let verifying_key = match &model {
            Loaded::Exact(m) => verifying_key_id(m).ok(),
            Loaded::Float(_) => None,
        };
        let added = self.hub().add(
            bytes,
            NewModel {
                name,
                version: None,
                description,
                format: EXACT_FORMAT.into(),
                inputs: model.input_specs(),
                outputs: Vec::new(),
                verifying_key,
            },
        )?;
        Ok(AddModelResponse {
            id: added.record.id,
            created: added.created,
            model: added.record,
        })
    }
}
