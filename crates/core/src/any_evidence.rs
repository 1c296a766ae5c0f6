//! Fraud evidence of any format this build reads, told apart by its
//! `format` field: `1` is evidence against a replicated job's statement
//! ([`crate::fraud::FraudEvidence`]), `2` against a plain `exact` receipt
//! ([`crate::receipt_fraud::ReceiptEvidence`]). Each keeps its own JSON
//! form and id, so evidence stored or gossiped before format 2 existed
//! decodes, verifies and keeps its id unchanged.

use serde::{Deserialize, Deserializer, Serialize};

use crate::digest::Digest32;
use crate::fraud::{
    EVIDENCE_FORMAT_VERSION, EvidenceError, FraudEvidence, MAX_EVIDENCE_BYTES, Verdict, verify_evidence,
};
use crate::id::ModelId;
use crate::receipt::EngineId;
use crate::receipt_fraud::{RECEIPT_EVIDENCE_FORMAT, ReceiptEvidence, verify_receipt_evidence};
use crate::tensor::{TensorLimits, TensorMap};

/// Fraud evidence against a job statement or against an exact receipt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AnyEvidence {
    Job(FraudEvidence),
    Receipt(ReceiptEvidence),
}

/// What both sides of any evidence are about, and the outputs they state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disputed {
    pub model: ModelId,
    pub engine: EngineId,
    pub input_digest: Digest32,
    /// The output the accused signed.
    pub accused_output: Digest32,
    /// The output the conflicting side signed.
    pub conflicting_output: Digest32,
}

#[derive(Deserialize)]
struct FormatOnly {
    format: u16,
}

impl AnyEvidence {
    /// The evidence id (each format's own).
    pub fn id(&self) -> Digest32 {
        match self {
            AnyEvidence::Job(e) => e.id(),
            AnyEvidence::Receipt(e) => e.id(),
        }
    }

    /// The evidence format version.
    pub fn format(&self) -> u16 {
        match self {
            AnyEvidence::Job(e) => e.format,
            AnyEvidence::Receipt(e) => e.format,
        }
    }

    /// The embedded inputs, if any.
    pub fn inputs(&self) -> Option<&TensorMap> {
        match self {
            AnyEvidence::Job(e) => e.inputs.as_ref(),
            AnyEvidence::Receipt(e) => e.inputs.as_ref(),
        }
    }

    /// The computation in dispute, read from the accused side (verification
    /// checks the conflicting side is about the same one).
    pub fn disputed(&self) -> Disputed {
        match self {
            AnyEvidence::Job(e) => Disputed {
                model: e.accused.statement.model,
                engine: e.accused.statement.engine.clone(),
                input_digest: e.accused.statement.input_digest,
                accused_output: e.accused.statement.output_digest,
                conflicting_output: e.conflicting.statement.output_digest,
            },
            AnyEvidence::Receipt(e) => Disputed {
                model: e.accused.model,
                engine: e.accused.engine.clone(),
                input_digest: e.accused.input_digest,
                accused_output: e.accused.output_digest,
                conflicting_output: e.conflicting.output_digest,
            },
        }
    }

    /// The JSON encoding (what is stored, gossiped and synced).
    pub fn encode(&self) -> Vec<u8> {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl From<FraudEvidence> for AnyEvidence {
    fn from(e: FraudEvidence) -> Self {
        AnyEvidence::Job(e)
    }
}

impl From<&FraudEvidence> for AnyEvidence {
    fn from(e: &FraudEvidence) -> Self {
        AnyEvidence::Job(e.clone())
    }
}

impl From<ReceiptEvidence> for AnyEvidence {
    fn from(e: ReceiptEvidence) -> Self {
        AnyEvidence::Receipt(e)
    }
}

impl From<&AnyEvidence> for AnyEvidence {
    fn from(e: &AnyEvidence) -> Self {
        e.clone()
    }
}

fn from_value(value: serde_json::Value) -> Result<AnyEvidence, EvidenceError> {
    let decode = |e: serde_json::Error| EvidenceError::Decode(e.to_string());
    let FormatOnly { format } = FormatOnly::deserialize(&value).map_err(decode)?;
    match format {
        EVIDENCE_FORMAT_VERSION => serde_json::from_value(value).map(AnyEvidence::Job).map_err(decode),
        RECEIPT_EVIDENCE_FORMAT => serde_json::from_value(value).map(AnyEvidence::Receipt).map_err(decode),
        got => Err(EvidenceError::Format { got }),
    }
}

impl<'de> Deserialize<'de> for AnyEvidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        from_value(value).map_err(serde::de::Error::custom)
    }
}

/// Decodes JSON evidence of any known format from at most
/// [`MAX_EVIDENCE_BYTES`] (not yet verified). An unknown format is
/// [`EvidenceError::Format`].
pub fn decode_any_evidence(bytes: &[u8]) -> Result<AnyEvidence, EvidenceError> {
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(EvidenceError::TooLarge {
            max: MAX_EVIDENCE_BYTES,
            got: bytes.len(),
        });
    }
    let FormatOnly { format } = serde_json::from_slice(bytes).map_err(|e| EvidenceError::Decode(e.to_string()))?;
    let decode = |e: serde_json::Error| EvidenceError::Decode(e.to_string());
    match format {
        EVIDENCE_FORMAT_VERSION => serde_json::from_slice(bytes).map(AnyEvidence::Job).map_err(decode),
        RECEIPT_EVIDENCE_FORMAT => serde_json::from_slice(bytes).map(AnyEvidence::Receipt).map_err(decode),
        got => Err(EvidenceError::Format { got }),
    }
}

/// Checks evidence of any known format offline and says what it proves.
pub fn verify_any_evidence(evidence: &AnyEvidence, limits: &TensorLimits) -> Result<Verdict, EvidenceError> {
    match evidence {
        AnyEvidence::Job(e) => verify_evidence(e, limits),
        AnyEvidence::Receipt(e) => verify_receipt_evidence(e, limits),
    }
}
