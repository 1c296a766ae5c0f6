//! Replaying a replicated job offline, from the model file and the inputs
//! (`veris verify-evidence --model-file`): the output digest an honest
//! operator signs, computed here by the exact engine.

use std::sync::Arc;

use veris_core::job::JobStatement;
use veris_core::{Digest32, ModelId, TensorMap, tensor_codec};
use veris_engine::EngineLimits;

use crate::config::NodeLimits;
use crate::error::NodeError;
use crate::loaded::{EXACT_FORMAT, Loaded, exact_engine};

/// Runs the job `statement` describes on `model_bytes` and `inputs`; the
/// digest of the outputs. Refuses a model file, inputs or engine other than
/// the statement's.
pub fn replay_output(
    model_bytes: &[u8],
    statement: &JobStatement,
    inputs: &TensorMap,
    limits: &NodeLimits,
) -> Result<Digest32, NodeError> {
    if statement.engine != exact_engine() {
        let e = &statement.engine;
        return Err(NodeError::BadRequest(format!(
            "the job ran engine {} {}; this build replays {} {}",
            e.id,
            e.version,
            exact_engine().id,
            exact_engine().version
        )));
    }
    if ModelId::of_bytes(model_bytes) != statement.model {
        return Err(NodeError::BadRequest(format!(
            "the model file is not model {}",
            statement.model
        )));
    }
    limits.tensors.check_map(inputs)?;
    if tensor_codec::digest(inputs) != statement.input_digest {
        return Err(NodeError::BadRequest("the inputs are not the job's inputs".into()));
    }
    let engine = EngineLimits {
        max_model_bytes: usize::try_from(limits.max_model_bytes).unwrap_or(usize::MAX),
        timeout: limits.infer_timeout,
    };
    let model = Arc::new(Loaded::load(EXACT_FORMAT, model_bytes, engine)?);
    veris_core::spec::check_inputs(&model.input_specs(), inputs, true)?;
    let outputs = model.run(inputs.clone(), limits.infer_timeout)?;
    Ok(tensor_codec::digest(&outputs))
}
