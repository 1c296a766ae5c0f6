//! Models v1 cannot prove are refused at setup with typed errors.

use veris_zk::infer::setup::{SetupError, setup};
use veris_zk::pcs::PcsParams;

use crate::support::*;

#[test]
fn sixteen_bit_models_are_not_yet_provable() {
    let bytes = std::fs::read(format!("{DIGITS_DIR}/digits-mlp.onnx")).unwrap();
    let calib = digit_samples()[0].clone();
    let model = veris_engine::exact::compile(
        &bytes,
        veris_core::ModelId::of_bytes(&bytes),
        &[calib],
        veris_engine::exact::Bits::B16,
    )
    .unwrap();
    let r = setup::<H>(&model, PcsParams::default());
    assert!(matches!(r, Err(SetupError::NotYetProvable(_))), "{r:?}");
}

#[test]
fn huge_accumulators_are_refused() {
    let mut b = ExactBuilder::default();
    b.op(Op::Linear {
        k: 2,
        n: 1,
        relu: false,
        weights: &[1, 1],
        bias: &[1 << 41],
        requant: &[(1 << 30, 60)],
    });
    let r = setup::<H>(&b.build(&[Some(1), Some(2)]), PcsParams::default());
    assert!(matches!(r, Err(SetupError::AccumulatorBound { op: 0, .. })), "{r:?}");
}

#[test]
fn reshapes_that_change_the_row_length_between_layers_are_not_yet_provable() {
    let mut b = ExactBuilder::default();
    let (w, bias, rq) = random_linear(&mut Rng(1), 4, 6);
    b.op(Op::Linear {
        k: 4,
        n: 6,
        relu: true,
        weights: &w,
        bias: &bias,
        requant: &rq,
    });
    b.op(Op::Reshape(&[2, 3]));
    let (w, bias, rq) = random_linear(&mut Rng(2), 3, 2);
    b.op(Op::Linear {
        k: 3,
        n: 2,
        relu: false,
        weights: &w,
        bias: &bias,
        requant: &rq,
    });
    let r = setup::<H>(&b.build(&[Some(1), Some(4)]), PcsParams::default());
    assert!(matches!(r, Err(SetupError::Circuit(_))), "{r:?}");
}

#[test]
fn pools_with_varying_counts_are_not_yet_provable() {
    // A padded 3×3 average pool that does not count the padding: the count varies at the border.
    let mut b = ExactBuilder::default();
    b.op(Op::AvgPool {
        window: crate::cnn_support::square(3, 1, 1),
        count_include_pad: false,
        requant: (1 << 30, 30),
    });
    let r = setup::<H>(&b.build(&[None, Some(1), Some(4), Some(4)]), PcsParams::default());
    assert!(matches!(r, Err(SetupError::NotYetProvable(_))), "{r:?}");
}
