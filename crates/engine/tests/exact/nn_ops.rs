//! The transformer ops on their fixtures (`tests/fixtures/transformer_fixtures.py`):
//! the float reference against tract, the exact result against the float
//! reference in output quantization steps, GELU fusion and deterministic
//! tables.
//!
//! Accepted deviation of the dequantized exact output from the float
//! reference (max over the test inputs, in steps of the output scale):
//! 8-bit ≤ 3 steps, 16-bit ≤ 4 steps, except where a test states otherwise.

use veris_core::{ModelId, TensorData};
use veris_engine::exact::{Bits, ExactOp, compile, import, ir::IrOp};

use crate::common::{Rng, fixture};
use crate::nn_support::*;

const FIXTURES: [&str; 7] = [
    "exact-pointwise.onnx",
    "exact-softmax.onnx",
    "exact-softmax-legacy.onnx",
    "exact-layernorm.onnx",
    "exact-reduce.onnx",
    "exact-reduce-13.onnx",
    "exact-matmul.onnx",
];

fn tolerance(bits: Bits) -> f32 {
    match bits {
        Bits::B8 => 3.0,
        Bits::B16 => 4.0,
    }
}

#[test]
fn float_reference_matches_tract() {
    let mut rng = Rng::new(5);
    for name in FIXTURES {
        let bytes = fixture(name);
        let specs = import(&bytes).unwrap().inputs;
        for dims in [[("N", 3), ("seq", 5)], [("N", 1), ("seq", 1)]] {
            let inputs = random_inputs(&specs, &dims, 1, &mut rng);
            let diff = reference_vs_tract(&bytes, &inputs);
            println!("{name} {dims:?}: max |reference − tract| = {diff:.2e}");
            assert!(diff < 1e-4, "{name}: {diff}");
        }
    }
}

#[test]
fn exact_outputs_track_the_float_reference() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let specs = import(&bytes).unwrap().inputs;
        for bits in [Bits::B8, Bits::B16] {
            let model = compile_fixture(name, bits);
            let mut rng = Rng::new(99);
            for dims in [[("N", 4), ("seq", 7)], [("N", 1), ("seq", 1)]] {
                let inputs = random_inputs(&specs, &dims, 1, &mut rng);
                for (out, (max, steps)) in deviation(&model, &bytes, &inputs) {
                    println!("{name} {bits:?} {dims:?} {out}: max |exact − float| = {max:.3e} ({steps:.2} steps)");
                    assert!(steps <= tolerance(bits), "{name} {bits:?} {out}: {steps} steps");
                }
            }
        }
    }
}

#[test]
fn new_ops_compile_to_the_expected_programs() {
    let names = |name: &str| -> Vec<&'static str> {
        compile_fixture(name, Bits::B8)
            .ops()
            .iter()
            .map(ExactOp::name)
            .collect()
    };
    assert_eq!(
        names("exact-pointwise.onnx"),
        ["Linear", "Lut", "Lut", "Lut", "Lut", "Lut", "Lut", "Lut", "Lut"]
    );
    assert_eq!(names("exact-softmax.onnx"), ["Linear", "Softmax", "Softmax"]);
    assert_eq!(
        names("exact-layernorm.onnx"),
        ["Linear", "LayerNorm", "LayerNorm", "LayerNorm"]
    );
    assert_eq!(
        names("exact-reduce.onnx"),
        ["Linear", "ReduceMean", "ReduceMean", "ReduceSum", "ReduceSum"]
    );
    assert_eq!(names("exact-matmul.onnx"), ["Linear", "Linear", "MatMul", "MatMul"]);
}

#[test]
fn gelu_forms_fuse_into_one_table() {
    let graph = import(&fixture("exact-pointwise.onnx")).unwrap();
    let ops: Vec<&IrOp> = graph.nodes.iter().map(|n| &n.op).collect();
    // MatMul, Add, 5 pointwise ops, and one Gelu per exporter form.
    assert_eq!(ops.len(), 10, "{ops:?}");
    assert_eq!(ops.iter().filter(|o| o.name() == "Gelu").count(), 5);
    for bits in [Bits::B8, Bits::B16] {
        let model = compile_fixture("exact-pointwise.onnx", bits);
        let mut rng = Rng::new(7);
        let inputs = random_inputs(&model.input_specs(), &[("N", 5)], 1, &mut rng);
        let out = model.run(&inputs).unwrap().quantized;
        for form in ["gelu_a", "gelu_b", "gelu_c"] {
            assert_eq!(out[form].data(), out["gelu"].data(), "{bits:?} {form}");
        }
    }
}

#[test]
fn compiling_twice_gives_the_same_id() {
    for name in ["exact-pointwise.onnx", "exact-softmax.onnx", "exact-layernorm.onnx"] {
        for bits in [Bits::B8, Bits::B16] {
            let a = compile_fixture(name, bits);
            let b = compile_fixture(name, bits);
            assert_eq!(a.id(), b.id(), "{name} {bits:?}");
            assert_eq!(a.encode(), b.encode());
        }
    }
}

#[test]
fn reductions_follow_the_runtime_sequence_length() {
    let bytes = fixture("exact-reduce.onnx");
    let specs = import(&bytes).unwrap().inputs;
    // Calibrated at seq = 3 only, run at 1, 2 and 9.
    let calib = calibration(&specs, &[("N", 16), ("seq", 3)], 1, 4, 3);
    let model = compile(&bytes, ModelId::of_bytes(&bytes), &calib, Bits::B16).unwrap();
    let mut rng = Rng::new(11);
    for seq in [1, 2, 9] {
        let inputs = random_inputs(&specs, &[("N", 2), ("seq", seq)], 1, &mut rng);
        let out = model.run(&inputs).unwrap();
        assert_eq!(out.quantized["mean_seq"].shape(), [2, 6]);
        assert_eq!(out.quantized["mean_last"].shape(), [2, seq, 1]);
        assert!(matches!(out.quantized["sum_all"].data(), TensorData::Int32(v) if v.len() == 1));
        for (name, (_, steps)) in deviation(&model, &bytes, &inputs) {
            // A sum over 9 rows can exceed the range calibrated on 3.
            let saturating = name.starts_with("sum") && seq > 3;
            assert!(
                saturating || steps <= tolerance(Bits::B16),
                "seq {seq} {name}: {steps} steps"
            );
        }
    }
}
