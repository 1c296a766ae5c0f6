//! Explicit bounds on what the engine accepts from outside.

use std::time::Duration;

/// Limits applied to untrusted models and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineLimits {
    /// Largest model file accepted by [`FloatModel::load_with_limits`](crate::FloatModel::load_with_limits).
    pub max_model_bytes: usize,
    /// Deadline a caller should give each run, e.g. with
    /// [`run_with_deadline`](crate::run_with_deadline). The engine does not
    /// enforce it on [`FloatModel::run`](crate::FloatModel::run), which is synchronous.
    pub timeout: Duration,
}

impl EngineLimits {
    /// 512 MiB.
    pub const DEFAULT_MAX_MODEL_BYTES: usize = 512 << 20;
    /// 30 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            max_model_bytes: Self::DEFAULT_MAX_MODEL_BYTES,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}
