//! Compiling a float ONNX model from the hub into an exact (integer) model,
//! stored back in the hub under its own content id. When the proof system
//! supports the model, its weights are committed here, once: the record
//! stores the id of the resulting verifying key.

use serde_json::Value;
use veris_core::api::{CompileRequest, CompileResponse};
use veris_core::spec::check_inputs;
use veris_core::tensor_json::decode_inputs;
use veris_core::{TensorLimits, TensorMap, TensorSpec};
use veris_engine::exact::{Bits, DEFAULT_CALIBRATION_SAMPLES, compile, default_calibration};
use veris_store::NewModel;

use crate::error::NodeError;
use crate::loaded::{EXACT_FORMAT, ONNX_FORMAT};
use crate::service::Service;
use crate::zk::verifying_key_id;

/// Most calibration samples accepted in one request.
pub const MAX_CALIBRATION_SAMPLES: usize = 4096;

/// Decodes a calibration set: an array of inputs objects, or one inputs
/// value (an object of named tensors, or a bare array) holding a batch.
fn decode_calibration(value: &Value, specs: &[TensorSpec], limits: &TensorLimits) -> Result<Vec<TensorMap>, NodeError> {
    let samples: Vec<&Value> = match value {
        Value::Array(items) if items.first().is_some_and(Value::is_object) => items.iter().collect(),
        single => vec![single],
    };
    if samples.is_empty() || samples.len() > MAX_CALIBRATION_SAMPLES {
        return Err(NodeError::BadRequest(format!(
            "a calibration set needs 1 to {MAX_CALIBRATION_SAMPLES} samples, got {}",
            samples.len()
        )));
    }
    samples
        .into_iter()
        .map(|v| {
            let inputs = decode_inputs(v, specs, limits)?;
            check_inputs(specs, &inputs, true)?;
            Ok(inputs)
        })
        .collect()
}

impl Service {
    /// Compiles the float model `reference` names and stores the result as
    /// `<name>-int<bits>` (or `req.name`), next minor version.
    pub fn compile_model(&self, reference: &str, req: CompileRequest) -> Result<CompileResponse, NodeError> {
        let source = self.show_model(reference)?;
        if source.format != ONNX_FORMAT {
            return Err(NodeError::BadRequest(format!(
                "only float ONNX models can be compiled; {} is `{}`",
                source.reference(),
                source.format
            )));
        }
        let bits = Bits::from_width(req.bits)
            .ok_or_else(|| NodeError::BadRequest(format!("bits must be 8 or 16, got {}", req.bits)))?;
        let mut warnings = Vec::new();
        let calibration = match &req.calibration {
            Some(value) => decode_calibration(value, &source.inputs, &self.config().limits.tensors)?,
            None => {
                warnings.push(format!(
                    "no calibration set given: calibrated on {DEFAULT_CALIBRATION_SAMPLES} seeded synthetic inputs \
                     uniform in [0, 1); pass real samples for better accuracy"
                ));
                default_calibration(&source.inputs).map_err(NodeError::Exact)?
            }
        };
        let bytes = self.hub().read_blob(&source.id)?;
        let model = compile(&bytes, source.id, &calibration, bits).map_err(NodeError::Exact)?;
        let verifying_key = match verifying_key_id(&model) {
            Ok(id) => Some(id),
            Err(reason) => {
                warnings.push(format!("no zero-knowledge proofs for this model: {reason}"));
                None
            }
        };
        let added = self.hub().add(
            &model.encode(),
            NewModel {
                name: req.name.unwrap_or_else(|| format!("{}-int{}", source.name, req.bits)),
                version: None,
                description: format!(
                    "exact int{} compilation of {} ({})",
                    req.bits,
                    source.reference(),
                    source.id
                ),
                format: EXACT_FORMAT.into(),
                inputs: source.inputs.clone(),
                outputs: source.outputs.clone(),
                verifying_key,
            },
        )?;
        Ok(CompileResponse {
            id: added.record.id,
            created: added.created,
            model: added.record,
            source: source.id,
            bits: req.bits,
            warnings,
        })
    }
}
