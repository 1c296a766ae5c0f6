//! Errors of the inference proof: statements that do not fit a key, and rejections.

use thiserror::Error;

use crate::error::{DecodeError, VerifyError};

/// Why a statement (or the circuit it induces) does not fit a verifying key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatementError {
    /// The statement names a different exact model than the key.
    #[error("the statement's model id differs from the verifying key's")]
    ModelMismatch,
    /// A tensor's shape does not fit the model (input spec, shape rules or the inferred output).
    #[error("{what}: {detail}")]
    Shape {
        /// Which tensor or op.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A value lies outside the model's activation range.
    #[error("{what}: value {value} at index {index} outside [{min}, {max}]")]
    ValueRange {
        /// Which tensor.
        what: &'static str,
        /// Flat index of the first offending value.
        index: usize,
        /// The value.
        value: i64,
        /// Lower bound.
        min: i64,
        /// Upper bound.
        max: i64,
    },
    /// The circuit is larger than the limits of the proof system.
    #[error("{what}: 2^{got} exceeds the limit 2^{max}")]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// log2 of its size.
        got: usize,
        /// log2 of the limit.
        max: usize,
    },
    /// The program has a structure this proof system does not handle yet.
    #[error("not yet provable: {0}")]
    NotYetProvable(String),
}

/// Why an inference proof was rejected. Every variant is a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InferVerifyError {
    /// The statement does not fit the verifying key.
    #[error("statement: {0}")]
    Statement(#[from] StatementError),
    /// The proof bytes are malformed.
    #[error("proof encoding: {0}")]
    Decode(#[from] DecodeError),
    /// A check of the protocol failed.
    #[error("proof check: {0}")]
    Check(#[from] VerifyError),
    /// The key was made for another hash function than the verifier's.
    #[error("verifying key made for hash {key}, verifier uses {verifier}")]
    HashMismatch {
        /// The key's hash name.
        key: String,
        /// The verifier's hash name.
        verifier: &'static str,
    },
}
