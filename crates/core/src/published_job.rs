//! A replicated job's signed statement as its operator publishes it on the
//! peer network (gossip topic `veris/jobs/1`), with the job's inputs so
//! that anyone holding the model can audit it.
//!
//! Publishing makes an operator's statements public: a node that holds the
//! model may replay a sampled fraction of them and, on a different output,
//! sign its own replay and publish [`crate::fraud::FraudEvidence`]
//! (`wrong_output`); a node that sees two statements of one operator about
//! one job with different outputs publishes `equivocation` evidence.
//!
//! [`decode_published_job`] accepts at most a caller-given number of bytes
//! of JSON and checks everything that can be checked offline: the
//! statement's format and signature, the inputs against the caller's tensor
//! limits, and that the inputs hash to the statement's input digest.

use serde::{Deserialize, Serialize};

use crate::digest::Digest32;
use crate::job::{JobError, SignedJob};
use crate::tensor::{TensorError, TensorLimits, TensorMap};
use crate::tensor_codec;

/// One operator's signed statement about one job, and the job's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedJob {
    pub statement: SignedJob,
    /// The inputs the statement's input digest binds.
    pub inputs: TensorMap,
}

/// Why bytes are not a valid published job statement.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PublishedJobError {
    #[error("published job of {got} bytes exceeds the limit of {max}")]
    TooLarge { max: usize, got: usize },
    #[error("not a published job: {0}")]
    Decode(String),
    #[error("invalid statement: {0}")]
    Statement(#[from] JobError),
    #[error("inputs out of limits: {0}")]
    Inputs(#[from] TensorError),
    #[error("inputs hash to {got}, the statement says {stated}")]
    InputDigest { got: Digest32, stated: Digest32 },
}

impl PublishedJobError {
    /// Whether the bytes were refused for their size alone.
    pub fn is_oversized(&self) -> bool {
        matches!(self, PublishedJobError::TooLarge { .. })
    }

    /// Whether the bytes decoded but prove nothing (bad signature or inputs),
    /// as opposed to not decoding at all.
    pub fn is_invalid_content(&self) -> bool {
        !matches!(self, PublishedJobError::TooLarge { .. } | PublishedJobError::Decode(_))
    }
}

impl PublishedJob {
    /// Checks the statement's signature, the inputs' limits and digest.
    pub fn check(&self, limits: &TensorLimits) -> Result<(), PublishedJobError> {
        self.statement.check()?;
        limits.check_map(&self.inputs)?;
        let got = tensor_codec::digest(&self.inputs);
        let stated = self.statement.statement.input_digest;
        if got != stated {
            return Err(PublishedJobError::InputDigest { got, stated });
        }
        Ok(())
    }

    /// The JSON encoding published on gossip.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Decodes at most `max_bytes` of JSON and checks it ([`PublishedJob::check`]).
pub fn decode_published_job(
    bytes: &[u8],
    max_bytes: usize,
    limits: &TensorLimits,
) -> Result<PublishedJob, PublishedJobError> {
    if bytes.len() > max_bytes {
        return Err(PublishedJobError::TooLarge {
            max: max_bytes,
            got: bytes.len(),
        });
    }
    let job: PublishedJob = serde_json::from_slice(bytes).map_err(|e| PublishedJobError::Decode(e.to_string()))?;
    job.check(limits)?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobStatement;
    use crate::{EngineId, ModelId, Nonce, OperatorKey, Tensor, TensorData};

    fn published(key: &OperatorKey) -> PublishedJob {
        let mut inputs = TensorMap::new();
        let t = Tensor::new("x", vec![2], TensorData::Int64(vec![1, 2])).unwrap();
        inputs.insert("x".into(), t);
        let statement = JobStatement::new(
            Nonce([9; 32]),
            ModelId::of_bytes(b"m"),
            EngineId {
                id: "veris-exact".into(),
                version: "1".into(),
            },
            tensor_codec::digest(&inputs),
            Digest32([4; 32]),
        );
        PublishedJob {
            statement: SignedJob::sign(statement, key),
            inputs,
        }
    }

    #[test]
    fn round_trips_and_refuses_forgeries_and_oversized_bytes() {
        let key = OperatorKey::from_secret_bytes(&[3; 32]).unwrap();
        let job = published(&key);
        let bytes = job.encode();
        let limits = TensorLimits::default();
        assert_eq!(decode_published_job(&bytes, 1 << 20, &limits).unwrap(), job);
        assert!(
            decode_published_job(&bytes, bytes.len() - 1, &limits)
                .unwrap_err()
                .is_oversized()
        );
        assert!(matches!(
            decode_published_job(b"{}", 1 << 20, &limits),
            Err(PublishedJobError::Decode(_))
        ));

        let mut forged = job.clone();
        forged.statement.statement.output_digest = Digest32([5; 32]);
        let err = decode_published_job(&forged.encode(), 1 << 20, &limits).unwrap_err();
        assert!(matches!(err, PublishedJobError::Statement(_)), "{err}");

        let mut other_inputs = job;
        let t = Tensor::new("x", vec![2], TensorData::Int64(vec![1, 3])).unwrap();
        other_inputs.inputs.insert("x".into(), t);
        let err = decode_published_job(&other_inputs.encode(), 1 << 20, &limits).unwrap_err();
        assert!(matches!(err, PublishedJobError::InputDigest { .. }), "{err}");
        assert!(err.is_invalid_content());
    }
}
