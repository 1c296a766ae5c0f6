//! CNN proofs: LeNet (Conv, AveragePool, Flatten, Linear, fused ReLUs) on
//! held-out images and random small CNNs (strides, paddings, dilations,
//! counted-padding pools, batches) prove and verify; the statement is the
//! engine's own output; a malicious prover is rejected in every conv and
//! pool layer; mutated proof bytes are rejected.

use veris_engine::exact::ExactOp;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::setup;
use veris_zk::infer::{Stage, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::cnn_support::*;
use veris_zk::infer::witness::LayerWitness;

use crate::soundness::{CONV_TAMPERS, POOL_TAMPERS, never_accepted_in};
use crate::support::*;

#[test]
fn lenet_key_has_conv_and_pool_stages_and_round_trips() {
    let (_, vk) = lenet_keys();
    let kinds: Vec<&str> = vk
        .stages()
        .iter()
        .map(|s| match s {
            Stage::Conv(_) => "conv",
            Stage::AvgPool(_) => "pool",
            Stage::MaxPool(_) => "max pool",
            Stage::Linear(_) => "linear",
            Stage::Relu => "relu",
            Stage::Lut(_) => "lut",
            Stage::Reshape(_) | Stage::Flatten(_) | Stage::Transpose(_) => "layout",
            Stage::MatMul(_) => "matmul",
            Stage::LayerNorm(_) => "layernorm",
            Stage::Add(_) => "add",
            Stage::Softmax(_) => "softmax",
        })
        .collect();
    assert_eq!(kinds, ["conv", "pool", "conv", "pool", "layout", "linear", "linear"]);
    let bytes = vk.encode();
    assert_eq!(&VerifyingKey::decode(&bytes, VkLimits::default()).expect("decodes"), vk);
}

#[test]
fn lenet_proves_held_out_images_end_to_end() {
    let (pk, vk) = lenet_keys();
    let mut correct = 0;
    for (input, label) in lenet_heldout(3, 4) {
        let proved = prove(pk, lenet(), &input).expect("prove");
        // The statement's output is the engine's own quantized output.
        let engine = lenet().run(&input).expect("engine run");
        assert_eq!(proved.outputs, engine);
        assert_eq!(proved.statement.output.shape, vec![1, 10]);
        let bytes = proved.proof.encode();
        verify_bytes::<H>(vk, &proved.statement, &bytes).expect("verifies");
        let out = &proved.statement.output.data;
        let best = (0..10).max_by_key(|&i| out[i]).expect("ten logits");
        correct += usize::from(best == label);
    }
    assert!(correct >= 3, "{correct}/4 held-out images classified correctly");
}

#[test]
fn random_small_cnns_prove_and_verify() {
    let mut rng = Rng(2024);
    let (mut grouped, mut grids) = (0, 0);
    for case in 0..12 {
        let (model, shape) = random_cnn(&mut rng);
        grouped += usize::from(is_grouped(&model));
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).unwrap_or_else(|e| panic!("case {case}: setup: {e}"));
        let grid = |s: &Stage| matches!(s, Stage::Linear(l) if l.input_grid.is_some());
        grids += usize::from(vk.stages().iter().any(grid));
        let input = random_input(&mut rng, &shape);
        let proved = prove(&pk, &model, &input).unwrap_or_else(|e| panic!("case {case}: prove: {e}"));
        let bytes = proved.proof.encode();
        verify_bytes::<H>(&vk, &proved.statement, &bytes).unwrap_or_else(|e| panic!("case {case} {shape:?}: {e}"));
        // Another output is refused.
        let mut other = proved.statement.clone();
        other.output.data[0] = if other.output.data[0] == 0 { 1 } else { 0 };
        assert!(
            verify_bytes::<H>(&vk, &other, &bytes).is_err(),
            "case {case}: altered output"
        );
    }
    assert!(grouped >= 3, "only {grouped} cases with a grouped conv");
    assert!(
        grids >= 3,
        "only {grids} cases with a linear layer over a non-power-of-two grid"
    );
}

fn is_grouped(model: &veris_engine::exact::ExactModel) -> bool {
    model
        .ops()
        .iter()
        .any(|op| matches!(op, ExactOp::Conv(c) if c.group > 1))
}

#[test]
fn malicious_prover_on_a_grouped_cnn_is_rejected() {
    let mut rng = Rng(77);
    let (model, shape) = loop {
        let (m, s) = random_cnn(&mut rng);
        if is_grouped(&m) {
            break (m, s);
        }
    };
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &shape);
    let convs = |w: &LayerWitness| matches!(w, LayerWitness::Conv(_));
    let runs = never_accepted_in(&model, &input, &pk, &vk, convs);
    assert!(runs >= 2 * (CONV_TAMPERS.len() - 1), "only {runs} tampered runs");
}

