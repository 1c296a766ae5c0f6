//! Node configuration: where it keeps its data and the limits it enforces
//! on everything that arrives from outside.

use std::path::PathBuf;
use std::time::Duration;

use veris_core::TensorLimits;

/// Bounds on requests, models and inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// Shapes, counts and sizes of input tensors.
    pub tensors: TensorLimits,
    /// Largest model file accepted on upload or load.
    pub max_model_bytes: u64,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Wall-clock limit of one inference.
    pub infer_timeout: Duration,
    /// Inferences running at once; more are refused with `busy` (503).
    pub max_concurrent_inferences: usize,
    /// Loaded models kept in memory (and as many zero-knowledge proving keys).
    pub model_cache_entries: usize,
    /// Zero-knowledge proofs waiting for a prover thread; more are refused
    /// with `busy` (503).
    pub max_queued_proofs: usize,
    /// Wall-clock limit of one zero-knowledge proof, queueing included.
    pub prove_timeout: Duration,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            tensors: TensorLimits::default(),
            max_model_bytes: 512 << 20,
            max_body_bytes: 64 << 20,
            infer_timeout: Duration::from_secs(30),
            max_concurrent_inferences: 64,
            model_cache_entries: 16,
            max_queued_proofs: 16,
            prove_timeout: Duration::from_secs(600),
        }
    }
}

/// The share of peers' published job statements a node replays, in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct AuditFraction(f64);

/// Why an audit fraction is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the audit fraction must be a number from 0 to 1, not {0}")]
pub struct AuditFractionError(pub f64);

impl AuditFraction {
    /// Audits nothing.
    pub const NONE: AuditFraction = AuditFraction(0.0);
    /// Audits every statement of a model the node holds.
    pub const ALL: AuditFraction = AuditFraction(1.0);

    pub fn new(fraction: f64) -> Result<AuditFraction, AuditFractionError> {
        if (0.0..=1.0).contains(&fraction) {
            Ok(AuditFraction(fraction))
        } else {
            Err(AuditFractionError(fraction))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

// Never NaN: `AuditFraction::new` refuses it.
impl Eq for AuditFraction {}

impl std::str::FromStr for AuditFraction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let f: f64 = s.parse().map_err(|e| format!("not a number: {e}"))?;
        AuditFraction::new(f).map_err(|e| e.to_string())
    }
}

/// How a node audits the job statements its peers publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditConfig {
    /// The share of statements (of models this node holds) replayed; 0 disables.
    pub fraction: AuditFraction,
    /// Seed of the sampling: a statement is audited when a keyed hash of its
    /// id falls under the fraction, so a seed fixes which ones (tests set it;
    /// `None` draws one at random when the node starts).
    pub seed: Option<u64>,
    /// Statements waiting for a replay, and their encoded bytes in all
    /// (a statement may carry megabytes of inputs); more are dropped (and
    /// counted).
    pub queue: usize,
    pub queue_bytes: usize,
    /// Statements remembered to catch an operator signing two outputs for one job.
    pub remembered: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            fraction: AuditFraction(0.05),
            seed: None,
            queue: 64,
            queue_bytes: 32 << 20,
            remembered: 4096,
        }
    }
}

/// Everything a node needs to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// The node's home: model blobs, metadata and the operator key.
    pub home: PathBuf,
    pub limits: NodeLimits,
    /// Auditing of the job statements peers publish ([`crate::audit`]).
    pub audit: AuditConfig,
    /// **For tests only**: perturb the outputs of every replicated job this
    /// node runs (before signing them), to play a lying operator.
    pub byzantine_outputs: bool,
    /// **For tests only**: hold every inference and replicated job this
    /// long (inside its concurrency slot, before the model runs), to play a
    /// slow operator that can be killed mid-request. Zero in production.
    pub execution_delay: Duration,
}

impl NodeConfig {
    /// A configuration with default limits.
    pub fn new(home: impl Into<PathBuf>) -> Self {
        NodeConfig {
            home: home.into(),
            limits: NodeLimits::default(),
            audit: AuditConfig::default(),
            byzantine_outputs: false,
            execution_delay: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_fractions_are_numbers_from_zero_to_one() {
        for (text, value) in [("0", 0.0), ("1", 1.0), ("0.05", 0.05), ("1e-3", 0.001)] {
            assert_eq!(text.parse::<AuditFraction>().map(AuditFraction::get), Ok(value));
        }
        for text in ["-0.1", "1.5", "NaN", "inf", "", "half"] {
            assert!(text.parse::<AuditFraction>().is_err(), "{text} accepted");
        }
        assert_eq!(AuditFraction::new(2.0), Err(AuditFractionError(2.0)));
    }
}
