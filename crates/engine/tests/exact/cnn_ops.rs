//! Every CNN/general op fixture: float reference vs tract, exact vs float
//! reference (int8 and int16), and the shape of the compiled program
//! (fusions happened, constants folded).

use veris_core::tensor_codec;
use veris_engine::exact::{Bits, ExactOp};

use crate::cnn_support::*;
use crate::common::Rng;

/// Fixtures and their tolerances: max |exact dequantized − float| in output
/// quantization steps (int8, int16). Rounding alone gives 0.5 steps for a
/// layout op or a pool and about 1 for a requantized layer (its input was
/// rounded too); a chain adds up a little, and so does an output whose step
/// is fine compared with its inputs' (Relu6 after a Conv; an Add whose sum
/// has a smaller range than its operands). Calibration covers the test
/// inputs, so no value saturates.
const FIXTURES: [(&str, f64, f64); 8] = [
    ("exact-conv.onnx", 3.0, 3.0),
    ("exact-batchnorm.onnx", 2.5, 2.0),
    ("exact-pool.onnx", 1.0, 1.0),
    ("exact-elementwise.onnx", 2.0, 2.0),
    ("exact-layout.onnx", 1.0, 1.0),
    ("exact-shape-fold.onnx", 2.0, 3.0),
    ("exact-small-resnet.onnx", 3.0, 3.0),
    ("exact-shape-fold-dynamic.onnx", 2.0, 3.0),
];

#[test]
fn float_reference_matches_tract_on_every_fixture() {
    for (name, ..) in FIXTURES {
        let worst = float_reference_matches_tract(name);
        println!("{name}: float reference vs tract, max relative diff {worst:e}");
    }
}

