//! Loading an untrusted ONNX file: size limit, parsing, typing with symbolic
//! dimensions kept, optimisation, and extraction of the boundary specs.

use std::collections::BTreeSet;
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::ops::unimpl::UnimplementedOp;
use veris_core::TensorSpec;

use super::FloatModel;
use super::convert::spec_from_fact;
use crate::guard::contain;
use crate::{EngineError, EngineLimits};

impl FloatModel {
    /// Loads an ONNX model with the default [`EngineLimits`].
    pub fn load(bytes: &[u8]) -> Result<FloatModel, EngineError> {
        Self::load_with_limits(bytes, EngineLimits::default())
    }

    /// Loads an ONNX model: parses it, types it (symbolic input dimensions
    /// stay symbolic), optimises it into a runnable plan, and records its
    /// input and output specs.
    ///
    /// The bytes are treated as hostile: anything larger than
    /// `limits.max_model_bytes` is refused before parsing, tract's errors
    /// become [`EngineError::InvalidModel`] with tract's whole error chain,
    /// and a panic inside tract becomes `InvalidModel` too (its reason starts
    /// with `tract panicked`). External-data tensors are never read from
    /// disk: the model has no directory, so tract refuses them.
    pub fn load_with_limits(bytes: &[u8], limits: EngineLimits) -> Result<FloatModel, EngineError> {
        if bytes.len() > limits.max_model_bytes {
            return Err(EngineError::ModelTooLarge {
                size: bytes.len(),
                limit: limits.max_model_bytes,
            });
        }
        let (plan, inputs, outputs) = contain(|| build(bytes)).map_err(|message| EngineError::InvalidModel {
            reason: format!("tract panicked: {message}"),
        })??;
        Ok(FloatModel {
            plan,
            inputs,
            outputs,
            limits,
        })
    }
}

type Built = (Arc<TypedSimplePlan>, Vec<TensorSpec>, Vec<TensorSpec>);

fn invalid(e: TractError) -> EngineError {
    EngineError::InvalidModel {
        reason: format!("{e:#}"),
    }
}

fn build(mut bytes: &[u8]) -> Result<Built, EngineError> {
    let model = tract_onnx::onnx().model_for_read(&mut bytes).map_err(invalid)?;
    reject_unsupported_ops(&model)?;
    let (input_names, output_names) = boundary_names(&model)?;

    let typed = model.into_optimized().map_err(invalid)?;
    if typed.inputs.len() != input_names.len() || typed.outputs.len() != output_names.len() {
        return Err(EngineError::InvalidModel {
            reason: format!(
                "optimisation changed the boundary: {} inputs and {} outputs became {} and {}",
                input_names.len(),
                output_names.len(),
                typed.inputs.len(),
                typed.outputs.len()
            ),
        });
    }
    let inputs = specs(&input_names, |ix| typed.input_fact(ix))?;
    let outputs = specs(&output_names, |ix| typed.output_fact(ix))?;
    let plan = typed.into_runnable().map_err(invalid)?;
    Ok((plan, inputs, outputs))
}

/// Names every operator tract parsed but cannot run, with its node, instead
/// of tract's generic "can not be made a TypedOp" further down the chain.
fn reject_unsupported_ops(model: &InferenceModel) -> Result<(), EngineError> {
    for node in model.nodes() {
        if node.op_is::<UnimplementedOp>() {
            let name = node.op().name();
            let op = name
                .strip_prefix("Unimplemented(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or(&name);
            return Err(EngineError::UnsupportedOp {
                op: op.to_string(),
                node: node.name.clone(),
            });
        }
    }
    Ok(())
}

/// Input and output names as the ONNX graph declares them, taken before
/// optimisation (which may rename or fuse the nodes that produce outputs).
fn boundary_names(model: &InferenceModel) -> Result<(Vec<String>, Vec<String>), EngineError> {
    let inputs: Vec<String> = model
        .input_outlets()
        .map_err(invalid)?
        .iter()
        .map(|o| model.node(o.node).name.clone())
        .collect();
    let outputs: Vec<String> = model
        .output_outlets()
        .map_err(invalid)?
        .iter()
        .map(|o| {
            model
                .outlet_label(*o)
                .map(str::to_string)
                .unwrap_or_else(|| model.node(o.node).name.clone())
        })
        .collect();
    for (kind, names) in [("input", &inputs), ("output", &outputs)] {
        let mut seen = BTreeSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(EngineError::InvalidModel {
                reason: format!("duplicate {kind} name `{dup}`"),
            });
        }
    }
    Ok((inputs, outputs))
}

fn specs<'m>(
    names: &[String],
    fact: impl Fn(usize) -> TractResult<&'m TypedFact>,
) -> Result<Vec<TensorSpec>, EngineError> {
    names
        .iter()
        .enumerate()
        .map(|(ix, name)| spec_from_fact(name, fact(ix).map_err(invalid)?))
        .collect()
}
