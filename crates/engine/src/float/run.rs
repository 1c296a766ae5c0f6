//! One inference: validate, convert, run the shared plan, convert back.

use tract_onnx::prelude::*;
use veris_core::TensorMap;
use veris_core::spec::check_inputs;

use super::FloatModel;
use super::convert::{from_tract, to_tract};
use crate::EngineError;
use crate::guard::contain;

impl FloatModel {
    /// Runs the model once.
    ///
    /// `inputs` must hold exactly the model's inputs, each with the declared
    /// dtype, a fitting shape (any size on a symbolic dimension) and only
    /// finite values; otherwise the result is [`EngineError::Input`] naming
    /// the tensor. The outputs are keyed by the model's output names.
    ///
    /// Each call builds a fresh tract state over the shared plan, so calls
    /// from many threads at once do not interfere; the plan is never
    /// re-typed or re-optimised. A panic inside tract becomes
    /// [`EngineError::Panicked`].
    pub fn run(&self, inputs: &TensorMap) -> Result<TensorMap, EngineError> {
        check_inputs(&self.inputs, inputs, true)?;
        let mut values: TVec<TValue> = TVec::with_capacity(self.inputs.len());
        for spec in &self.inputs {
            // `check_inputs` guarantees presence; a miss is still an error, not a panic.
            let tensor = inputs.get(&spec.name).ok_or_else(|| EngineError::Run {
                reason: format!("input `{}` vanished after validation", spec.name),
            })?;
            values.push(to_tract(&spec.name, tensor)?.into_tvalue());
        }
        let results = contain(|| self.plan.run(values))
            .map_err(|message| EngineError::Panicked { message })?
            .map_err(|e| EngineError::Run {
                reason: format!("{e:#}"),
            })?;
        if results.len() != self.outputs.len() {
            return Err(EngineError::Run {
                reason: format!(
                    "the plan produced {} outputs, the model declares {}",
                    results.len(),
                    self.outputs.len()
                ),
            });
        }
        self.outputs
            .iter()
            .zip(results)
            .map(|(spec, value)| Ok((spec.name.clone(), from_tract(&spec.name, &value)?)))
            .collect()
    }
}
