//! Request and response bodies of the node's HTTP API (`/v1/...`), shared
//! by the node and its clients. See the README for the endpoints.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::Digest32;
use crate::id::ModelId;
use crate::key::Address;
use crate::model::ModelRecord;
use crate::receipt::{Mode, Receipt};
use crate::tensor::TensorMap;
use crate::verify::Report;

fn yes() -> bool {
    true
}

/// `POST /v1/infer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferRequest {
    /// A model id, `NAME` (latest version) or `NAME@MAJOR.MINOR`.
    pub model: String,
    /// Named tensors, or a bare nested array for a single-input model.
    pub inputs: Value,
    /// `signed` for float models, `exact` for compiled exact models; when
    /// absent, the mode the model's format calls for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Whether the receipt embeds the inputs (their digest is always there).
    #[serde(default = "yes")]
    pub embed_inputs: bool,
}

/// Response of `POST /v1/infer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferResponse {
    pub model: ModelId,
    pub outputs: TensorMap,
    pub receipt_id: Digest32,
    pub receipt: Receipt,
}

/// `POST /v1/verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub receipt: Receipt,
    /// Re-run the model and require bit-identical outputs.
    #[serde(default)]
    pub replay: bool,
    /// Inputs for the replay when the receipt does not embed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Value>,
}

/// `POST /v1/models/{ref}/compile`: compile a float ONNX model into an
/// exact (integer) model and store it in the hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompileRequest {
    /// Calibration inputs: an array of inputs in the tensor format, or one
    /// inputs object holding a batch. Absent: a deterministic synthetic set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Value>,
    /// Activation and weight width: 8 or 16.
    #[serde(default = "default_bits")]
    pub bits: u8,
    /// Name of the compiled model (default: `<source name>-int<bits>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn default_bits() -> u8 {
    8
}

/// Response of `POST /v1/models/{ref}/compile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileResponse {
    pub id: ModelId,
    pub created: bool,
    pub model: ModelRecord,
    /// The float model it was compiled from.
    pub source: ModelId,
    pub bits: u8,
    /// Things the caller should know, e.g. that no calibration set was given.
    pub warnings: Vec<String>,
}

/// Response of `POST /v1/verify`.
pub type VerifyResponse = Report;

/// Response of `POST /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddModelResponse {
    pub id: ModelId,
    /// False when these bytes already were this version of the name.
    pub created: bool,
    pub model: ModelRecord,
}

/// Response of `GET /v1/models` and `DELETE /v1/models/{ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    pub models: Vec<ModelRecord>,
}

/// Response of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub operator: Address,
    pub models: usize,
}

/// Every error response: a stable machine-readable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
}
