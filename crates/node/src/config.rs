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

/// Everything a node needs to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// The node's home: model blobs, metadata and the operator key.
    pub home: PathBuf,
    pub limits: NodeLimits,
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
            byzantine_outputs: false,
            execution_delay: Duration::ZERO,
        }
    }
}
