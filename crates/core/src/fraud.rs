//! Fraud evidence: two conflicting signed statements about one replicated
//! job, checkable offline by anyone.
//!
//! The exact engine gives every honest operator the same bits, so two
//! signed [`JobStatement`]s about the same job (same job id, model, engine
//! and input digest) with different output digests mean someone lied.
//! [`FraudEvidence`] carries the accused operator's statement, a
//! conflicting one, and the output digest its reporter got by running the
//! job itself. [`verify_evidence`] decides what it proves ([`Verdict`]):
//!
//! - **equivocation** — both statements are signed by the accused: it
//!   stated two outputs for one job, so one of them is false. Conclusive.
//! - **wrong output** — the conflicting statement is signed by another
//!   operator (the reporter, having replayed the job), and its output digest
//!   is the replayed one. The reporter is accountable for its replay by its
//!   signature, and anyone holding the model can replay the job (with the
//!   embedded `inputs`) to see who lied.
//! - **disagreement** — as above, but nobody replayed it (the reporter did
//!   not hold the model): the accused was outvoted, which names it but does
//!   not prove it wrong until someone replays the job.
//!
//! Evidence is decoded from at most [`MAX_EVIDENCE_BYTES`]
//! ([`decode_evidence`]); its inputs, if present, are held to the caller's
//! tensor limits and must hash to the statements' input digest.

use serde::{Deserialize, Serialize};

use crate::digest::{Digest32, keccak256};
use crate::job::{JobError, SignedJob};
use crate::key::Address;
use crate::tensor::{TensorError, TensorLimits, TensorMap};
use crate::tensor_codec;

/// The evidence format this build writes and verifies.
pub const EVIDENCE_FORMAT_VERSION: u16 = 1;
/// Largest encoded evidence accepted (JSON, embedded inputs included).
pub const MAX_EVIDENCE_BYTES: usize = 16 << 20;
/// Domain of [`FraudEvidence::id`].
const EVIDENCE_ID_DOMAIN: &[u8] = b"veris/fraud-evidence/v1";

/// Two conflicting signed statements about one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FraudEvidence {
    pub format: u16,
    /// The statement of the operator accused of lying.
    pub accused: SignedJob,
    /// A statement about the same job with another output: by the accused
    /// itself (equivocation) or by another operator.
    pub conflicting: SignedJob,
    /// The output digest the reporter got by running the job itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_output_digest: Option<Digest32>,
    /// The job's inputs, so that anyone holding the model can replay it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<TensorMap>,
}

/// What valid evidence proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// `operator` signed two different outputs for one job.
    Equivocation { operator: Address },
    /// `operator`'s output differs from the one `witness` got by replaying the job.
    WrongOutput { operator: Address, witness: Address },
    /// `operator` disagreed with `witness`; nobody replayed the job.
    Disagreement { operator: Address, witness: Address },
}

impl Verdict {
    /// The operator the evidence is against.
    pub fn accused(&self) -> Address {
        match *self {
            Verdict::Equivocation { operator }
            | Verdict::WrongOutput { operator, .. }
            | Verdict::Disagreement { operator, .. } => operator,
        }
    }

    /// Whether the evidence proves a lie without a further replay.
    pub fn conclusive(&self) -> bool {
        !matches!(self, Verdict::Disagreement { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Equivocation { .. } => "equivocation",
            Verdict::WrongOutput { .. } => "wrong_output",
            Verdict::Disagreement { .. } => "disagreement",
        }
    }
}

/// Why fraud evidence proves nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvidenceError {
    #[error("evidence of {got} bytes exceeds the limit of {max}")]
    TooLarge { max: usize, got: usize },
    #[error("not fraud evidence: {0}")]
    Decode(String),
    #[error("unsupported evidence format version {got}")]
    Format { got: u16 },
    #[error("the {which} statement is invalid: {source}")]
    Statement { which: &'static str, source: JobError },
    #[error("the {which} receipt is invalid: {source}")]
    Receipt {
        which: &'static str,
        source: crate::receipt_fraud::ClaimError,
    },
    #[error("the two statements are about different jobs")]
    DifferentJobs,
    #[error("the two statements state the same output: no conflict")]
    NoConflict,
    #[error("the replayed output {replayed} is not the conflicting statement's {stated}")]
    ReplayMismatch { replayed: Digest32, stated: Digest32 },
    #[error("embedded inputs are out of limits: {0}")]
    Inputs(TensorError),
    #[error("embedded inputs hash to {got}, the statements say {stated}")]
    InputDigest { got: Digest32, stated: Digest32 },
}

impl FraudEvidence {
    /// Evidence of the current format.
    pub fn new(
        accused: SignedJob,
        conflicting: SignedJob,
        replayed: Option<Digest32>,
        inputs: Option<TensorMap>,
    ) -> Self {
        FraudEvidence {
            format: EVIDENCE_FORMAT_VERSION,
            accused,
            conflicting,
            replayed_output_digest: replayed,
            inputs,
        }
    }

