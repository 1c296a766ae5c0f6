//! Residual networks: the small BN-folded ResNet of `models/resnet` proves
//! held-out images end to end (its graph branches: a value feeds a block's
//! first conv and its shortcut or Add), and a malicious prover is rejected in
//! a small random residual program's Add layers and the layers around them.

use std::sync::OnceLock;

use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::infer::prove::{prove, witness};
use veris_zk::infer::setup::{ProverKey, setup};
use veris_zk::infer::witness::LayerWitness;
use veris_zk::infer::{Stage, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::cnn_support::{f32s, read_json_in, square};
use crate::soundness::{ADD_TAMPERS, CONV_TAMPERS, never_accepted_at, never_accepted_in};
use crate::support::*;

const RESNET_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/resnet");

/// The residual CNN compiled at 8 bits on its 64 calibration images, once per binary.
fn resnet() -> &'static ExactModel {
    static MODEL: OnceLock<ExactModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = std::fs::read(format!("{RESNET_DIR}/resnet.onnx")).expect("read resnet");
        let rows = read_json_in(RESNET_DIR, "calibration.json");
        let rows = rows.as_array().expect("calibration rows");
        let data: Vec<f32> = rows.iter().flat_map(|r| f32s(&r["input"])).collect();
        let calib = float_input("input", vec![rows.len(), 1, 16, 16], data);
        compile(&bytes, ModelId::of_bytes(&bytes), &[calib], Bits::B8).expect("compile resnet")
    })
}

fn resnet_keys() -> &'static (ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| setup::<H>(resnet(), PcsParams::default()).expect("resnet setup"))
}

fn resnet_heldout(first: usize, count: usize) -> Vec<(TensorMap, usize)> {
    let held = read_json_in(RESNET_DIR, "heldout.json");
    let pixels = f32s(&held["input"]["input"]);
    let labels = held["labels"].as_array().expect("labels");
    (first..first + count)
        .map(|i| {
            let image = pixels[i * 256..(i + 1) * 256].to_vec();
            let label = labels[i].as_u64().expect("label") as usize;
            (float_input("input", vec![1, 1, 16, 16], image), label)
        })
        .collect()
}

#[test]
fn resnet_key_branches_and_round_trips() {
    let (_, vk) = resnet_keys();
    let adds = vk.stages().iter().filter(|s| matches!(s, Stage::Add(_))).count();
    assert_eq!(adds, 3, "one Add per residual block");
    // Some value is read by two stages (a block input: first conv and shortcut or Add).
    let mut reads = vec![0usize; vk.stages().len() + 1];
    vk.operands().iter().flatten().for_each(|&v| reads[v as usize] += 1);
    assert!(reads.iter().any(|&r| r >= 2), "the graph does not branch: {reads:?}");
    let bytes = vk.encode();
    assert_eq!(&VerifyingKey::decode(&bytes, VkLimits::default()).expect("decodes"), vk);
}

#[test]
fn resnet_proves_held_out_images_end_to_end() {
    let (pk, vk) = resnet_keys();
    let mut correct = 0;
    for (input, label) in resnet_heldout(5, 3) {
        let proved = prove(pk, resnet(), &input).expect("prove");
        assert_eq!(proved.outputs, resnet().run(&input).expect("engine run"));
        assert_eq!(proved.statement.output.shape, vec![1, 10]);
        let bytes = proved.proof.encode();
        verify_bytes::<H>(vk, &proved.statement, &bytes).expect("verifies");
        let mut other = proved.statement.clone();
        other.output.data[label] = if other.output.data[label] == 0 { 1 } else { 0 };
        assert!(
            verify_bytes::<H>(vk, &other, &bytes).is_err(),
            "altered output accepted"
        );
        let out = &proved.statement.output.data;
        correct += usize::from((0..10).max_by_key(|&i| out[i]) == Some(label));
    }
    assert!(correct >= 2, "{correct}/3 held-out images classified correctly");
}

/// A residual block on `[1, 3, 4, 4]`: x → conv(3×3, pad 1) → conv(3×3, pad 1) → Add(·, relu(x)) → conv 1×1.
fn residual_program(rng: &mut Rng) -> ExactModel {
    let mut b = ExactBuilder::default();
    b.op(Op::Relu); // value 1
    let conv = |b: &mut ExactBuilder, rng: &mut Rng, input: u32, k: u32, pad: u32, relu: bool| {
        let (w, bias, rq) = random_linear(rng, 3 * k * k, 3);
        b.op_reading(
            input,
            Op::Conv {
                c_in: 3,
                c_out: 3,
                group: 1,
                window: square(k, 1, pad),
                relu,
                weights: &w,
                bias: &bias,
                requant: &rq,
            },
        );
    };
    conv(&mut b, rng, 1, 3, 1, true); // value 2
    conv(&mut b, rng, 2, 3, 1, false); // value 3
    b.add(3, 1, (3 << 29, 30), (5 << 28, 30), true); // value 4: rescale both, fused ReLU
    b.add(4, 0, (1 << 30, 30), (1 << 29, 31), false); // value 5: reads the input again
    conv(&mut b, rng, 5, 1, 0, false); // value 6
    b.build(&[Some(1), Some(3), Some(4), Some(4)])
}

#[test]
fn malicious_prover_on_a_residual_program_is_rejected_in_every_add_layer() {
    let mut rng = Rng(99);
    let model = residual_program(&mut rng);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &[1, 3, 4, 4]);
    let adds = |w: &LayerWitness| matches!(w, LayerWitness::Add(_));
    let runs = never_accepted_in(&model, &input, &pk, &vk, adds);
    assert!(runs >= 2 * ADD_TAMPERS.len(), "only {runs} tampered Add runs");
}

/// The layers next to the Adds (split from the Add test to keep each under the
/// harness's time limit in debug builds; plain convs are covered by `cnn`):
/// the input's ReLU, read by a conv and an Add, and the conv reading an Add's output.
#[test]
fn malicious_prover_on_a_residual_program_is_rejected_around_the_adds() {
    let mut rng = Rng(99);
    let model = residual_program(&mut rng);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &[1, 3, 4, 4]);
    let (_, honest) = witness(&pk, &model, &input).expect("witness");
    let kinds: Vec<&str> = honest
        .layers
        .iter()
        .map(|l| match l {
            LayerWitness::Pointwise(_) => "relu",
            LayerWitness::Conv(_) => "conv",
            LayerWitness::Add(_) => "add",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["relu", "conv", "conv", "add", "add", "conv"]);
    let runs = never_accepted_at(&model, &input, &pk, &vk, &[0, 5]);
    assert!(
        runs > 2 * (CONV_TAMPERS.len() - 1),
        "only {runs} tampered relu and conv runs"
    );
}
