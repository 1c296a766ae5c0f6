//! The trace hook: how an observer (the prover, dispute bisection) sees
//! every step of an integer run. The engine owns the trait and depends on
//! no observer.

use super::model::{ExactOp, IntTensor};

/// Receives the program's values as the runner computes them.
pub trait TraceObserver {
    /// Input `name` after quantization (value number `index`).
    fn on_input(&mut self, _index: usize, _name: &str, _value: &IntTensor) {}

    /// Op `index` of [`ExactModel::ops`](super::ExactModel::ops) ran on
    /// `inputs` (its operands, in [`ExactOp::operands`] order) and produced `output`.
    fn on_op(&mut self, index: usize, op: &ExactOp, inputs: &[&IntTensor], output: &IntTensor);
}

/// Observes nothing; what [`ExactModel::run`](super::ExactModel::run) uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl TraceObserver for NoTrace {
    fn on_op(&mut self, _: usize, _: &ExactOp, _: &[&IntTensor], _: &IntTensor) {}
}
