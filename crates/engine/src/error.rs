//! The one error type of the engine crate.

use std::time::Duration;

use veris_core::TensorError;

/// Why a model could not be loaded or run.
///
/// Every variant names what went wrong precisely enough to act on it: the
/// tensor, the operator and node, both sizes, or tract's full error chain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The model file is larger than [`EngineLimits::max_model_bytes`](crate::EngineLimits).
    #[error("model of {size} bytes exceeds the limit of {limit} bytes")]
    ModelTooLarge { size: usize, limit: usize },

    /// The bytes are not a model the engine can run (bad protobuf, inconsistent
    /// graph, failed type inference, ...). `reason` is tract's full error chain.
    #[error("invalid model: {reason}")]
    InvalidModel { reason: String },

    /// The graph uses an operator the engine does not implement.
    #[error("unsupported operator `{op}` (node `{node}`)")]
    UnsupportedOp { op: String, node: String },

    /// A model input or output has an element type Veris does not carry.
    #[error("tensor `{tensor}`: unsupported dtype {dtype} at the model boundary")]
    UnsupportedDType { tensor: String, dtype: String },

    /// The inputs do not match the model's input specs.
    #[error("invalid input: {0}")]
    Input(#[from] TensorError),

    /// tract refused to run on valid-looking inputs (e.g. shapes that clash
    /// inside the graph). `reason` is tract's full error chain.
    #[error("inference failed: {reason}")]
    Run { reason: String },

    /// tract panicked; the panic was caught and the process is unharmed.
    #[error("the engine panicked: {message}")]
    Panicked { message: String },

    /// The run did not finish within its deadline.
    #[error("inference did not finish within {after:?}")]
    Timeout { after: Duration },

    /// The worker thread of a deadline-bounded run could not be started.
    #[error("could not start a worker thread: {reason}")]
    Worker { reason: String },
}
