//! The error type of the exact engine.

use veris_core::TensorError;

/// Why a model could not be compiled, decoded or run exactly.
///
/// Variants name the op and node, the tensor, or the field that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExactError {
    /// The ONNX file is larger than the import limit.
    #[error("model of {size} bytes exceeds the limit of {limit} bytes")]
    ModelTooLarge { size: usize, limit: usize },

    /// The bytes are not an ONNX graph the importer understands.
    #[error("invalid model: {reason}")]
    InvalidModel { reason: String },

    /// The graph uses an operator the exact engine does not implement.
    #[error("unsupported operator `{op}` (node `{node}`) in the exact engine")]
    UnsupportedOp { op: String, node: String },

    /// A supported operator is used in a form the exact engine does not
    /// implement (an attribute value, a non-constant weight, ...).
    #[error("node `{node}`: {reason}")]
    Unsupported { node: String, reason: String },

    /// The calibration set is empty or does not fit the model.
    #[error("calibration: {reason}")]
    Calibration { reason: String },

    /// A quantization parameter falls outside the bounds the semantics
    /// allows (accumulator bound, multiplier range, ...).
    #[error("quantization of `{tensor}`: {reason}")]
    Quantization { tensor: String, reason: String },

    /// The inputs do not match the model's input specs.
    #[error("invalid input: {0}")]
    Input(#[from] TensorError),

    /// An index input holds a value outside the table it indexes: a valid
    /// index `i` satisfies `−size ≤ i < size` (negative counts from the end).
    #[error("input `{input}`: index {value} at position {position} is outside [-{size}, {size})")]
    IndexOutOfRange {
        input: String,
        position: usize,
        value: i64,
        size: usize,
    },

    /// Shapes met at run time that an op cannot accept.
    #[error("op {index} ({op}): {reason}")]
    Shape { index: usize, op: String, reason: String },

    /// A compiled-model encoding is malformed, non-canonical or over a limit.
    #[error("exact model encoding: {reason}")]
    Encoding { reason: String },
}