    /// A stable id: a domain-separated keccak-256 of the two statements'
    /// hashes, their signatures and the replayed digest (not the inputs,
    /// which the statements bind already).
    pub fn id(&self) -> Digest32 {
        evidence_id(
            EVIDENCE_ID_DOMAIN,
            [
                (self.accused.statement.signing_hash(), &self.accused.signer.signature.0),
                (
                    self.conflicting.statement.signing_hash(),
                    &self.conflicting.signer.signature.0,
                ),
            ],
            self.replayed_output_digest,
        )
    }
}

/// The id of either evidence format: keccak-256 of its domain, each signed
/// message's hash and signature, and the replayed digest (tagged by presence).
pub(crate) fn evidence_id(domain: &[u8], signed: [([u8; 32], &[u8; 65]); 2], replayed: Option<Digest32>) -> Digest32 {
    let [(a_hash, a_sig), (b_hash, b_sig)] = signed;
    Digest32(keccak256(&[
        domain,
        &a_hash,
        a_sig,
        &b_hash,
        b_sig,
        &[u8::from(replayed.is_some())],
        &replayed.map(|d| d.0).unwrap_or([0; 32]),
    ]))
}

/// Embedded inputs, when present, must be within `limits` and hash to the
/// digest the accused signed.
pub(crate) fn check_inputs(
    inputs: Option<&TensorMap>,
    stated: Digest32,
    limits: &TensorLimits,
) -> Result<(), EvidenceError> {
    if let Some(inputs) = inputs {
        limits.check_map(inputs).map_err(EvidenceError::Inputs)?;
        let got = tensor_codec::digest(inputs);
        if got != stated {
            return Err(EvidenceError::InputDigest { got, stated });
        }
    }
    Ok(())
}

/// What two valid, conflicting signatures of one computation prove: the same
/// signer is equivocation; otherwise a replay that matches the witness's
/// output makes it a wrong output, and no replay a mere disagreement.
pub(crate) fn verdict(
    operator: Address,
    witness: Address,
    witness_output: Digest32,
    replayed: Option<Digest32>,
) -> Result<Verdict, EvidenceError> {
    if operator == witness {
        return Ok(Verdict::Equivocation { operator });
    }
    match replayed {
        Some(replayed) if replayed != witness_output => Err(EvidenceError::ReplayMismatch {
            replayed,
            stated: witness_output,
        }),
        Some(_) => Ok(Verdict::WrongOutput { operator, witness }),
        None => Ok(Verdict::Disagreement { operator, witness }),
    }
}

/// Decodes JSON evidence of at most [`MAX_EVIDENCE_BYTES`] (not yet verified).
pub fn decode_evidence(bytes: &[u8]) -> Result<FraudEvidence, EvidenceError> {
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(EvidenceError::TooLarge {
            max: MAX_EVIDENCE_BYTES,
            got: bytes.len(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| EvidenceError::Decode(e.to_string()))
}

/// Checks evidence offline and says what it proves.
pub fn verify_evidence(evidence: &FraudEvidence, limits: &TensorLimits) -> Result<Verdict, EvidenceError> {
    if evidence.format != EVIDENCE_FORMAT_VERSION {
        return Err(EvidenceError::Format { got: evidence.format });
    }
    let (accused, other) = (&evidence.accused, &evidence.conflicting);
    accused.check().map_err(|source| EvidenceError::Statement {
        which: "accused",
        source,
    })?;
    other.check().map_err(|source| EvidenceError::Statement {
        which: "conflicting",
        source,
    })?;
    if !accused.statement.same_job(&other.statement) {
        return Err(EvidenceError::DifferentJobs);
    }
    if accused.statement.output_digest == other.statement.output_digest {
        return Err(EvidenceError::NoConflict);
    }
    check_inputs(evidence.inputs.as_ref(), accused.statement.input_digest, limits)?;
    verdict(
        accused.operator(),
        other.operator(),
        other.statement.output_digest,
        evidence.replayed_output_digest,
    )
}
