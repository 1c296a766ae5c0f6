//! Where a proof's time goes: wall time per phase of
//! [`prove_witness_profiled`](super::prove::prove_witness_profiled), for
//! benchmarks. Phases of one kind (every conv's threshold lookup, say) add up.

use std::time::{Duration, Instant};

/// Wall time per phase, in the order the phases first ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProveProfile {
    /// `(phase, total time)`; phase names are fixed strings such as
    /// `"lookup: conv thresholds"` or `"opening: model"`.
    pub phases: Vec<(&'static str, Duration)>,
}

impl ProveProfile {
    /// Adds the time since `since` to `phase`; returns now (the next phase's start).
    pub(crate) fn lap(&mut self, phase: &'static str, since: Instant) -> Instant {
        let now = Instant::now();
        let spent = now - since;
        match self.phases.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, total)) => *total += spent,
            None => self.phases.push((phase, spent)),
        }
        now
    }

    /// The sum over all phases.
    pub fn total(&self) -> Duration {
        self.phases.iter().map(|(_, d)| *d).sum()
    }
}
