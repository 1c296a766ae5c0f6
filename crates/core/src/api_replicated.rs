//! HTTP bodies of replicated execution: `POST /v1/infer` with
//! `"mode": "replicated"` and `GET /v1/evidence`. See the README.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::any_evidence::AnyEvidence;
use crate::digest::Digest32;
use crate::fraud::Verdict;
use crate::id::ModelId;
use crate::key::Address;
use crate::replicated::{ReplicatedMode, ReplicatedReceipt};
use crate::tensor::TensorMap;

/// Operators asked by default.
pub const DEFAULT_K: u16 = 3;
/// Most operators one job may be sent to.
pub const MAX_K: u16 = 16;

fn yes() -> bool {
    true
}

fn default_k() -> u16 {
    DEFAULT_K
}

/// `POST /v1/infer` with `"mode": "replicated"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicatedInferRequest {
    /// A model id, or a name this node's hub resolves, of a compiled exact model.
    pub model: String,
    /// Named tensors, or a bare nested array for a single-input model held here.
    pub inputs: Value,
    pub mode: ReplicatedMode,
    /// Distinct operators to run the job (this node counts if it holds the model).
    #[serde(default = "default_k")]
    pub k: u16,
    /// Operators that must agree bit for bit; default a majority of `k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<u16>,
    /// Whether the receipt embeds the inputs (their digest is always there).
    #[serde(default = "yes")]
    pub embed_inputs: bool,
}

impl ReplicatedInferRequest {
    /// The quorum asked for, or a majority of `k`.
    pub fn quorum(&self) -> u16 {
        self.quorum.unwrap_or(self.k / 2 + 1)
    }
}

/// How one operator's part of a replicated job went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// Its signed output is the certified one.
    Agreed,
    /// It signed another output (fraud evidence was recorded).
    Dissented,
    /// It did not answer with a valid signed statement in time.
    Failed,
}

impl OutcomeStatus {
    /// The name used in JSON and text output.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeStatus::Agreed => "agreed",
            OutcomeStatus::Dissented => "dissented",
            OutcomeStatus::Failed => "failed",
        }
    }
}

/// One operator's part of a replicated job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutcome {
    pub operator: Address,
    pub status: OutcomeStatus,
    pub detail: String,
}

/// Fraud evidence recorded by a job, in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSummary {
    pub id: Digest32,
    pub verdict: Verdict,
}

/// Response of a replicated `POST /v1/infer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicatedInferResponse {
    pub model: ModelId,
    pub outputs: TensorMap,
    pub receipt_id: Digest32,
    pub receipt: ReplicatedReceipt,
    pub outcomes: Vec<JobOutcome>,
    pub evidence: Vec<EvidenceSummary>,
}

/// One stored piece of evidence, as `GET /v1/evidence` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub id: Digest32,
    pub verdict: Verdict,
    pub evidence: AnyEvidence,
}

/// Response of `GET /v1/evidence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceList {
    pub evidence: Vec<EvidenceRecord>,
}
