//! The float engine: ONNX models run by tract, for `signed` mode.
//!
//! Three things, as in tract: the parsed model is consumed at load time, the
//! optimised plan is immutable and shared (`Arc`), and each run creates its
//! own short-lived state. A [`FloatModel`] therefore serves any number of
//! threads at once.

mod convert;
mod load;
mod run;

use std::fmt;
use std::sync::Arc;

use tract_onnx::prelude::TypedSimplePlan;
use veris_core::TensorSpec;
use veris_core::spec::describe_specs;

use crate::EngineLimits;

/// A loaded, typed and optimised ONNX model, ready to run.
///
/// Immutable after [`FloatModel::load`]; `Send + Sync`, so share it behind an
/// `Arc` and call [`FloatModel::run`] from as many threads as you like.
pub struct FloatModel {
    plan: Arc<TypedSimplePlan>,
    inputs: Vec<TensorSpec>,
    outputs: Vec<TensorSpec>,
    limits: EngineLimits,
}

impl FloatModel {
    /// The model's inputs, in graph order: names, dtypes and shapes, with
    /// symbolic dimensions (such as a batch size `N`) kept symbolic.
    pub fn inputs(&self) -> &[TensorSpec] {
        &self.inputs
    }

    /// The model's outputs, in graph order. A dimension tract computes from
    /// a symbol (e.g. `2*N`) is reported as a [`veris_core::Dim::Symbol`]
    /// holding that expression.
    pub fn outputs(&self) -> &[TensorSpec] {
        &self.outputs
    }

    /// The limits the model was loaded with.
    pub fn limits(&self) -> &EngineLimits {
        &self.limits
    }
}

impl fmt::Debug for FloatModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FloatModel")
            .field("inputs", &describe_specs(&self.inputs))
            .field("outputs", &describe_specs(&self.outputs))
            .field("nodes", &self.plan.model().nodes().len())
            .field("limits", &self.limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_model_is_send_and_sync() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<FloatModel>();
        shareable::<Arc<FloatModel>>();
    }
}
