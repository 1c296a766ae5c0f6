//! Honest proofs verify: the digits MLP on real samples and on a batch, and
//! seeded random MLPs covering every supported op and requantizer regime.

use proptest::prelude::*;
use veris_core::TensorData;
use veris_engine::exact::ExactModel;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::setup;
use veris_zk::infer::{Proof, Statement, VerifyingKey, VkLimits, verify, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::support::*;

fn int8_data(t: &veris_core::Tensor) -> Vec<i64> {
    let TensorData::Int8(v) = t.data() else {
        panic!("int8 output expected")
    };
    v.iter().map(|&x| i64::from(x)).collect()
}

#[test]
fn digits_samples_prove_and_verify() {
    let (pk, vk) = digits_keys();
    for input in digit_samples().iter().take(4) {
        let proved = prove(pk, digits(), input).expect("prove");
        let engine = digits().run(input).expect("run");
        assert_eq!(proved.outputs, engine);
        assert_eq!(proved.statement.output.data, int8_data(&engine.quantized["logits"]));
        let bytes = proved.proof.encode();
        verify_bytes::<H>(vk, &proved.statement, &bytes).expect("honest proof verifies");
        let decoded = Proof::decode(&bytes, vk, &proved.statement).expect("decode");
        assert_eq!(decoded, proved.proof);
        assert_eq!(decoded.encode(), bytes);
    }
}

#[test]
fn digits_batch_with_padded_rows_verifies() {
    let (pk, vk) = digits_keys();
    let samples = digit_samples();
    let mut data = Vec::new();
    for s in samples.iter().take(3) {
        let TensorData::Float32(v) = s["input"].data() else {
            panic!()
        };
        data.extend_from_slice(v);
    }
    let input = float_input("input", vec![3, 64], data);
    let proved = prove(pk, digits(), &input).expect("prove a batch of 3");
    assert_eq!(proved.statement.output.shape, vec![3, 10]);
    verify::<H>(vk, &proved.statement, &proved.proof).expect("batch proof verifies");
}

#[test]
fn verifying_key_round_trips_and_still_verifies() {
    let (_, vk) = digits_keys();
    let bytes = vk.encode();
    let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("decode key");
    assert_eq!(&decoded, vk);
    assert_eq!(decoded.encode(), bytes);
    let (statement, proof) = digits_proof();
    verify_bytes::<H>(&decoded, statement, proof).expect("verifies under the decoded key");
    let again = Statement::decode(&statement.encode(), Default::default()).expect("statement round trip");
    assert_eq!(&again, statement);
}

/// A random chain: optional leading ReLU and flatten, 1–3 linear layers with
/// random ReLU flags, standalone ReLUs and shape-preserving reshapes.
fn random_mlp(seed: u64) -> (ExactModel, Vec<usize>) {
    let mut rng = Rng(seed);
    let rows = rng.range(1, 3) as usize;
    let mut b = ExactBuilder::default();
    let (dims, shape, mut k): (Vec<Option<u64>>, Vec<usize>, u32) = if rng.below(2) == 0 {
        let k = rng.range(1, 20) as u32;
        (vec![None, Some(u64::from(k))], vec![rows, k as usize], k)
    } else {
        let (a, c) = (rng.range(1, 4) as usize, rng.range(1, 6) as usize);
        (
            vec![Some(rows as u64), Some(a as u64), Some(c as u64)],
            vec![rows, a, c],
            (a * c) as u32,
        )
    };
    if rng.below(3) == 0 {
        b.op(Op::Relu);
    }
    if shape.len() == 3 {
        b.op(Op::Flatten(1));
    }
    for _ in 0..rng.range(1, 3) {
        let n = rng.range(1, 20) as u32;
        let relu = rng.below(2) == 0;
        let (weights, bias, requant) = random_linear(&mut rng, k, n);
        b.op(Op::Linear {
            k,
            n,
            relu,
            weights: &weights,
            bias: &bias,
            requant: &requant,
        });
        if !relu && rng.below(2) == 0 {
            b.op(Op::Relu);
        }
        if rng.below(3) == 0 {
            b.op(Op::Reshape(&[-1, i64::from(n)]));
        }
        k = n;
    }
    (b.build(&dims), shape)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_mlps_prove_and_verify(seed in any::<u64>()) {
        let (model, shape) = random_mlp(seed);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
        let mut rng = Rng(seed ^ 0x5eed);
        let input = random_input(&mut rng, &shape);
        let proved = prove(&pk, &model, &input).expect("prove");
        prop_assert_eq!(&proved.outputs, &model.run(&input).expect("run"));
        let bytes = proved.proof.encode();
        prop_assert_eq!(verify_bytes::<H>(&vk, &proved.statement, &bytes), Ok(()));
    }
}

#[test]
fn mlp_784_128_64_10_on_synthetic_images_verifies() {
    use crate::mlp_onnx::{mlp_784_128_64_10, synthetic_images};
    let onnx = mlp_784_128_64_10(1);
    let calib: Vec<_> = synthetic_images(2, 16)
        .into_iter()
        .map(|image| float_input("input", vec![1, 1, 28, 28], image))
        .collect();
    let model = veris_engine::exact::compile(
        &onnx,
        veris_core::ModelId::of_bytes(&onnx),
        &calib,
        veris_engine::exact::Bits::B8,
    )
    .expect("compile");
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let image = synthetic_images(3, 1).remove(0);
    let proved = prove(&pk, &model, &float_input("input", vec![1, 1, 28, 28], image)).expect("prove");
    assert_eq!(proved.statement.output.shape, vec![1, 10]);
    verify_bytes::<H>(&vk, &proved.statement, &proved.proof.encode()).expect("verifies");
}
