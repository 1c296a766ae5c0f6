//! The trace hook sees every op with the values the runner produced.

use veris_engine::exact::{Bits, ExactOp, IntTensor, TraceObserver};

use crate::common::*;

#[derive(Default)]
struct Recorder {
    inputs: Vec<(usize, String, IntTensor)>,
    ops: Vec<(usize, ExactOp, Vec<IntTensor>, IntTensor)>,
}

impl TraceObserver for Recorder {
    fn on_input(&mut self, index: usize, name: &str, value: &IntTensor) {
        self.inputs.push((index, name.to_string(), value.clone()));
    }

    fn on_op(&mut self, index: usize, op: &ExactOp, inputs: &[&IntTensor], output: &IntTensor) {
        self.ops.push((
            index,
            op.clone(),
            inputs.iter().map(|t| (*t).clone()).collect(),
            output.clone(),
        ));
    }
}

#[test]
fn trace_sees_every_op_and_the_outputs_it_returns() {
    let m = digits_exact(Bits::B8);
    let (_, input) = samples().remove(0);
    let mut rec = Recorder::default();
    let traced = m.run_traced(&input, &mut rec).unwrap();
    assert_eq!(traced, m.run(&input).unwrap());

    assert_eq!(rec.inputs.len(), 1);
    assert_eq!(rec.inputs[0].1, "input");
    assert_eq!(rec.ops.len(), m.ops().len());
    // Op i's operand is op i−1's output (the MLP is a chain).
    let mut previous = rec.inputs[0].2.clone();
    for (i, (index, op, inputs, output)) in rec.ops.iter().enumerate() {
        assert_eq!(*index, i);
        assert_eq!(op, &m.ops()[i]);
        assert_eq!(inputs, &[previous.clone()]);
        previous = output.clone();
    }
    let q = &traced.quantized["logits"];
    let veris_core::TensorData::Int8(v) = q.data() else {
        panic!()
    };
    assert_eq!(previous.shape, q.shape());
    assert_eq!(previous.data, v.iter().map(|&x| i64::from(x)).collect::<Vec<_>>());
}