#[test]
fn conv_variants() {
    let (name, s8, s16) = FIXTURES[0];
    let m = check_exact(name, s8, s16);
    // Relu, BatchNormalization + Relu, the Add/Mul/Sub tail and Relu6 all fuse.
    assert_eq!(op_names(&m), ["Conv"; 8]);
    let convs: Vec<_> = m
        .ops()
        .iter()
        .map(|op| match op {
            ExactOp::Conv(c) => c,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(convs[0].relu && convs[2].relu && !convs[1].relu);
    assert_eq!(convs[0].window.pads, [1, 0, 2, 1]);
    assert_eq!((convs[1].group, convs[1].window.dilations), (2, [2, 2]));
    assert_eq!(convs[2].group, 4);
    // SAME_UPPER, 9 → 5 with kernel 4, stride 2: total pad 3, odd unit at the end.
    assert_eq!(convs[3].window.pads, [1, 1, 2, 2]);
    // SAME_LOWER, kernel 2, stride 1: total pad 1, at the beginning.
    assert_eq!(convs[4].window.pads, [1, 1, 0, 0]);
    // Clip [0, 6]: the relu flag, and the Clip output's scale (≤ 6 / 127),
    // though the Conv output itself reaches beyond 6.
    assert!(convs[7].relu);
    let relu6 = m.outputs().iter().find(|o| o.name == "out_relu6").unwrap();
    assert!(relu6.scale <= 6.0 / 127.0, "{}", relu6.scale);
}

#[test]
fn batch_norm_folds_or_becomes_a_depthwise_conv() {
    let (name, s8, s16) = FIXTURES[1];
    let m = check_exact(name, s8, s16);
    // Standalone BN (rank 4): a depthwise 1×1 Conv. After the Gemm it folds.
    // After a Conv whose output has two readers it stays a (1×1 depthwise) Conv.
    assert_eq!(op_names(&m), ["Conv", "Flatten", "Linear", "Conv", "Conv", "Add"]);
    let ExactOp::Conv(bn) = &m.ops()[0] else { panic!() };
    assert_eq!((bn.group, bn.c_in, bn.window.kernel), (3, 3, [1, 1]));
}

#[test]
fn pooling() {
    let (name, s8, s16) = FIXTURES[2];
    let m = check_exact(name, s8, s16);
    assert_eq!(
        op_names(&m),
        [
            "MaxPool",
            "MaxPool",
            "MaxPool",
            "AveragePool",
            "AveragePool",
            "AveragePool",
            "AveragePool",
            "AveragePool",
            "GlobalAveragePool"
        ]
    );
}

#[test]
fn elementwise_with_broadcasting() {
    let (name, s8, s16) = FIXTURES[3];
    let m = check_exact(name, s8, s16);
    assert_eq!(
        op_names(&m),
        [
            "Sub",
            "Sub",
            "Mul",
            "Mul",
            "Mul",
            "Mul",
            "LeakyRelu",
            "Clip",
            "Clip",
            "Mul",
            "Clip"
        ]
    );
}

#[test]
fn layout_ops() {
    let (name, s8, s16) = FIXTURES[4];
    let m = check_exact(name, s8, s16);
    assert_eq!(
        op_names(&m),
        [
            "Transpose",
            "Mul",
            "Concat",
            "Slice",
            "Unsqueeze",
            "Squeeze",
            "Gather",
            "Gather"
        ]
    );
}

#[test]
fn shape_arithmetic_and_constant_weights_fold() {
    let (name, s8, s16) = FIXTURES[5];
    let m = check_exact(name, s8, s16);
    // Shape → Gather → Unsqueeze → Concat became the constant target [2, -1];
    // Transpose and Mul of the weight folded into the MatMul's constant.
    assert_eq!(op_names(&m), ["Conv", "Reshape", "Linear"]);
    let ExactOp::Reshape { shape, .. } = &m.ops()[1] else {
        panic!()
    };
    assert_eq!(shape, &[2, -1]);
}

#[test]
fn shape_arithmetic_with_a_dynamic_batch_folds_to_copy_and_infer() {
    let (name, s8, s16) = FIXTURES[7];
    let m = check_exact(name, s8, s16);
    assert_eq!(op_names(&m), ["Conv", "Reshape", "Linear", "Reshape"]);
    let targets: Vec<&[i64]> = m
        .ops()
        .iter()
        .filter_map(|op| match op {
            ExactOp::Reshape { shape, .. } => Some(shape.as_slice()),
            _ => None,
        })
        .collect();
    // The batch entry (symbolic `N`) becomes `0`: copy the input's dimension.
    assert_eq!(targets, [&[0, -1][..], &[0, 48][..]]);
    // Any batch size runs.
    for batch in [1, 3] {
        let x = veris_core::Tensor::new(
            "x",
            vec![batch, 2, 4, 4],
            veris_core::TensorData::Float32(vec![0.5; batch * 32]),
        );
        let out = m
            .run(&veris_core::TensorMap::from([("x".to_string(), x.unwrap())]))
            .unwrap();
        assert_eq!(out.quantized["out"].shape(), [batch, 5]);
        assert_eq!(out.quantized["out_flat"].shape(), [batch, 48]);
    }
}

#[test]
fn small_resnet() {
    let (name, s8, s16) = FIXTURES[6];
    let m = check_exact(name, s8, s16);
    assert_eq!(
        op_names(&m),
        [
            "Conv",
            "Conv",
            "Conv",
            "Add",
            "MaxPool",
            "Conv",
            "GlobalAveragePool",
            "Flatten",
            "Linear"
        ]
    );
}

#[test]
fn repeated_runs_give_identical_bytes() {
    for (name, ..) in FIXTURES {
        for bits in [Bits::B8, Bits::B16] {
            let m = compile_fixture(name, bits);
            let recompiled = compile_fixture(name, bits);
            assert_eq!(m.id(), recompiled.id(), "{name}: compilation is deterministic");
            let inputs = random_inputs(&m.input_specs(), &mut Rng::new(3));
            let first = tensor_codec::encode(&m.run(&inputs).unwrap().quantized);
            for _ in 0..2 {
                assert_eq!(
                    tensor_codec::encode(&m.run(&inputs).unwrap().quantized),
                    first,
                    "{name}"
                );
            }
        }
    }
}
