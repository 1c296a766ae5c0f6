//! The node's error type, with a stable machine-readable code and an HTTP
//! status for each kind of failure.

use veris_core::{TensorError, receipt_codec::DecodeError};
use veris_engine::EngineError;
use veris_engine::exact::ExactError;
use veris_store::StoreError;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the model cannot be loaded by the float engine: {0}")]
    InvalidModel(EngineError),
    #[error("{0}")]
    Engine(EngineError),
    #[error("exact engine: {0}")]
    Exact(ExactError),
    #[error("invalid inputs: {0}")]
    Input(#[from] TensorError),
    #[error("invalid request: {0}")]
    BadRequest(String),
    #[error("request body of more than {limit} bytes refused")]
    TooLarge { limit: u64 },
    #[error("the node is busy ({limit} inferences running); retry later")]
    Busy { limit: usize },
    #[error("invalid receipt: {0}")]
    Receipt(#[from] DecodeError),
    #[error("the model cannot be proved yet: {0}")]
    NotProvable(String),
    #[error("the proving queue is full ({capacity} proofs waiting); retry later")]
    ProofQueueFull { capacity: usize },
    #[error("no proof within {seconds} s")]
    ProofTimeout { seconds: u64 },
    #[error("peer network: {0}")]
    Peers(String),
    #[error("no quorum: {0}")]
    NoQuorum(String),
    #[error("the peer network is disabled on this node (started with --no-p2p)")]
    P2pDisabled,
    #[error("the serving peer refused the request ({code}): {message}")]
    Forwarded { code: &'static str, message: String },
    #[error("the node could not {action}: {reason}")]
    Internal { action: &'static str, reason: String },
}

impl NodeError {
    /// A stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::Store(e) => match e {
                StoreError::NotFound { .. } => "model_not_found",
                StoreError::VersionExists { .. } | StoreError::VersionOverflow { .. } => "version_conflict",
                StoreError::InvalidName { .. }
                | StoreError::InvalidRef(_)
                | StoreError::InvalidId(_)
                | StoreError::VersionRequired { .. } => "invalid_reference",
                StoreError::TooLarge { .. } => "model_too_large",
                StoreError::InvalidModel { .. } => "invalid_model",
                StoreError::Corrupt { .. } | StoreError::BlobMissing { .. } => "model_corrupt",
                StoreError::Locked { .. } => "home_locked",
                _ => "storage_error",
            },
            NodeError::InvalidModel(EngineError::ModelTooLarge { .. }) => "model_too_large",
            NodeError::InvalidModel(_) => "invalid_model",
            NodeError::Engine(EngineError::Input(_)) | NodeError::Input(_) => "invalid_input",
            NodeError::Engine(EngineError::Timeout { .. }) => "inference_timeout",
            NodeError::Engine(_) => "inference_failed",
            NodeError::Exact(e) => match e {
                ExactError::Input(_) | ExactError::IndexOutOfRange { .. } => "invalid_input",
                ExactError::Calibration { .. } => "invalid_calibration",
                ExactError::UnsupportedOp { .. } | ExactError::Unsupported { .. } => "unsupported_op",
                ExactError::Quantization { .. } => "quantization_failed",
                ExactError::ModelTooLarge { .. } => "model_too_large",
                ExactError::InvalidModel { .. } | ExactError::Encoding { .. } => "invalid_model",
                _ => "inference_failed",
            },
            NodeError::BadRequest(_) => "bad_request",
            NodeError::TooLarge { .. } => "payload_too_large",
            NodeError::Busy { .. } => "busy",
            NodeError::Receipt(_) => "invalid_receipt",
            NodeError::NotProvable(_) => "not_provable",
            NodeError::ProofQueueFull { .. } => "busy",
            NodeError::ProofTimeout { .. } => "proof_timeout",
            NodeError::P2pDisabled => "p2p_disabled",
            NodeError::Peers(_) => "peer_unavailable",
            NodeError::Forwarded { code, .. } => code,
            NodeError::NoQuorum(_) => "no_quorum",
            NodeError::Internal { .. } => "internal",
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self.code() {
            "model_not_found" => 404,
            "version_conflict" | "home_locked" => 409,
            "payload_too_large" | "model_too_large" => 413,
            "invalid_model"
            | "invalid_input"
            | "inference_failed"
            | "invalid_calibration"
            | "unsupported_op"
            | "quantization_failed"
            | "not_provable" => 422,
            "inference_timeout" | "proof_timeout" => 504,
            "busy" | "p2p_disabled" => 503,
            "peer_unavailable" | "no_quorum" => 502,
            "bad_request" | "invalid_reference" | "invalid_receipt" => 400,
            _ => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_out_of_range_index_is_the_callers_fault() {
        let error = NodeError::Exact(ExactError::IndexOutOfRange {
            input: "input_ids".into(),
            position: 3,
            value: 50_000,
            size: 30_522,
        });
        assert_eq!(error.code(), "invalid_input");
        assert_eq!(error.status(), 422);
    }

    #[test]
    fn a_corrupt_encoding_stays_an_invalid_model() {
        let error = NodeError::Exact(ExactError::Encoding { reason: "x".into() });
        assert_eq!(error.code(), "invalid_model");
    }
}
