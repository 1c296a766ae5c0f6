//! Fraud evidence against plain `exact` receipts (evidence format 2).
//!
//! A plain receipt is signed under the EIP-712 `Receipt` type, not the
//! replicated `ReplicatedJob` type, so it needs its own evidence. The exact
//! engine is deterministic: every honest run of one compiled exact model
//! (model id, engine id and version) on one input gives the same output
//! bits. Two exact receipts about the **same computation** — equal receipt
//! format, mode `exact`, model, engine and input digest — with different
//! output digests therefore mean someone lied, whatever their nonces and
//! timestamps (which distinguish requests, not computations).
//!
//! [`ReceiptClaim`] is the signed part of a receipt: every field its
//! EIP-712 hash covers, and the signature, without the tensors (their
//! digests are what is signed). [`ReceiptEvidence`] carries the accused
//! claim, a conflicting claim, optionally the output digest the reporter
//! replayed and the inputs. [`verify_receipt_evidence`] gives the same
//! [`Verdict`]s as job evidence ([`crate::fraud`]): `equivocation` (one
//! operator signed both), `wrong_output` (the other claim is the reporter's
//! signed replay) or `disagreement` (no replay).

use serde::{Deserialize, Serialize};

use crate::digest::{Digest32, Nonce};
use crate::fraud::{EvidenceError, Verdict, check_inputs, evidence_id, verdict};
use crate::id::ModelId;
use crate::job::MAX_ENGINE_TEXT;
use crate::key::{Address, KeyError, Signature, recover};
use crate::receipt::{EngineId, Evidence, Mode, Operator, RECEIPT_FORMAT_VERSION, Receipt};
use crate::tensor::{TensorLimits, TensorMap};

/// The evidence format of [`ReceiptEvidence`].
pub const RECEIPT_EVIDENCE_FORMAT: u16 = 2;
/// Domain of [`ReceiptEvidence::id`].
const ID_DOMAIN: &[u8] = b"veris/fraud-evidence/v2";

/// A receipt without its tensors: what its operator signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptClaim {
    pub format: u16,
    pub mode: Mode,
    pub model: ModelId,
    pub engine: EngineId,
    pub input_digest: Digest32,
    pub output_digest: Digest32,
    pub operator: Operator,
    pub timestamp_ms: u64,
    pub nonce: Nonce,
    /// The operator's signature over the receipt's EIP-712 hash.
    pub signature: Signature,
}

