//! Tests of the client against a fake node: URLs, request bodies, error
//! mapping, size limits and download integrity.

mod errors;
mod fake_node;
mod models;
mod real_node;

use serde_json::{Value, json};
use veris_core::ModelId;

/// The JSON of a model record for `bytes` named `name@1.0`.
pub fn record_json(bytes: &[u8], name: &str) -> Value {
    json!({
        "id": ModelId::of_bytes(bytes).to_string(),
        "name": name,
        "version": "1.0",
        "description": "",
        "size": bytes.len(),
        "created_ms": 1,
        "format": "onnx",
        "inputs": [{"name": "input", "dtype": "float32", "shape": ["N", 64]}],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": ["N", 10]}],
    })
}