#[test]
fn malicious_prover_on_a_linear_over_a_padded_grid_is_rejected() {
    // A random CNN whose last conv writes a grid with H or W not a power of two (LeNet-5's case).
    let mut rng = Rng(91);
    let (model, shape, pk, vk) = loop {
        let (m, s) = random_cnn(&mut rng);
        let (pk, vk) = setup::<H>(&m, PcsParams::default()).expect("setup");
        if vk
            .stages()
            .iter()
            .any(|s| matches!(s, Stage::Linear(l) if l.input_grid.is_some()))
        {
            break (m, s, pk, vk);
        }
    };
    let input = random_input(&mut rng, &shape);
    // The linear layer and the conv whose padded grid it reads.
    let layers = |w: &LayerWitness| matches!(w, LayerWitness::Linear(_) | LayerWitness::Conv(_));
    let runs = never_accepted_in(&model, &input, &pk, &vk, layers);
    assert!(runs >= 2 * (CONV_TAMPERS.len() - 1) + 15, "only {runs} tampered runs");
}

#[test]
fn malicious_prover_on_lenet_is_rejected_in_every_conv_and_pool_layer() {
    let (pk, vk) = lenet_keys();
    let (input, _) = lenet_heldout(0, 1).remove(0);
    // The linear layers are covered by the MLP tests; here: both convs and both pools.
    let window_layers = |w: &LayerWitness| matches!(w, LayerWitness::Conv(_) | LayerWitness::Pool(_));
    let runs = never_accepted_in(lenet(), &input, pk, vk, window_layers);
    // Three elements per tamper and layer (claiming a false output applies to the last
    // layer only); a moved multiplicity sometimes coincides for two elements.
    let applicable = 2 * (CONV_TAMPERS.len() - 1) + 2 * (POOL_TAMPERS.len() - 1);
    assert!(runs >= 5 * applicable / 2, "only {runs} tampered runs");
}

#[test]
fn mutated_lenet_proof_bytes_are_rejected() {
    let (_, vk) = lenet_keys();
    let (statement, proof) = lenet_proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest proof verifies");
    let mut rng = Rng(11);
    let len = proof.len();
    let positions: Vec<usize> = (0..300)
        .map(|i| i * len / 300)
        .chain((0..300).map(|_| rng.below(len as u64) as usize))
        .collect();
    for &pos in &positions {
        let mut bad = proof.clone();
        bad[pos] ^= 1 + rng.below(255) as u8;
        assert!(
            verify_bytes::<H>(vk, statement, &bad).is_err(),
            "mutation at byte {pos} of {len}"
        );
    }
    for cut in [0, 12, 44, len / 3, len - 1] {
        assert!(
            verify_bytes::<H>(vk, statement, &proof[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
}

#[test]
fn mutated_lenet_keys_are_refused_or_reject_the_proof() {
    let (_, vk) = lenet_keys();
    let (statement, proof) = lenet_proof();
    let bytes = vk.encode();
    let mut rng = Rng(5);
    for _ in 0..150 {
        let mut bad = bytes.clone();
        let pos = rng.below(bad.len() as u64) as usize;
        bad[pos] ^= 1 + rng.below(255) as u8;
        // Either refused, or another self-consistent key under which the proof fails (never a panic).
        if let Ok(k) = VerifyingKey::decode(&bad, VkLimits::default()) {
            assert_eq!(k.encode(), bad);
            assert!(
                verify_bytes::<H>(&k, statement, proof).is_err(),
                "mutated key at byte {pos}"
            );
        }
    }
}

#[test]
fn global_average_pool_proves_as_a_whole_plane_window_and_rejects_tampering() {
    // conv 2 → 3 (3×3, pad 1) → GlobalAveragePool → flatten → linear 3 → 4, batch 2.
    let mut rng = Rng(31);
    let mut b = ExactBuilder::default();
    let (w1, b1, r1) = random_linear(&mut rng, 18, 3);
    b.op(Op::Conv {
        c_in: 2,
        c_out: 3,
        group: 1,
        window: square(3, 1, 1),
        relu: true,
        weights: &w1,
        bias: &b1,
        requant: &r1,
    });
    b.op(Op::GlobalAvgPool { requant: (1 << 30, 30) });
    b.op(Op::Flatten(1));
    let (w2, b2, r2) = random_linear(&mut rng, 3, 4);
    b.op(Op::Linear {
        k: 3,
        n: 4,
        relu: false,
        weights: &w2,
        bias: &b2,
        requant: &r2,
    });
    let model = b.build(&[None, Some(2), Some(5), Some(7)]);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    assert!(matches!(&vk.stages()[1], Stage::AvgPool(p) if p.window.kernel == [5, 7]));
    let input = random_input(&mut rng, &[2, 2, 5, 7]);
    let proved = prove(&pk, &model, &input).expect("prove");
    assert_eq!(proved.outputs, model.run(&input).expect("engine run"));
    verify_bytes::<H>(&vk, &proved.statement, &proved.proof.encode()).expect("verifies");
    let pools = |w: &LayerWitness| matches!(w, LayerWitness::Pool(_));
    let runs = never_accepted_in(&model, &input, &pk, &vk, pools);
    assert!(runs >= 2 * (POOL_TAMPERS.len() - 1), "only {runs} tampered runs");
}
