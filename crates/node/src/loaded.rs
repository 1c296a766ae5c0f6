//! A model ready to run: a float ONNX model (tract) or a compiled exact
//! model (integer program). The hub record's `format` says which.

use std::sync::Arc;
use std::time::Duration;

use veris_core::{EngineId, Mode, TensorMap, TensorSpec};
use veris_engine::exact::{EXACT_ENGINE_ID, ExactModel, SEMANTICS_VERSION};
use veris_engine::{EngineLimits, FLOAT_ENGINE_ID, FLOAT_ENGINE_VERSION, FloatModel, with_deadline};

use crate::error::NodeError;

/// `format` of float ONNX models in the hub.
pub const ONNX_FORMAT: &str = "onnx";
/// `format` of compiled exact models in the hub.
pub const EXACT_FORMAT: &str = "veris-exact";

/// The float engine's identity, as receipts record it.
pub fn float_engine() -> EngineId {
    EngineId {
        id: FLOAT_ENGINE_ID.into(),
        version: FLOAT_ENGINE_VERSION.into(),
    }
}

/// The exact engine's identity: its id and semantics version.
pub fn exact_engine() -> EngineId {
    EngineId {
        id: EXACT_ENGINE_ID.into(),
        version: SEMANTICS_VERSION.to_string(),
    }
}

/// A loaded model of either kind.
#[derive(Debug)]
pub enum Loaded {
    Float(FloatModel),
    Exact(ExactModel),
}

impl Loaded {
    /// Parses `bytes` as a model of `format`.
    pub fn load(format: &str, bytes: &[u8], limits: EngineLimits) -> Result<Loaded, NodeError> {
        match format {
            ONNX_FORMAT => FloatModel::load_with_limits(bytes, limits)
                .map(Loaded::Float)
                .map_err(NodeError::InvalidModel),
            EXACT_FORMAT => ExactModel::decode(bytes).map(Loaded::Exact).map_err(NodeError::Exact),
            other => Err(NodeError::BadRequest(format!(
                "models of format `{other}` cannot be run"
            ))),
        }
    }

    /// The mode whose receipts this model produces.
    pub fn mode(&self) -> Mode {
        match self {
            Loaded::Float(_) => Mode::Signed,
            Loaded::Exact(_) => Mode::Exact,
        }
    }

    pub fn engine(&self) -> EngineId {
        match self {
            Loaded::Float(_) => float_engine(),
            Loaded::Exact(_) => exact_engine(),
        }
    }

    pub fn input_specs(&self) -> Vec<TensorSpec> {
        match self {
            Loaded::Float(m) => m.inputs().to_vec(),
            Loaded::Exact(m) => m.input_specs(),
        }
    }

    /// Runs on validated inputs, on a worker thread bounded by `timeout`.
    /// Exact models return the dequantized view of their integer outputs,
    /// which is itself exact (one IEEE multiplication per element).
    pub fn run(self: &Arc<Self>, inputs: TensorMap, timeout: Duration) -> Result<TensorMap, NodeError> {
        let model = self.clone();
        let work = move || {
            Ok(match &*model {
                Loaded::Float(m) => m.run(&inputs).map_err(NodeError::Engine),
                Loaded::Exact(m) => m.run(&inputs).map(|o| o.dequantized).map_err(NodeError::Exact),
            })
        };
        with_deadline(timeout, work).map_err(NodeError::Engine)?
    }
}