/// Why a receipt claim is not a valid signed exact receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("unsupported receipt format version {got} (expected {RECEIPT_FORMAT_VERSION})")]
    Format { got: u16 },
    #[error("a `{got}` receipt is not deterministic evidence (only `exact` receipts are)")]
    Mode { got: &'static str },
    #[error("engine {field} is {len} bytes long (at most {MAX_ENGINE_TEXT})")]
    EngineText { field: &'static str, len: usize },
    #[error("operator public key is invalid: {0}")]
    Key(KeyError),
    #[error("operator public key belongs to {key_address}, the receipt names {address}")]
    OperatorMismatch { address: Address, key_address: Address },
    #[error("signature of {operator} is malformed: {reason}")]
    Signature { operator: Address, reason: KeyError },
    #[error("signature attributed to {operator} was made by {signer}")]
    WrongSigner { operator: Address, signer: Address },
}

impl ReceiptClaim {
    /// The signed part of `receipt` (any mode; [`ReceiptClaim::check`] wants `exact`).
    pub fn of(receipt: &Receipt) -> Self {
        ReceiptClaim {
            format: receipt.format,
            mode: receipt.mode,
            model: receipt.model,
            engine: receipt.engine.clone(),
            input_digest: receipt.input_digest,
            output_digest: receipt.output_digest,
            operator: receipt.operator,
            timestamp_ms: receipt.timestamp_ms,
            nonce: receipt.nonce,
            signature: *receipt.evidence.signature(),
        }
    }

    /// The receipt's EIP-712 hash (its id), which covers no tensor.
    pub fn signing_hash(&self) -> [u8; 32] {
        let receipt = Receipt {
            format: self.format,
            mode: self.mode,
            model: self.model,
            engine: self.engine.clone(),
            input_digest: self.input_digest,
            inputs: None,
            outputs: TensorMap::new(),
            output_digest: self.output_digest,
            operator: self.operator,
            timestamp_ms: self.timestamp_ms,
            nonce: self.nonce,
            evidence: Evidence::Signed {
                signature: self.signature,
            },
        };
        crate::eip712::receipt_hash(&receipt)
    }

    /// The receipt id.
    pub fn id(&self) -> Digest32 {
        Digest32(self.signing_hash())
    }

    /// The operator named (and, once [`ReceiptClaim::check`] passed, the signer).
    pub fn operator(&self) -> Address {
        self.operator.address
    }

    /// Whether `other` states a result of the same computation: equal
    /// format, mode, model, engine and input digest.
    pub fn same_computation(&self, other: &ReceiptClaim) -> bool {
        self.format == other.format
            && self.mode == other.mode
            && self.model == other.model
            && self.engine == other.engine
            && self.input_digest == other.input_digest
    }

    /// Checks the format, that the mode is `exact`, the engine strings'
    /// lengths, the operator's key against its address and the signature.
    pub fn check(&self) -> Result<(), ClaimError> {
        if self.format != RECEIPT_FORMAT_VERSION {
            return Err(ClaimError::Format { got: self.format });
        }
        if self.mode != Mode::Exact {
            return Err(ClaimError::Mode { got: self.mode.name() });
        }
        for (field, text) in [("id", &self.engine.id), ("version", &self.engine.version)] {
            if text.len() > MAX_ENGINE_TEXT {
                return Err(ClaimError::EngineText { field, len: text.len() });
            }
        }
        let address = self.operator.address;
        let key_address = self.operator.public_key.address().map_err(ClaimError::Key)?;
        if key_address != address {
            return Err(ClaimError::OperatorMismatch { address, key_address });
        }
        let signer = recover(&self.signing_hash(), &self.signature).map_err(|reason| ClaimError::Signature {
            operator: address,
            reason,
        })?;
        if signer != self.operator.public_key {
            let signer = signer.address().map_err(ClaimError::Key)?;
            return Err(ClaimError::WrongSigner {
                operator: address,
                signer,
            });
        }
        Ok(())
    }
}

/// Two conflicting signed exact receipts about one computation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptEvidence {
    /// Always [`RECEIPT_EVIDENCE_FORMAT`].
    pub format: u16,
    /// The receipt of the operator accused of lying.
    pub accused: ReceiptClaim,
    /// A receipt of the same computation with another output: by the
    /// accused itself (equivocation) or by another operator.
    pub conflicting: ReceiptClaim,
    /// The output digest the reporter got by running the computation itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_output_digest: Option<Digest32>,
    /// The inputs, so that anyone holding the model can replay it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<TensorMap>,
}

impl ReceiptEvidence {
    /// Evidence of format [`RECEIPT_EVIDENCE_FORMAT`].
    pub fn new(
        accused: ReceiptClaim,
        conflicting: ReceiptClaim,
        replayed: Option<Digest32>,
        inputs: Option<TensorMap>,
    ) -> Self {
        ReceiptEvidence {
            format: RECEIPT_EVIDENCE_FORMAT,
            accused,
            conflicting,
            replayed_output_digest: replayed,
            inputs,
        }
    }

    /// A stable id: keccak-256 of the domain, both receipts' hashes and
    /// signatures and the replayed digest (the inputs are bound already).
    pub fn id(&self) -> Digest32 {
        evidence_id(
            ID_DOMAIN,
            [
                (self.accused.signing_hash(), &self.accused.signature.0),
                (self.conflicting.signing_hash(), &self.conflicting.signature.0),
            ],
            self.replayed_output_digest,
        )
    }
}

/// Checks receipt evidence offline and says what it proves.
pub fn verify_receipt_evidence(evidence: &ReceiptEvidence, limits: &TensorLimits) -> Result<Verdict, EvidenceError> {
    if evidence.format != RECEIPT_EVIDENCE_FORMAT {
        return Err(EvidenceError::Format { got: evidence.format });
    }
    let (accused, other) = (&evidence.accused, &evidence.conflicting);
    accused.check().map_err(|source| EvidenceError::Receipt {
        which: "accused",
        source,
    })?;
    other.check().map_err(|source| EvidenceError::Receipt {
        which: "conflicting",
        source,
    })?;
    if !accused.same_computation(other) {
        return Err(EvidenceError::DifferentJobs);
    }
    if accused.output_digest == other.output_digest {
        return Err(EvidenceError::NoConflict);
    }
    check_inputs(evidence.inputs.as_ref(), accused.input_digest, limits)?;
    verdict(
        accused.operator(),
        other.operator(),
        other.output_digest,
        evidence.replayed_output_digest,
    )
}
